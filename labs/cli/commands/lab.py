"""`rollout-lab lab ...`: start the learner's lab (cluster + JupyterLab)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from clusters.backend import (
    BackendOptions,
    BackendUnavailable,
    choose_backend,
    create_backend,
    default_state_dir,
    write_backend_record,
)
from clusters.kind.docker import probe_docker
from clusters.progress import ConsoleProgress, StepFailed
from clusters.runner import SubprocessRunner
from labs.cli.commands.lab_manage import register_manage
from labs.jupyter import jupyter_command, run_jupyter

# Labs run time-warped on the embedded cluster: a 5-minute pause takes 10 seconds.
LAB_TIME_SCALE = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lab", help="start and manage the learner's lab")
    lab_sub = parser.add_subparsers(dest="lab_command", metavar="LAB_COMMAND")
    start = lab_sub.add_parser(
        "start", help="bring the cluster up and start JupyterLab on the lab notebooks"
    )
    start.add_argument("--port", type=int, default=None, help="JupyterLab port (default 8888)")
    start.add_argument("--state-dir", type=Path, default=None, help="lab state directory")
    start.add_argument(
        "--backend", default="auto", help="auto (default), embedded, kind or existing"
    )
    start.add_argument(
        "--time-scale",
        type=float,
        default=LAB_TIME_SCALE,
        help=f"time-warp of the embedded cluster (default {LAB_TIME_SCALE:g})",
    )
    start.add_argument(
        "--keep-cluster",
        action="store_true",
        help="leave the cluster running when JupyterLab stops",
    )
    start.set_defaults(handler=_start)
    register_manage(lab_sub)
    parser.set_defaults(handler=lambda _args: parser.print_help() or 0)


def _start(args: argparse.Namespace) -> int:
    state_dir = (args.state_dir or default_state_dir()).expanduser().resolve()
    runner = SubprocessRunner()
    docker = probe_docker(runner) if args.backend == "auto" else None
    choice = choose_backend(args.backend, docker)
    print("Rollout Lab")
    print(f"  backend: {choice.name} ({choice.reason})")
    options = BackendOptions(state_dir=state_dir, time_scale=args.time_scale, runner=runner)
    try:
        backend = create_backend(choice.name, options)
    except BackendUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    already = backend.status().state == "running"
    write_backend_record(choice.name, options)
    try:
        info = backend.up(ConsoleProgress())
    except StepFailed as failure:
        if not already:
            backend.down()
        print(f"error: the cluster did not come up: {failure}", file=sys.stderr)
        print("  run `rollout-lab doctor`, then `make lab` again", file=sys.stderr)
        return 1
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "KUBECONFIG": str(info.kubeconfig),
        "ROLLOUT_LAB_HOME": str(state_dir),
        "ROLLOUT_LAB_NAMESPACE": info.namespace,
        # Notebooks show lab time (a 5-minute pause is seconds on the warped embedded cluster).
        "ROLLOUT_LAB_TIME_SCALE": f"{args.time_scale if choice.name == 'embedded' else 1:g}",
        # Terminals and kernels find kubectl and `kubectl argo rollouts` in the venv.
        "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")]),
    }
    launch = jupyter_command(port=args.port, extra_env=env)
    print(f"  cluster: {info.api_url} (namespace {info.namespace})")
    print(f"  export KUBECONFIG={info.kubeconfig}")
    print(f"  JupyterLab: {launch.url}")
    print("  (listening on 127.0.0.1 only; press Ctrl-C to stop)", flush=True)
    # `kill` (SIGTERM) ends the lab like Ctrl-C does, so the cluster is stopped either way.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return run_jupyter(launch)
    except KeyboardInterrupt:
        return 130
    finally:
        if not args.keep_cluster and not already:
            backend.down()
            print("cluster stopped (its state is kept; `make lab` resumes it)", flush=True)


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
