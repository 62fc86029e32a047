"""Reference path of the all-or-nothing lab: v1 fleet with traffic, update to v3, undo.

`solve(session)` is called by `rollout-lab lab solve all-or-nothing` and the notebook's skip-ahead
cell (labs/runtime/lifecycle.py loads this file by path); `session` is a `LabSession`.
"""

from __future__ import annotations

import time
from typing import Any

DEPLOYMENT = "deployment/agent"
NEW_IMAGE = "rollout-lab/task-agent:v3"


def _run(session: Any, *args: str) -> str:
    result = session.kubectl(*args)
    if not result.ok:
        raise RuntimeError(f"kubectl {' '.join(args)} failed:\n{result.text()}")
    return str(result.text())


def wait_rolled_out(session: Any, timeout: float = 120) -> None:
    """Block until every replica of the Deployment runs the current template."""
    _run(session, "rollout", "status", DEPLOYMENT, f"--timeout={int(timeout)}s")


def solve(
    session: Any, *, timeout: float = 120, traffic: bool = True, observe_seconds: float = 4.0
) -> None:
    """Drive the lab to its end state: v3 rolled out to every pod, then undone back to v1.

    With traffic, it waits `observe_seconds` on v3 (as a learner watching the traffic view)."""
    session.workspace.use_solution()
    applied = session.apply()
    if not applied.ok:
        raise RuntimeError(f"kubectl apply failed:\n{applied.text()}")
    wait_rolled_out(session, timeout)
    if traffic:
        session.start_traffic(rps=8)
        session.wait_for_traffic()
    _run(session, "set", "image", DEPLOYMENT, f"agent={NEW_IMAGE}")
    wait_rolled_out(session, timeout)
    if traffic:
        time.sleep(observe_seconds)
    _run(session, "rollout", "undo", DEPLOYMENT)
    wait_rolled_out(session, timeout)
