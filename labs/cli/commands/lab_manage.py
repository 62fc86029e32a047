"""`rollout-lab lab list|status|reset`: the learner's labs, their progress, and a fresh start."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from labs.catalog import LabNotFound
from labs.runtime import (
    ClusterNotFound,
    LabSession,
    ProgressStore,
    Workspace,
    lab_statuses,
    reset_lab,
    running_traffic,
    solve_lab,
)

__all__ = ["register", "register_manage"]


def register(_subparsers: argparse._SubParsersAction) -> None:
    """Registered through `lab` (see `register_manage`), not as a command group of its own."""


def register_manage(lab_sub: Any) -> None:
    listing = lab_sub.add_parser("list", help="every lab and your progress in it")
    listing.set_defaults(handler=_list)
    status = lab_sub.add_parser("status", help="one lab: workspace, checks, hints, traffic")
    status.add_argument("lab", help="lab id, e.g. canary-analysis")
    status.set_defaults(handler=_status)
    reset = lab_sub.add_parser(
        "reset", help="cluster objects and workspace files back to the start (history kept)"
    )
    reset.add_argument("lab", help="lab id, e.g. canary-analysis")
    reset.add_argument(
        "--files-only", action="store_true", help="reset the workspace files, leave the cluster"
    )
    reset.set_defaults(handler=_reset)
    solve = lab_sub.add_parser(
        "solve", help="drive a lab to its end state with the reference solution (skip ahead)"
    )
    solve.add_argument("lab", help="lab id, e.g. canary-analysis")
    solve.add_argument("--no-check", action="store_true", help="do not run the check afterwards")
    solve.set_defaults(handler=_solve)


def _list(_args: argparse.Namespace) -> int:
    table = Table(title="Rollout Lab labs")
    for column in ("lab", "title", "progress"):
        table.add_column(column)
    for row in lab_statuses():
        progress = row.progress.line() if row.started else "not started"
        table.add_row(row.lab_id, row.title, progress)
    Console().print(table)
    return 0


def _status(args: argparse.Namespace) -> int:
    try:
        workspace = Workspace.for_lab(args.lab)
    except LabNotFound as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    store = ProgressStore(workspace.progress_dir)
    summary = store.summary()
    print(f"lab: {args.lab}")
    print(f"workspace: {workspace.path}" + ("" if workspace.path.is_dir() else " (not created)"))
    print(f"progress: {summary.line()}")
    for entry in store.entries("check")[-5:]:
        print(f"  check: {entry.get('score'):g}/{entry.get('max_score'):g} ({entry.get('mode')})")
    answers = summary.quiz_answers
    if answers:
        print(f"quiz answers: {len(answers)}")
    traffic = running_traffic()
    print(f"traffic: {traffic.describe() if traffic else 'not running'}")
    return 0


def _reset(args: argparse.Namespace) -> int:
    try:
        session = LabSession.open(args.lab, record=False)
    except LabNotFound as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if not args.files_only:
            session.require_cluster()
        archive = reset_lab(session, cluster=not args.files_only)
    except ClusterNotFound as error:
        print(f"error: {error} (or use --files-only)", file=sys.stderr)
        return 2
    finally:
        session.close()
    print(f"lab {args.lab} reset: starter files in {session.workspace.path}")
    if archive:
        print(f"  your previous files and timeline are kept in {archive}")
    if not args.files_only:
        print(f"  lab objects deleted from namespace {session.namespace}")
    return 0


def _solve(args: argparse.Namespace) -> int:
    from checker import print_result

    try:
        session = LabSession.open(args.lab)
        session.require_cluster()
    except (LabNotFound, ClusterNotFound) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        print(f"solving {args.lab} with the reference solution in {session.workspace.path} ...")
        solve_lab(session)
        session.stop_traffic()
        if args.no_check:
            return 0
        result = session.check()
        print_result(result)
        return 0 if result.gradable and result.score == result.max_score else 1
    except LookupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        session.stop_traffic()
        session.close()
