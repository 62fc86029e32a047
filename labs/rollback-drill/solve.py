"""The rollback drill: `stage_incident(session)` puts a faulty release (v4, ~35% HTTP 500s) live
at 50% of the pods; `solve(session)` stages it if needed, then aborts and undoes.

Both are loaded from this file by path (labs/runtime/lifecycle.py `find_solver` for `solve`;
the notebook's incident cell for `stage_incident`); `session` is a `LabSession`.
"""

from __future__ import annotations

import time
from typing import Any

BAD_VERSION = "v4"
BAD_IMAGE = f"rollout-lab/task-agent:{BAD_VERSION}"
INCIDENT_STEP = 3  # the indefinite pause after setWeight 50 in starter/rollout.yaml


def _apply(session: Any) -> None:
    applied = session.apply()
    if not applied.ok:
        raise RuntimeError(f"kubectl apply failed:\n{applied.text()}")


def incident_live(session: Any) -> bool:
    """True when the faulty release is paused at 50% and nobody has aborted it yet."""
    rollout = session.rollout()
    status = rollout.get("status") or {}
    containers = rollout["spec"]["template"]["spec"].get("containers") or []
    images = [c.get("image") for c in containers]
    return (
        BAD_IMAGE in images
        and status.get("phase") == "Paused"
        and status.get("currentStepIndex") == INCIDENT_STEP
        and not status.get("abort")
    )


def stage_incident(session: Any, *, timeout: float = 120, traffic: bool = True) -> None:
    """Apply the workspace files, wait for Healthy on v1, start traffic, release v4 to 50%;
    with traffic, return once users get v4's errors (the incident is visible)."""
    _apply(session)
    session.wait_phase("Healthy", timeout=timeout)
    if traffic:
        session.start_traffic(rps=8)
        session.wait_for_traffic()
    session.release(BAD_VERSION)
    session.wait_phase("Paused", timeout=timeout, currentStepIndex=INCIDENT_STEP)
    if traffic:
        _wait_until_users_hit(session, BAD_VERSION, timeout)
    session.progress.record("incident", state="staged", image=BAD_IMAGE)


def _wait_until_users_hit(session: Any, version: str, timeout: float) -> None:
    """Wait until the lab traffic has had errors from `version`: the incident is visible."""
    from labs.runtime.traffic import read_series

    since = time.time()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        points = read_series(session.traffic_series_path(), since=since)
        if any(p.versions.get(version) and p.versions[version].errors for p in points):
            return
        time.sleep(0.25)
    raise TimeoutError(f"the traffic saw no errors from {version} within {timeout:g}s")


def solve(session: Any, *, timeout: float = 120, traffic: bool = True) -> None:
    """Drive the drill to its end state: incident staged, aborted, undone, Healthy on v1."""
    from clusters.rollouts_client import RolloutNotFound

    try:
        live = incident_live(session)
    except RolloutNotFound:
        live = False
    if not live:
        session.workspace.use_solution()
        stage_incident(session, timeout=timeout, traffic=traffic)
    session.action("abort")
    session.wait_phase("Degraded", timeout=timeout, abort=True)
    session.action("undo")
    session.wait_phase("Healthy", timeout=timeout)
