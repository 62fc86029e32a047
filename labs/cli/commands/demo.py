"""`rollout-lab demo`: lab 3 (canary with analysis) end to end in the terminal, in under a minute.

For a newcomer: a private embedded cluster at time-scale 30 (a 5-minute pause takes 10 seconds),
the reference manifests, steady traffic, the faulty v4 and then the quiet v3 release each
stopped by its analysis and undone back to v1, and the checker's report. The live rollout tree
and traffic numbers are the notebook views' text form. Nothing of the learner's own lab or
workspace is touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

__all__ = ["register"]

LAB = "canary-analysis"
DEMO_TIME_SCALE = 30.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="watch lab 3 (canary + analysis) end to end")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEMO_TIME_SCALE,
        help="time-warp (default 30, as `make lab`)",
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep the demo's files here")
    parser.set_defaults(handler=_demo)


class _Narrator:
    """Prints the steps; while waiting, shows the rollout and traffic views (live on a tty)."""

    def __init__(self, console: Console, session: Any) -> None:
        self.console = console
        self.session = session

    def step(self, text: str) -> None:
        self.console.print(Text(f"\n==> {text}", style="bold"))

    def views(self) -> tuple[str, str]:
        from labs.widgets.rollout_view import fetch_view_model, render_text
        from labs.widgets.traffic_view import render_text as traffic_text
        from labs.widgets.traffic_view import traffic_model

        session = self.session
        model = fetch_view_model(session.rollouts_api(), session.namespace, session.rollout_name)
        traffic = traffic_model(session.traffic_series_path(), session.traffic())
        return render_text(model), traffic_text(traffic)

    def watch(self, wait: Callable[[], Any], timeout: float = 120) -> None:
        """Run `wait()` in a thread; meanwhile redraw (tty) or print changed status lines."""
        import threading

        failure: list[BaseException] = []

        def run() -> None:
            try:
                wait()
            except BaseException as error:  # re-raised in the main thread below
                failure.append(error)

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        deadline = time.monotonic() + timeout
        if self.console.is_terminal:
            with Live(console=self.console, refresh_per_second=4) as live:
                while worker.is_alive() and time.monotonic() < deadline:
                    rollout, traffic = self.views()
                    live.update(
                        Group(Panel(rollout, title="rollout"), Panel(traffic, title="traffic"))
                    )
                    worker.join(0.5)
        else:
            shown = ""
            while worker.is_alive() and time.monotonic() < deadline:
                rollout, _ = self.views()
                status = next(
                    (line for line in rollout.splitlines() if line.startswith("Status")), ""
                )
                if status != shown:
                    self.console.print(f"    {status}", highlight=False)
                    shown = status
                worker.join(0.5)
        worker.join(1)
        if failure:
            raise failure[0]
        rollout, traffic = self.views()
        self.console.print(_panels(rollout, traffic))


def _panels(rollout: str, traffic: str) -> Group:
    """The two views as panels; Text, so `[x]` step marks are not read as markup."""
    return Group(Panel(Text(rollout), title="rollout"), Panel(Text(traffic), title="traffic"))


def _run(console: Console, home: Path, scale: float) -> int:
    from checker import print_result
    from clusters.embedded.cluster import EmbeddedCluster
    from labs.runtime import LabSession

    os.environ["ROLLOUT_LAB_HOME"] = str(home / "home")
    os.environ["ROLLOUT_LAB_WORKSPACE"] = str(home / "workspace")
    started = time.monotonic()
    console.print(
        f"Rollout Lab demo: lab 3, canary with analysis, at time-scale {scale:g} "
        f"(a 5-minute pause takes {300 / scale:g} s)"
    )
    console.print("\n==> start a private embedded cluster", style="bold")
    cluster = EmbeddedCluster(home / "cluster", time_scale=scale).start()
    session = None
    try:
        session = LabSession.open(LAB, kubeconfig=cluster.kubeconfig_path, time_scale=scale)
        narrator = _Narrator(console, session)
        narrator.step(
            "apply the reference manifests: a 3-replica canary gated on error rate and urgent ratio"
        )
        session.workspace.use_solution()
        console.print(session.apply().text(), highlight=False)
        narrator.watch(lambda: session.wait_phase("Healthy", timeout=90))
        narrator.step("start steady traffic (12 requests/s over every agent pod)")
        console.print(session.start_traffic(rps=12).describe(), highlight=False)
        narrator.watch(session.wait_for_traffic)
        narrator.step("release v4, the loud failure (a third of requests get HTTP 500)")
        console.print(session.release("v4"), highlight=False)
        narrator.watch(lambda: session.wait_phase("Degraded", timeout=120, abort=True))
        narrator.step("the analysis aborted it; roll back with undo")
        console.print(session.action("undo"), highlight=False)
        narrator.watch(lambda: session.wait_phase("Healthy", timeout=90))
        narrator.step("release v3, the quiet regression (no errors, ~4x the urgent tasks)")
        console.print(session.release("v3"), highlight=False)
        narrator.watch(lambda: session.wait_phase("Degraded", timeout=120, abort=True))
        narrator.step("the urgent-ratio metric aborted it; undo again")
        console.print(session.action("undo"), highlight=False)
        narrator.watch(lambda: session.wait_phase("Healthy", timeout=90))
        session.stop_traffic()
        narrator.step("the checker's report")
        result = session.check(deadline=30)
        print_result(result, console)
    finally:
        if session is not None:
            session.stop_traffic()
            session.close()
        cluster.stop()
    console.print(f"\ndemo finished in {time.monotonic() - started:.0f} s")
    return 0 if result.gradable and result.score == result.max_score else 1


def _demo(args: argparse.Namespace) -> int:
    console = Console()
    if args.time_scale <= 0:
        print("error: --time-scale must be positive", file=sys.stderr)
        return 2
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        return _run(console, args.keep.resolve(), args.time_scale)
    with tempfile.TemporaryDirectory(prefix="rollout-lab-demo-") as directory:
        return _run(console, Path(directory), args.time_scale)
