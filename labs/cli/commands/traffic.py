"""`rollout-lab traffic start|stop|status`: the lab's background traffic from a terminal.

The same traffic process the notebooks start (one per lab home), so either side can stop it.
"""

from __future__ import annotations

import argparse
import sys
import time

from labs.catalog import LabNotFound
from labs.runtime import ClusterNotFound, LabSession, TargetNotFound, running_traffic, stop_traffic
from labs.widgets.traffic_view import render_text, traffic_model

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("traffic", help="send the agent steady traffic (start|stop)")
    sub = parser.add_subparsers(dest="traffic_command", metavar="TRAFFIC_COMMAND")
    start = sub.add_parser("start", help="start background traffic to a lab's agent")
    start.add_argument("lab", help="lab id, e.g. canary-analysis")
    start.add_argument("--rps", type=float, default=10.0, help="requests per second (default 10)")
    start.add_argument(
        "--service", default=None, help="one Service to target (default: every agent pod)"
    )
    start.set_defaults(handler=_start)
    stop = sub.add_parser("stop", help="stop the background traffic")
    stop.set_defaults(handler=_stop)
    status = sub.add_parser("status", help="is traffic running, and what answers it")
    status.set_defaults(handler=_status)
    parser.set_defaults(handler=lambda _args: parser.print_help() or 0)


def _start(args: argparse.Namespace) -> int:
    try:
        session = LabSession.open(args.lab, record=False)
        session.require_cluster()
        process = session.start_traffic(rps=args.rps, service=args.service)
    except (LabNotFound, ClusterNotFound, TargetNotFound) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"traffic started: {process.describe()}")
    print("  stop it with `rollout-lab traffic stop`")
    return 0


def _stop(_args: argparse.Namespace) -> int:
    stopped = stop_traffic()
    print(f"traffic stopped ({stopped.describe()})" if stopped else "no traffic was running")
    return 0


def _status(_args: argparse.Namespace) -> int:
    process = running_traffic()
    if process is None:
        print("no traffic is running; start it with `rollout-lab traffic start <lab>`")
        return 1
    print(render_text(traffic_model(process.series, process, now=time.time())))
    return 0
