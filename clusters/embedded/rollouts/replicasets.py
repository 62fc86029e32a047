"""The Rollout's ReplicaSets: finding the new/stable/other ones, creating the new one,
revision bookkeeping, scaling with the desired-replicas annotation, scale-down deadlines and
revision-history cleanup (upstream rollout/replicaset.go and parts of sync.go)."""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from clusters.embedded.clock import parse_timestamp
from clusters.embedded.controllers.podutil import (
    controller_of,
    label_selector_matches,
    owner_reference,
    strip_hash_label,
    template_hash,
)
from clusters.embedded.controllers.replicaset import admit_created
from clusters.embedded.rollouts.context import ANALYSISRUNS, REPLICASETS, ROLLOUTS, RolloutPass
from clusters.embedded.rollouts.events import new_replica_set_created, rollout_updated
from clusters.embedded.status import ApiError

__all__ = [
    "DESIRED_REPLICAS",
    "HASH_LABEL",
    "REVISION",
    "REVISION_HISTORY",
    "SCALE_DOWN_DEADLINE",
    "add_scale_down_deadline",
    "classify",
    "create_new_rs",
    "creation_key",
    "deadline_remaining",
    "has_deadline",
    "reconcile_revision_history",
    "remove_scale_down_deadline",
    "revision_of",
    "rs_available",
    "rs_hash",
    "rs_spec",
    "scale_rs",
    "sync_revision",
]

HASH_LABEL = "rollouts-pod-template-hash"
REVISION = "rollout.argoproj.io/revision"
REVISION_HISTORY = "rollout.argoproj.io/revision-history"
DESIRED_REPLICAS = "rollout.argoproj.io/desired-replicas"
SCALE_DOWN_DEADLINE = "scale-down-deadline"
_NOT_COPIED = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED_REPLICAS,
    "notified.notifications.argoproj.io",
}


def revision_of(obj: dict[str, Any] | None) -> int:
    if obj is None:
        return 0
    value = (obj["metadata"].get("annotations") or {}).get(REVISION, "0")
    return int(value) if str(value).isdigit() else 0


def rs_hash(rs: dict[str, Any] | None) -> str:
    if rs is None:
        return ""
    return str((rs["metadata"].get("labels") or {}).get(HASH_LABEL, ""))


def rs_spec(rs: dict[str, Any] | None) -> int:
    if rs is None:
        return 0
    value = (rs.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def rs_available(rs: dict[str, Any] | None) -> int:
    return int(((rs or {}).get("status") or {}).get("availableReplicas") or 0)


def creation_key(rs: dict[str, Any]) -> tuple[str, int]:
    """Creation order: the timestamp (second precision on the API), then the revision the RS
    was created with, so RSs made within one second still order as they were made."""
    annotations = rs["metadata"].get("annotations") or {}
    numbers = [annotations.get(REVISION, "0"), *annotations.get(REVISION_HISTORY, "").split(",")]
    first = min((int(n) for n in numbers if n.isdigit()), default=0)
    return str(rs["metadata"].get("creationTimestamp", "")), first


def has_deadline(rs: dict[str, Any] | None) -> bool:
    return rs is not None and SCALE_DOWN_DEADLINE in (rs["metadata"].get("annotations") or {})


@lru_cache(maxsize=256)
def _defaulted(template_json: str) -> str:
    """The template as the API server stores it inside a ReplicaSet (defaults applied)."""
    template = json.loads(template_json)
    labels = (template.get("metadata") or {}).get("labels") or {"x": "y"}
    body = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "probe", "namespace": "default"},
        "spec": {"selector": {"matchLabels": dict(labels)}, "template": template},
    }
    try:
        admitted = admit_created(REPLICASETS, body)["spec"]["template"]
    except ApiError:
        admitted = template
    return json.dumps(strip_hash_label(admitted), sort_keys=True)


def _same_template(rs_template: dict[str, Any], rollout_template: dict[str, Any]) -> bool:
    left = _defaulted(json.dumps(strip_hash_label(rs_template), sort_keys=True))
    right = _defaulted(json.dumps(strip_hash_label(rollout_template), sort_keys=True))
    return left == right


def _owned(p: RolloutPass) -> list[dict[str, Any]]:
    """RSs controlled by the rollout; matching orphans carrying the hash label are adopted."""
    uid = p.rollout["metadata"]["uid"]
    selector = p.spec.get("selector")
    owned = []
    for rs in p.store.list(REPLICASETS, p.namespace).items:
        ref = controller_of(rs)
        if ref is not None:
            if ref.get("uid") == uid:
                owned.append(rs)
            continue
        labels = rs["metadata"].get("labels") or {}
        if rs["metadata"].get("deletionTimestamp") or not label_selector_matches(selector, labels):
            continue
        rs["metadata"].setdefault("ownerReferences", []).append(owner_reference(p.rollout))
        try:
            owned.append(p.store.update(REPLICASETS, rs))
        except ApiError:
            continue
    return owned


def _collisions(p: RolloutPass) -> int | None:
    return int(p.status.get("collisionCount") or 0) or None


def classify(p: RolloutPass) -> None:
    """new RS (template hash, else semantic template equality), stable RS, other RSs."""
    p.all_rs = _owned(p)
    template = p.spec.get("template") or {}
    wanted = template_hash(template, _collisions(p))
    by_creation = sorted(p.all_rs, key=creation_key)
    p.new_rs = next((rs for rs in by_creation if rs_hash(rs) == wanted), None)
    if p.new_rs is None:
        for rs in by_creation:
            if _same_template((rs.get("spec") or {}).get("template") or {}, template):
                p.new_rs = rs
                break
    _split(p)


def _split(p: RolloutPass) -> None:
    new_uid = p.new_rs["metadata"]["uid"] if p.new_rs else None
    p.older_rs = [rs for rs in p.all_rs if rs["metadata"]["uid"] != new_uid]
    stable_hash = p.status.get("stableRS") or ""
    p.stable_rs = None
    if stable_hash:
        if p.new_rs is not None and rs_hash(p.new_rs) == stable_hash:
            p.stable_rs = p.new_rs
        else:
            p.stable_rs = next((rs for rs in p.older_rs if rs_hash(rs) == stable_hash), None)
    stable_uid = p.stable_rs["metadata"]["uid"] if p.stable_rs else None
    p.other_rs = [rs for rs in p.older_rs if rs["metadata"]["uid"] != stable_uid]


def _replace(p: RolloutPass, updated: dict[str, Any]) -> dict[str, Any]:
    """Swap a freshly written RS into every list of the pass."""
    uid = updated["metadata"]["uid"]

    def swap(rs: dict[str, Any] | None) -> dict[str, Any] | None:
        return updated if rs is not None and rs["metadata"]["uid"] == uid else rs

    p.all_rs = [swap(rs) or rs for rs in p.all_rs]
    p.older_rs = [swap(rs) or rs for rs in p.older_rs]
    p.other_rs = [swap(rs) or rs for rs in p.other_rs]
    p.new_rs = swap(p.new_rs)
    p.stable_rs = swap(p.stable_rs)
    return updated


def _update_rollout(p: RolloutPass, *, status: bool = False) -> None:
    kwargs = {"subresource": "status"} if status else {}
    p.rollout = p.store.update(ROLLOUTS, p.rollout, **kwargs)


def _set_rollout_revision(p: RolloutPass, revision: str) -> None:
    annotations = p.rollout["metadata"].setdefault("annotations", {})
    if annotations.get(REVISION) == revision:
        return
    annotations[REVISION] = revision
    _update_rollout(p)
    event = rollout_updated(revision)
    p.emit(event.type, event.reason, event.message)


def _new_rs_annotations(p: RolloutPass, existing: dict[str, str], revision: str) -> dict[str, str]:
    """Rollout annotations copied over; revision bumped, the old one kept in the history."""
    out = dict(existing)
    for key, value in (p.rollout["metadata"].get("annotations") or {}).items():
        if key not in _NOT_COPIED:
            out[key] = value
    old = out.get(REVISION, "")
    if not old.isdigit() or int(old) < int(revision):
        if old.isdigit():
            history = [h for h in out.get(REVISION_HISTORY, "").split(",") if h]
            out[REVISION_HISTORY] = ",".join([*history, old])
        out[REVISION] = revision
    out.setdefault(DESIRED_REPLICAS, str(p.replicas))
    return out


def create_new_rs(p: RolloutPass) -> None:
    """Create the RS of the current template at 0 replicas (revision = max(older) + 1)."""
    template = copy.deepcopy(p.spec.get("template") or {})
    pod_hash = template_hash(template, _collisions(p))
    template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
    selector = copy.deepcopy(p.spec.get("selector") or {})
    selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
    revision = str(max((revision_of(rs) for rs in p.older_rs), default=0) + 1)
    name = f"{p.name}-{pod_hash}"
    body = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": p.namespace,
            "labels": dict(template["metadata"]["labels"]),
            "annotations": _new_rs_annotations(p, {}, revision),
            "ownerReferences": [owner_reference(p.rollout)],
        },
        "spec": {
            "replicas": 0,
            "minReadySeconds": int(p.spec.get("minReadySeconds") or 0),
            "selector": selector,
            "template": template,
        },
    }
    try:
        created = p.store.create(REPLICASETS, admit_created(REPLICASETS, body))
    except ApiError as error:
        if error.code == 409:
            existing = p.store.get(REPLICASETS, p.namespace, name)
            ref = controller_of(existing) or {}
            if ref.get("uid") == p.rollout["metadata"]["uid"]:
                p.new_rs = existing
                p.all_rs.append(existing)
                _split(p)
                return
            p.rollout.setdefault("status", {})["collisionCount"] = (_collisions(p) or 0) + 1
            _update_rollout(p, status=True)
            raise
        message = f'Failed to create new replica set "{name}": {error}'
        p.emit("Warning", "ReplicaSetCreateError", message)
        _set_progressing(p, "False", "ReplicaSetCreateError", message)
        raise
    _set_rollout_revision(p, revision)
    event = new_replica_set_created(name, int(revision))
    p.emit(event.type, event.reason, event.message)
    _set_progressing(p, "True", "NewReplicaSetCreated", f'Created new replica set "{name}"')
    p.new_rs = created
    p.all_rs.append(created)
    _split(p)


def _set_progressing(p: RolloutPass, flag: str, reason: str, message: str) -> None:
    from clusters.embedded.rollouts.conditions import new_condition, set_condition

    status = p.rollout.setdefault("status", {})
    status.setdefault("conditions", [])
    set_condition(status, new_condition("Progressing", flag, reason, message, p.stamp()))
    _update_rollout(p, status=True)


def sync_revision(p: RolloutPass) -> None:
    """An RS that became the desired one again gets max(older)+1 and a revision-history entry;
    the rollout's revision annotation follows the new RS."""
    if p.new_rs is None:
        return
    revision = str(max((revision_of(rs) for rs in p.older_rs), default=0) + 1)
    annotations = dict(p.new_rs["metadata"].get("annotations") or {})
    wanted = _new_rs_annotations(p, annotations, revision)
    min_ready = int(p.spec.get("minReadySeconds") or 0)
    if wanted != annotations or int(p.new_rs["spec"].get("minReadySeconds") or 0) != min_ready:
        p.new_rs["metadata"]["annotations"] = wanted
        p.new_rs["spec"]["minReadySeconds"] = min_ready
        _replace(p, p.store.update(REPLICASETS, p.new_rs))
        return
    _set_rollout_revision(p, annotations.get(REVISION, revision))
    if not any(c.get("type") == "Progressing" for c in p.status.get("conditions") or []):
        name = p.new_rs["metadata"]["name"]
        _set_progressing(p, "True", "FoundNewReplicaSet", f'Found new replica set "{name}"')


def scale_rs(
    p: RolloutPass, rs: dict[str, Any], replicas: int, *, keep_deadline: bool = False
) -> bool:
    """Set an RS's size and desired-replicas annotation; True when spec.replicas changed."""
    old = rs_spec(rs)
    annotations = rs["metadata"].get("annotations") or {}
    if old == replicas and annotations.get(DESIRED_REPLICAS) == str(p.replicas):
        return False
    fresh = copy.deepcopy(rs)
    fresh["spec"]["replicas"] = replicas
    meta = fresh["metadata"].setdefault("annotations", {})
    meta[DESIRED_REPLICAS] = str(p.replicas)
    if replicas == 0 and not keep_deadline:
        meta.pop(SCALE_DOWN_DEADLINE, None)
    updated = _replace(p, p.store.update(REPLICASETS, fresh))
    if old != replicas:
        direction = "up" if replicas > old else "down"
        p.emit(
            "Normal",
            "ScalingReplicaSet",
            f"Scaled {direction} ReplicaSet {rs['metadata']['name']} "
            f"(revision {revision_of(updated)}) from {old} to {replicas}",
        )
    return old != replicas


def add_scale_down_deadline(p: RolloutPass, rs: dict[str, Any] | None, seconds: float) -> None:
    """Annotate `scale-down-deadline` = now + a cluster duration (0 removes it)."""
    if rs is None:
        return
    if seconds <= 0:
        remove_scale_down_deadline(p, rs)
        return
    fresh = copy.deepcopy(rs)
    fresh["metadata"].setdefault("annotations", {})[SCALE_DOWN_DEADLINE] = p.clock.stamp(
        p.clock.deadline(seconds)
    )
    _replace(p, p.store.update(REPLICASETS, fresh))


def remove_scale_down_deadline(p: RolloutPass, rs: dict[str, Any] | None) -> None:
    if not has_deadline(rs):
        return
    assert rs is not None
    fresh = copy.deepcopy(rs)
    fresh["metadata"]["annotations"].pop(SCALE_DOWN_DEADLINE)
    _replace(p, p.store.update(REPLICASETS, fresh))


def deadline_remaining(p: RolloutPass, rs: dict[str, Any]) -> float | None:
    """Cluster seconds until the RS's scale-down-deadline (<= 0 once passed); None if unset."""
    value = (rs["metadata"].get("annotations") or {}).get(SCALE_DOWN_DEADLINE)
    if not value:
        return None
    try:
        moment = parse_timestamp(value)
    except ValueError:
        return None
    return (moment - p.clock.now()).total_seconds() * p.clock.time_scale


def reconcile_revision_history(p: RolloutPass, others: list[dict[str, Any]]) -> None:
    """Delete fully scaled-down old RSs beyond revisionHistoryLimit, oldest first, with the
    AnalysisRuns of their pod hash."""
    limit = p.spec.get("revisionHistoryLimit")
    limit = 10 if limit is None else int(limit)
    idle = [
        rs
        for rs in others
        if rs_spec(rs) == 0 and int((rs.get("status") or {}).get("replicas") or 0) == 0
    ]
    if len(idle) <= limit:
        return
    idle.sort(key=creation_key)
    for rs in idle[: len(idle) - limit]:
        if rs["metadata"].get("deletionTimestamp"):
            continue
        try:
            p.store.delete(REPLICASETS, p.namespace, rs["metadata"]["name"])
        except ApiError as error:
            if error.code != 404:
                raise
        pod_hash = rs_hash(rs)
        for run in p.store.list(ANALYSISRUNS, p.namespace).items:
            labels = run["metadata"].get("labels") or {}
            ref = controller_of(run) or {}
            if (
                labels.get(HASH_LABEL) == pod_hash
                and ref.get("uid") == p.rollout["metadata"]["uid"]
            ):
                try:
                    p.store.delete(ANALYSISRUNS, p.namespace, run["metadata"]["name"])
                except ApiError as error:
                    if error.code != 404:
                        raise
