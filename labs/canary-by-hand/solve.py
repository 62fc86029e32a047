"""Reference path of the canary-by-hand lab: a Rollout on v1, release v2, promote twice.

`solve(session)` is called by `rollout-lab lab solve canary-by-hand` and the notebook's
skip-ahead cell (labs/runtime/lifecycle.py loads this file by path); `session` is a `LabSession`.
"""

from __future__ import annotations

from typing import Any

PAUSE_STEPS = (1, 3)  # step indexes of the two indefinite pauses in solution/rollout.yaml


def solve(session: Any, *, timeout: float = 120, traffic: bool = True) -> None:
    """Drive the lab to its end state: v2 promoted by hand through both pauses, Healthy."""
    session.workspace.use_solution()
    applied = session.apply()
    if not applied.ok:
        raise RuntimeError(f"kubectl apply failed:\n{applied.text()}")
    session.wait_phase("Healthy", timeout=timeout)
    if traffic:
        session.start_traffic(rps=8)
        session.wait_for_traffic()
    session.release("v2")
    for step in PAUSE_STEPS:
        session.wait_phase("Paused", timeout=timeout, currentStepIndex=step)
        session.action("promote")
    session.wait_phase("Healthy", timeout=timeout)
