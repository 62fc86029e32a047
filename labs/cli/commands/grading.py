"""`rollout-lab check | submit | grade`: learner check, submission bundle, batch grading."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from checker import (
    GradeRequest,
    Learner,
    RubricError,
    Snapshot,
    SnapshotError,
    Status,
    Timeline,
    TimelineError,
    grade,
    grade_batch,
    load_manifest_dir,
    load_rubric,
    print_result,
    result_json,
    scaffolding_hashes,
    take_snapshot,
    write_bundle,
)
from checker.manifests import MANIFEST_SUFFIXES
from checker.timeline import WORKDIR_TIMELINE
from clusters.backend import default_state_dir, read_backend_record
from labs.catalog import LabNotFound, find_lab

__all__ = ["register"]

_STATE = ".rollout-lab"


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser("check", help="check your lab work (live, or --static)")
    _common(check)
    check.add_argument("--json", type=Path, help="also write result.json here")
    check.set_defaults(handler=_check)

    submit = subparsers.add_parser("submit", help="check and write a submission bundle (zip)")
    _common(submit)
    submit.add_argument("--out", type=Path, help="bundle path (default: <lab>-submission.zip)")
    for flag in ("--learner-id", "--name", "--sis-user-id", "--sis-login-id", "--section"):
        submit.add_argument(flag, default="")
    submit.set_defaults(handler=_submit)

    batch = subparsers.add_parser("grade", help="re-grade submission bundles offline (instructor)")
    batch.add_argument("lab", help="lab id, e.g. canary-analysis")
    batch.add_argument("bundles", nargs="+", type=Path, help="bundle zips")
    batch.add_argument("--out", type=Path, required=True, help="output folder for reports")
    batch.add_argument("--jobs", type=int, default=4, help="worker processes (default 4)")
    batch.add_argument("--timeout", type=float, default=30.0, help="seconds per bundle")
    batch.set_defaults(handler=_grade)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lab", help="lab id, e.g. canary-analysis")
    parser.add_argument("--dir", type=Path, default=Path("."), help="folder with your manifests")
    parser.add_argument("--static", action="store_true", help="manifest checks only, no cluster")
    parser.add_argument("--kubeconfig", default=None, help="kubeconfig of the lab cluster")
    parser.add_argument("--namespace", default=None, help="lab namespace (default: the lab's)")
    parser.add_argument(
        "--deadline", type=float, default=None, help="seconds to wait for the cluster"
    )


def _attempts(directory: Path) -> dict[str, int]:
    path = directory / _STATE / "attempts.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return (
        {str(k): int(v) for k, v in data.items() if isinstance(v, int)}
        if isinstance(data, dict)
        else {}
    )


def _save_attempts(directory: Path, attempts: dict[str, int]) -> None:
    state = directory / _STATE
    try:
        state.mkdir(exist_ok=True)
        (state / "attempts.json").write_text(json.dumps(attempts, indent=2), encoding="utf-8")
    except OSError:
        pass  # a read-only folder only costs the hint ladder


def _timeline(directory: Path) -> Timeline | None:
    path = directory / WORKDIR_TIMELINE
    if not path.is_file():
        return None
    try:
        return Timeline.from_jsonl(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, TimelineError) as error:
        print(f"timeline not used: {error}", file=sys.stderr)
        return None


def _recorded_backend() -> tuple[str, str | None, str]:
    """(backend name, kubeconfig path, time scale) that `rollout-lab up` recorded, if any."""
    recorded = read_backend_record(default_state_dir())
    if recorded is None:
        return "", None, ""
    name, options = recorded
    kubeconfig = str(options.kubeconfig) if options.kubeconfig else None
    return name, kubeconfig, "" if options.time_scale is None else str(options.time_scale)


def _snapshot_source(args: argparse.Namespace, namespace: str) -> Callable[[], Snapshot]:
    backend, recorded_kubeconfig, _ = _recorded_backend()
    kubeconfig = args.kubeconfig or recorded_kubeconfig

    def source() -> Snapshot:
        try:
            from kubernetes import config

            api_client = config.new_client_from_config(config_file=kubeconfig)
        except Exception as error:  # any kubeconfig problem means "no cluster yet"
            raise SnapshotError(
                f"no usable kubeconfig ({type(error).__name__}); start the lab cluster "
                "(`make lab`) or pass --kubeconfig, or use --static",
                retry=False,
            ) from error
        try:
            return take_snapshot(api_client, namespace, backend=backend or "unknown")
        finally:
            api_client.close()

    return source


def _run_check(args: argparse.Namespace) -> tuple[Any, Any]:
    folder = find_lab(args.lab)
    rubric = load_rubric(folder)
    namespace = args.namespace or rubric.namespace
    rubric.namespace = namespace
    attempts = _attempts(args.dir)
    backend, _, time_scale = _recorded_backend()
    request = GradeRequest(
        rubric=rubric,
        environment={
            "backend": "none" if args.static else backend or "unknown",
            "time_scale": time_scale,
        },
        mode="static" if args.static else "cluster",
        manifests=load_manifest_dir(args.dir),
        hint_levels=attempts,
        source=str(args.dir),
        deadline_seconds=args.deadline,
    )
    if not args.static:
        request.snapshot_source = _snapshot_source(args, namespace)
        timeline = _timeline(args.dir)
        request.timeline_source = (lambda: timeline) if timeline else None
    result = grade(request)
    for check in result.checks:
        if check.status is Status.FAILED:
            attempts[check.id] = attempts.get(check.id, 0) + 1
    _save_attempts(args.dir, attempts)
    return rubric, result


def _exit_code(result: Any) -> int:
    if any(c.status is Status.FAILED for c in result.checks):
        return 1
    return 0 if result.gradable else 2


def _check(args: argparse.Namespace) -> int:
    try:
        _, result = _run_check(args)
    except (LabNotFound, RubricError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print_result(result)
    if args.json:
        args.json.write_text(result_json(result), encoding="utf-8")
    return _exit_code(result)


def _submit(args: argparse.Namespace) -> int:
    try:
        rubric, result = _run_check(args)
    except (LabNotFound, RubricError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    learner = Learner(args.learner_id, args.name, args.sis_user_id, args.sis_login_id, args.section)
    result.learner = learner
    manifests = {
        p.relative_to(args.dir).as_posix(): p.read_bytes()[:1_000_001]
        for p in sorted(args.dir.rglob("*"))
        if p.suffix.lower() in MANIFEST_SUFFIXES
        and p.is_file()
        and not p.is_symlink()
        and _STATE not in p.parts
    }
    snapshot = None
    if not args.static:
        try:
            snapshot = _snapshot_source(args, rubric.namespace)()
        except SnapshotError as error:
            print(f"no cluster snapshot in the bundle: {error}", file=sys.stderr)
    out = args.out or Path(f"{rubric.id}-submission.zip")
    write_bundle(
        out,
        lab=rubric.id,
        learner=learner,
        manifests=manifests,
        snapshot=snapshot,
        timeline=_timeline(args.dir),
        result=result,
        lab_files=scaffolding_hashes(find_lab(args.lab), rubric.scaffolding),
    )
    print_result(result)
    print(f"bundle written: {out}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    try:
        folder = find_lab(args.lab)
        load_rubric(folder)
    except (LabNotFound, RubricError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    console = Console()
    summary = grade_batch(folder, args.bundles, args.out, jobs=args.jobs, timeout=args.timeout)
    data = json.loads(summary.outputs["summary"].read_text(encoding="utf-8"))
    table = Table(title=f"{args.lab}: {data['submissions']} submissions in {data['seconds']}s")
    for column in ("check", "passed", "failed", "undecided", "pass rate"):
        table.add_column(column)
    for row in data["checks"]:
        rate = "–" if row["pass_rate"] is None else f"{row['pass_rate']:.0%}"
        table.add_row(
            row["check_id"], str(row["passed"]), str(row["failed"]), str(row["undecided"]), rate
        )
    console.print(table)
    console.print(f"errors: {data['errors']}; reports in {args.out}")
    return 0
