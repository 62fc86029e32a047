"""`python -m clusters.embedded serve --state-dir D [--port P] [--time-scale N]`."""

from __future__ import annotations

import argparse
from pathlib import Path

from clusters.embedded.serve import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m clusters.embedded")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve", help="run the embedded API server in the foreground")
    run.add_argument("--state-dir", type=Path, required=True)
    run.add_argument("--port", type=int, default=None)
    run.add_argument("--time-scale", type=float, default=1.0)
    run.add_argument(
        "--watch-timeout-max",
        type=float,
        default=1800.0,
        help="longest a watch stream stays open (seconds); clients re-watch after it",
    )
    run.add_argument(
        "--api-only",
        action="store_true",
        help="serve the API and store only: no controllers, kubelet or Service proxy",
    )
    args = parser.parse_args(argv)
    extra_tasks = [] if args.api_only else [_workloads(args.state_dir)]
    serve(
        args.state_dir,
        port=args.port,
        time_scale=args.time_scale,
        watch_timeout_max=args.watch_timeout_max,
        extra_tasks=extra_tasks,
    )


def _workloads(state_dir: Path):  # type: ignore[no-untyped-def]
    """The controllers, process kubelet and Service proxy, run beside the API server."""
    from clusters.embedded.runtime import run_cluster_runtime

    async def task(store, clock) -> None:  # type: ignore[no-untyped-def]
        await run_cluster_runtime(store, clock, state_dir.resolve())

    return task


if __name__ == "__main__":
    main()
