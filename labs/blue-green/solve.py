"""Reference path of the blue-green lab: v1 active; v2 on preview, probed, promoted; v3 on
preview, probed, aborted (users stay on v2).

`solve(session)` is called by `rollout-lab lab solve blue-green` and the notebook's skip-ahead
cell (labs/runtime/lifecycle.py loads this file by path); `session` is a `LabSession`.
"""

from __future__ import annotations

import time
from typing import Any

ACTIVE, PREVIEW = "agent-active", "agent-preview"


def _release_to_preview(session: Any, version: str, timeout: float) -> dict[str, int]:
    """Set the new image, wait until it waits in preview, and probe the preview Service until
    the new version answers (the Service's endpoints can lag the pause by a moment)."""
    session.release(version)
    session.wait_phase("Paused", timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        answers = dict(session.probe(PREVIEW, requests=5))
        if answers.get(version) or time.monotonic() > deadline:
            return answers
        time.sleep(0.5)


def solve(session: Any, *, timeout: float = 120, traffic: bool = True) -> None:
    """Drive the lab to its end state: v2 promoted after a preview check, v3 aborted."""
    session.workspace.use_solution()
    applied = session.apply()
    if not applied.ok:
        raise RuntimeError(f"kubectl apply failed:\n{applied.text()}")
    session.wait_phase("Healthy", timeout=timeout)
    if traffic:
        session.start_traffic(rps=8, service=ACTIVE)
        session.wait_for_traffic()
    _release_to_preview(session, "v2", timeout)
    session.action("promote")
    session.wait_phase("Healthy", timeout=timeout)
    _release_to_preview(session, "v3", timeout)
    session.action("abort")
    session.wait_phase("Degraded", timeout=timeout, abort=True)
