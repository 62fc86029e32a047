"""`rollout-lab lab ...`: start the learner's lab (cluster + JupyterLab)."""

from __future__ import annotations

import argparse

from labs.jupyter import jupyter_command, run_jupyter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lab", help="start and manage the learner's lab")
    lab_sub = parser.add_subparsers(dest="lab_command", metavar="LAB_COMMAND")
    start = lab_sub.add_parser("start", help="start JupyterLab on the lab notebooks (127.0.0.1)")
    start.add_argument("--port", type=int, default=None, help="JupyterLab port (default 8888)")
    start.set_defaults(handler=_start)
    parser.set_defaults(handler=lambda _args: parser.print_help() or 0)


def _start(args: argparse.Namespace) -> int:
    launch = jupyter_command(port=args.port)
    print("Rollout Lab")
    print("  cluster: the embedded cluster is not built yet; notebooks open without one.")
    print(f"  JupyterLab: {launch.url}")
    print("  (listening on 127.0.0.1 only; press Ctrl-C to stop)", flush=True)
    return run_jupyter(launch)
