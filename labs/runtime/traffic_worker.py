"""The background traffic process: standard-mix plans at a steady rate until it is stopped.

`python -m labs.runtime.traffic_worker --target URL --rps N --series FILE` runs the agent's
traffic generator in back-to-back rounds and appends, about once a second, what answered since
the last line (per responding version) to FILE as JSON lines. SIGTERM ends it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agent.traffic import TrafficSummary, run_traffic

__all__ = ["main", "tick_line"]

ROUND_SECONDS = 30.0


def _totals(summary: TrafficSummary) -> dict[str, tuple[int, int, int, int]]:
    return {
        version: (t.requests, t.errors, t.tasks, t.urgent_tasks)
        for version, t in summary.by_version.items()
    }


def tick_line(
    previous: dict[str, tuple[int, int, int, int]],
    current: dict[str, tuple[int, int, int, int]],
    unreachable: int,
    now: float,
) -> dict[str, Any]:
    """One series line: per version, what arrived between two cumulative snapshots."""
    versions = {}
    for version, (requests, errors, tasks, urgent) in sorted(current.items()):
        before = previous.get(version, (0, 0, 0, 0))
        delta = (requests - before[0], errors - before[1], tasks - before[2], urgent - before[3])
        if any(delta):
            versions[version] = dict(
                zip(("requests", "errors", "tasks", "urgent"), delta, strict=True)
            )
    return {"t": round(now, 3), "versions": versions, "unreachable": unreachable}


def _terminate(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m labs.runtime.traffic_worker")
    parser.add_argument("--target", required=True)
    parser.add_argument("--rps", type=float, default=10.0)
    parser.add_argument("--series", type=Path, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    args.series.parent.mkdir(parents=True, exist_ok=True)
    round_number = 0
    with args.series.open("a", encoding="utf-8", buffering=1) as out:
        while True:
            state: dict[str, Any] = {"totals": {}, "unreachable": 0}

            def on_tick(summary: TrafficSummary, state: dict[str, Any] = state) -> None:
                totals = _totals(summary)
                lost = summary.transport_errors - state["unreachable"]
                out.write(json.dumps(tick_line(state["totals"], totals, lost, time.time())) + "\n")
                state["totals"], state["unreachable"] = totals, summary.transport_errors

            started = time.monotonic()
            summary = run_traffic(args.target, args.rps, ROUND_SECONDS, round_number, on_tick)
            round_number += 1
            if summary.completed == summary.transport_errors:
                # Nothing answered (no ready pods yet): do not spin, try again shortly.
                time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
