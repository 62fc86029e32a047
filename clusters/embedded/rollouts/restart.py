"""`spec.restartAt` (kubectl argo rollouts restart): pods created before it are replaced a
few at a time, within maxUnavailable, then `status.restartedAt` records the restart as done.

Deviation: the embedded API serves no Eviction subresource or PodDisruptionBudgets, so pods
are deleted directly (upstream evicts them, which honours PDBs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clusters.embedded.clock import parse_timestamp
from clusters.embedded.controllers.podutil import controller_of, is_available
from clusters.embedded.rollouts.context import PODS, RolloutPass
from clusters.embedded.rollouts.replicas import max_unavailable
from clusters.embedded.rollouts.replicasets import rs_spec
from clusters.embedded.status import ApiError

__all__ = ["RESTART_CHECK_SECONDS", "needs_restart", "reconcile_restart"]

RESTART_CHECK_SECONDS = 30.0


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        return None


def needs_restart(p: RolloutPass) -> bool:
    """restartAt set, reached, and later than the last restart honoured."""
    restart_at = _time(p.spec.get("restartAt"))
    if restart_at is None or p.clock.now() < restart_at:
        return False
    done = _time(p.status.get("restartedAt"))
    return done is None or restart_at > done


def _rollout_pods(p: RolloutPass) -> list[dict[str, Any]]:
    uids = {rs["metadata"]["uid"] for rs in p.all_rs}
    return [
        pod
        for pod in p.store.list(PODS, p.namespace).items
        if (controller_of(pod) or {}).get("uid") in uids
    ]


def reconcile_restart(p: RolloutPass) -> int:
    """Delete up to the allowed number of pods older than restartAt; return how many."""
    restart_at = _time(p.spec.get("restartAt"))
    if restart_at is not None and p.clock.now() < restart_at:
        wait = (restart_at - p.clock.now()).total_seconds() * p.clock.time_scale
        p.requeue_after(wait)
    if not needs_restart(p):
        return 0
    assert restart_at is not None
    pods = _rollout_pods(p)
    total = sum(rs_spec(rs) for rs in p.all_rs)
    min_ready = int(p.spec.get("minReadySeconds") or 0)
    available = sum(1 for pod in pods if is_available(pod, min_ready, p.clock))
    concurrent = max(max_unavailable(p.rollout), 1)
    can_restart = available - (max(p.replicas, total) - concurrent)
    needed = restarted = 0
    for pod in pods:
        created = _time(pod["metadata"].get("creationTimestamp"))
        if created is not None and created >= restart_at:
            continue
        needed += 1
        if can_restart <= 0 or pod["metadata"].get("deletionTimestamp"):
            continue
        try:
            p.store.delete(PODS, p.namespace, pod["metadata"]["name"])
        except ApiError as error:
            if error.code not in (404, 429):
                raise
            continue
        can_restart -= 1
        restarted += 1
    if needed != restarted:
        p.requeue_after(RESTART_CHECK_SECONDS)
    else:
        p.new_status["restartedAt"] = p.spec["restartAt"]
    return restarted
