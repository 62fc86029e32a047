"""The Rollout controller of the embedded cluster (upstream v1.9.1 rollout/controller.go and
context.go): one level-triggered pass per Rollout, driven by watches on Rollouts and on the
ReplicaSets, AnalysisRuns, Services and AnalysisTemplates they use.

Not supported (named in the README's limitations): traffic routing, experiments, workloadRef,
anti-affinity, ephemeral metadata, step plugins, header/mirror routes, Eviction/PDBs.
"""

from __future__ import annotations

import logging
from typing import Any

from clusters.embedded.controllers.base import Controller, Key, Watched
from clusters.embedded.controllers.podutil import controller_of
from clusters.embedded.events import EventRecorder
from clusters.embedded.rollouts import events as ev
from clusters.embedded.rollouts.analysis import load_analysis_runs
from clusters.embedded.rollouts.bluegreen import rollout_bluegreen, sync_replicas_only_bluegreen
from clusters.embedded.rollouts.canary import reconcile_canary_replicasets, rollout_canary
from clusters.embedded.rollouts.context import (
    ANALYSISRUNS,
    ANALYSISTEMPLATES,
    CLUSTERANALYSISTEMPLATES,
    REPLICASETS,
    ROLLOUTS,
    SERVICES,
    RolloutPass,
)
from clusters.embedded.rollouts.pause import is_aborted
from clusters.embedded.rollouts.replicasets import (
    DESIRED_REPLICAS,
    classify,
    create_new_rs,
    has_deadline,
    rs_available,
    rs_spec,
    sync_revision,
)
from clusters.embedded.rollouts.services import referenced_services, release_services
from clusters.embedded.rollouts.spec_validation import validate_rollout
from clusters.embedded.rollouts.status import check_paused_conditions, invalid_spec, persist
from clusters.embedded.status import ApiError

__all__ = ["INVALID_SPEC_REQUEUE_SECONDS", "RolloutController"]

log = logging.getLogger(__name__)
INVALID_SPEC_REQUEUE_SECONDS = 20.0


def _owner_keys(obj: dict[str, Any]) -> list[Key]:
    ref = controller_of(obj)
    if ref and ref.get("kind") == "Rollout":
        return [Key(obj["metadata"].get("namespace", ""), ref["name"])]
    return []


class RolloutController(Controller):
    name = "rollouts-controller"
    primary = ROLLOUTS
    resync_seconds = 15 * 60.0

    def __init__(self, store: Any, clock: Any) -> None:
        super().__init__(store, clock)
        self.recorder = EventRecorder(store, clock, "rollouts-controller")
        self._seen: dict[Key, dict[str, Any]] = {}
        self.watched = (
            Watched(REPLICASETS, _owner_keys),
            Watched(ANALYSISRUNS, _owner_keys),
            Watched(SERVICES, self._service_keys),
            Watched(ANALYSISTEMPLATES, self._namespace_keys),
        )

    # -- watch mappers -----------------------------------------------------------------------
    def _rollouts_in(self, namespace: str | None) -> list[dict[str, Any]]:
        try:
            return list(self.store.list(ROLLOUTS, namespace).items)
        except ApiError:
            return []

    def _namespace_keys(self, obj: dict[str, Any]) -> list[Key]:
        namespace = obj["metadata"].get("namespace", "")
        return [Key(namespace, ro["metadata"]["name"]) for ro in self._rollouts_in(namespace)]

    def _service_keys(self, obj: dict[str, Any]) -> list[Key]:
        namespace = obj["metadata"].get("namespace", "")
        name = obj["metadata"]["name"]
        return [
            Key(namespace, ro["metadata"]["name"])
            for ro in self._rollouts_in(namespace)
            if name in referenced_services(ro)
        ]

    # -- reconcile ---------------------------------------------------------------------------
    async def reconcile(self, key: Key) -> float | None:
        try:
            rollout = self.store.get(ROLLOUTS, key.namespace, key.name)
        except ApiError as error:
            if error.code != 404:
                raise
            known = self._seen.pop(key, None)
            release_services(self.store, key.namespace, key.name)
            if known is not None:
                event = ev.rollout_deleted(key.name, key.namespace)
                self.recorder.emit(known, event.type, event.reason, event.message)
            return None
        meta = rollout["metadata"]
        if meta.get("deletionTimestamp"):
            return None
        known = self._seen.get(key)
        if known is None or known["metadata"].get("uid") != meta.get("uid"):
            event = ev.rollout_added_to_informer(key.namespace, key.name)
            self.recorder.emit(rollout, event.type, event.reason, event.message)
        self._seen[key] = {"apiVersion": rollout["apiVersion"], "kind": "Rollout", "metadata": meta}
        p = RolloutPass(self.store, self.clock, self.recorder, rollout)
        return sync_rollout(p)


def _validation_message(p: RolloutPass) -> str | None:
    services = {s["metadata"]["name"]: s for s in p.store.list(SERVICES, p.namespace).items}
    templates = {
        t["metadata"]["name"]: t for t in p.store.list(ANALYSISTEMPLATES, p.namespace).items
    }
    cluster_templates = {
        t["metadata"]["name"]: t for t in p.store.list(CLUSTERANALYSISTEMPLATES, None).items
    }
    return validate_rollout(
        p.rollout, services=services, templates=templates, cluster_templates=cluster_templates
    )


def _is_scaling_event(p: RolloutPass) -> bool:
    for rs in (p.new_rs, p.stable_rs):
        if rs is None or rs_spec(rs) <= 0:
            continue
        desired = (rs["metadata"].get("annotations") or {}).get(DESIRED_REPLICAS)
        if desired is not None and desired != str(p.replicas):
            return True
    return False


def _sync_replicas_only(p: RolloutPass) -> None:
    import copy

    sync_revision(p)
    if p.strategy == "blueGreen":
        status = sync_replicas_only_bluegreen(p)
    else:
        reconcile_canary_replicasets(p)
        status = copy.deepcopy(p.status)
        status["availableReplicas"] = sum(rs_available(rs) for rs in p.all_rs)
        status["HPAReplicas"] = sum(
            int((rs.get("status") or {}).get("replicas") or 0) for rs in p.all_rs
        )
    persist(p, status)


def sync_rollout(p: RolloutPass) -> float | None:
    """One pass (syncHandler + newRolloutContext + reconcile); returns the requeue delay."""
    classify(p)
    load_analysis_runs(p)
    message = _validation_message(p)
    if message is not None:
        invalid_spec(p, message)
        return INVALID_SPEC_REQUEUE_SECONDS
    release_services(p.store, p.namespace, p.name, keep=referenced_services(p.rollout))
    if p.new_rs is None:
        create_new_rs(p)
    p.new_rs_was_delayed = has_deadline(p.new_rs)
    stable = p.status.get("stableRS")
    if stable and stable == p.status.get("currentPodHash") and is_aborted(p):
        p.remove_abort = True
    if p.spec.get("replicas") is None:
        p.rollout["spec"]["replicas"] = 1
        p.store.update(ROLLOUTS, p.rollout)
        return None
    check_paused_conditions(p)
    if _is_scaling_event(p):
        _sync_replicas_only(p)
    elif p.strategy == "blueGreen":
        rollout_bluegreen(p)
    else:
        rollout_canary(p)
    return p.requeue
