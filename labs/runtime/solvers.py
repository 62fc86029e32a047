"""Built-in solvers for labs whose folder has no `solve.py` yet (the reference path).

A solver drives the lab from its start to the end state the rubric grades, through the same
session calls a learner's cells make: copy the solution files, apply, release, wait, roll back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labs.runtime.session import LabSession

__all__ = ["BUILTIN_SOLVERS", "solve_canary_analysis"]


def solve_canary_analysis(session: LabSession) -> None:
    """Lab 3: canary with analysis — v1 Healthy, v4 aborted by the analysis, back to v1."""
    session.workspace.use_solution()
    applied = session.apply()
    if not applied.ok:
        raise RuntimeError(f"kubectl apply failed:\n{applied.text()}")
    session.wait_phase("Healthy", timeout=90)
    session.start_traffic(rps=12)
    session.wait_for_traffic()
    session.release("v4")
    session.wait_phase("Degraded", timeout=120, abort=True)
    session.action("undo")
    session.wait_phase("Healthy", timeout=90)


BUILTIN_SOLVERS: dict[str, Callable[[LabSession], Any]] = {
    "canary-analysis": solve_canary_analysis,
}
