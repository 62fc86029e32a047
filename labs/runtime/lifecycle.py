"""Lab lifecycle beyond one session: solve (the reference path), reset, and list/status.

`solve` runs `labs/<id>/solve.py`'s `solve(session)` — the lab's own script that drives the
cluster to the exercise's end state — or, for labs whose folder has none yet, the runtime's
built-in solver. `reset` puts the cluster objects and the workspace files back to the start
and keeps the learner's history.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labs.catalog import LABS_ROOT, lab_ids
from labs.runtime.progress import ProgressStore, ProgressSummary
from labs.runtime.session import LabSession
from labs.runtime.workspace import Workspace

__all__ = [
    "LabStatus",
    "find_solver",
    "lab_function",
    "lab_statuses",
    "reset_lab",
    "solve_lab",
]

Solver = Callable[[LabSession], Any]

# Lab objects a reset removes from the lab namespace (pods follow their owners).
RESET_KINDS = (
    "rollouts.argoproj.io,analysisruns.argoproj.io,analysistemplates.argoproj.io,"
    "experiments.argoproj.io,deployments,replicasets,services,jobs,pods,configmaps"
)


def lab_function(lab_id: str, name: str, labs_root: Path = LABS_ROOT) -> Callable[..., Any] | None:
    """Function `name` of `labs/<id>/solve.py` (e.g. `solve`, `stage_incident`), or None."""
    script = labs_root / lab_id / "solve.py"
    if not script.is_file():
        return None
    spec = importlib.util.spec_from_file_location(
        f"rollout_lab_solve_{lab_id.replace('-', '_')}", script
    )
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, name, None)
    return function if callable(function) else None


def find_solver(lab_id: str, labs_root: Path = LABS_ROOT) -> Solver | None:
    """`solve(session)` from `labs/<id>/solve.py`, else a built-in one, else None."""
    solver = lab_function(lab_id, "solve", labs_root)
    if solver is not None:
        return solver
    from labs.runtime.solvers import BUILTIN_SOLVERS

    return BUILTIN_SOLVERS.get(lab_id)


def solve_lab(session: LabSession) -> None:
    """Drive the lab to its end state with the reference solution (files and cluster)."""
    solver = find_solver(session.lab_id)
    if solver is None:
        raise LookupError(f"lab {session.lab_id} has no solve.py")
    session.progress.record("solve", state="started")
    solver(session)
    session.progress.record("solve", state="finished")


def reset_lab(session: LabSession, *, cluster: bool = True) -> Path | None:
    """Cluster objects and workspace files back to the start; history and hints are kept.

    Returns the folder where the previous files and timeline were archived (None if nothing).
    """
    traffic = session.traffic()
    if traffic is not None and traffic.lab == session.lab_id:
        session.stop_traffic()
    session.stop_recording()
    if cluster and session.cluster is not None:
        session.kubectl("delete", RESET_KINDS, "--all", "--ignore-not-found", "--wait=false")
    archive = session.workspace.reset_files()
    session.progress.record("reset", archive=str(archive) if archive else None)
    if session.cluster is not None:
        session.start_recording()
    return archive


@dataclass(frozen=True)
class LabStatus:
    """One row of `rollout-lab lab list`: id, title, workspace and progress."""

    lab_id: str
    title: str
    workspace: Path
    started: bool
    progress: ProgressSummary


def lab_statuses(
    workspace_root: Path | None = None, labs_root: Path = LABS_ROOT
) -> list[LabStatus]:
    """Every lab of the catalog with the learner's progress in it."""
    from checker import RubricError, load_rubric

    rows = []
    for lab_id in lab_ids(labs_root):
        workspace = Workspace.for_lab(lab_id, workspace_root, labs_root)
        try:
            title = load_rubric(workspace.lab_dir).title
        except RubricError as error:
            title = f"(lab.yaml problem: {error})"
        summary = ProgressStore(workspace.progress_dir).summary()
        rows.append(LabStatus(lab_id, title, workspace.path, workspace.path.is_dir(), summary))
    return rows
