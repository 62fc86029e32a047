"""Deployment controller: RollingUpdate (maxSurge/maxUnavailable) and Recreate as upstream,
revision annotations so `kubectl rollout status|history|undo deployment` work, progress
deadlines, proportional scaling and revision-history cleanup."""

from __future__ import annotations

import copy
from typing import Any

from clusters.embedded.controllers.base import Controller, Key, Watched
from clusters.embedded.controllers.deployment_status import sync_status
from clusters.embedded.controllers.intorpercent import resolve_fenceposts
from clusters.embedded.controllers.podutil import (
    controller_of,
    label_selector_matches,
    owner_reference,
    template_hash,
    templates_equal_ignoring_hash,
)
from clusters.embedded.controllers.replicaset import admit_created
from clusters.embedded.events import EventRecorder
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError

__all__ = ["DeploymentController"]

DEPLOYMENTS = find_plural("apps", "v1", "deployments")
REPLICASETS = find_plural("apps", "v1", "replicasets")
PODS = find_plural("", "v1", "pods")

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
_NOT_COPIED = {
    "kubectl.kubernetes.io/last-applied-configuration",
    REVISION,
    REVISION_HISTORY,
    DESIRED,
    MAX_REPLICAS,
    "deprecated.deployment.rollback.to",
}


def _replicas(obj: dict[str, Any]) -> int:
    value = obj.get("spec", {}).get("replicas")
    return 1 if value is None else int(value)


def _revision(rs: dict[str, Any]) -> int:
    try:
        return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def _rs_owner_keys(rs: dict[str, Any]) -> list[Key]:
    ref = controller_of(rs)
    if ref and ref.get("kind") == "Deployment":
        return [Key(rs["metadata"].get("namespace", ""), ref["name"])]
    return []


class DeploymentController(Controller):
    name = "deployment-controller"
    primary = DEPLOYMENTS
    watched = (Watched(REPLICASETS, _rs_owner_keys),)

    def __init__(self, store: Any, clock: Any) -> None:
        super().__init__(store, clock)
        self.recorder = EventRecorder(store, clock, "deployment-controller")

    # -- entry -------------------------------------------------------------------------------
    async def reconcile(self, key: Key) -> float | None:
        try:
            deployment = self.store.get(DEPLOYMENTS, key.namespace, key.name)
        except ApiError as error:
            if error.code == 404:
                return None
            raise
        if deployment["metadata"].get("deletionTimestamp"):
            return None
        all_rs = self._claim_replicasets(deployment)
        spec = deployment.get("spec", {})
        if spec.get("paused") or self._is_scaling_event(deployment, all_rs):
            new_rs, old = self._new_and_old(deployment, all_rs, create=False)
            self._scale(deployment, new_rs, old)
            return self._finish(deployment, new_rs, old)
        if (spec.get("strategy") or {}).get("type") == "Recreate":
            return self._recreate(deployment, all_rs)
        return self._rolling(deployment, all_rs)

    def _finish(
        self, deployment: dict[str, Any], new_rs: dict[str, Any] | None, old: list[dict[str, Any]]
    ) -> float | None:
        fresh = self._refresh_all(deployment, new_rs, old)
        return sync_status(self, deployment, fresh[0], fresh[1])

    def _refresh_all(
        self, deployment: dict[str, Any], new_rs: dict[str, Any] | None, old: list[dict[str, Any]]
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        ns = deployment["metadata"]["namespace"]

        def fresh(rs: dict[str, Any]) -> dict[str, Any] | None:
            try:
                return self.store.get(REPLICASETS, ns, rs["metadata"]["name"])
            except ApiError:
                return None

        new_fresh = fresh(new_rs) if new_rs else None
        old_fresh = [rs for rs in (fresh(rs) for rs in old) if rs is not None]
        return new_fresh, old_fresh

    # -- replica sets ------------------------------------------------------------------------
    def _claim_replicasets(self, deployment: dict[str, Any]) -> list[dict[str, Any]]:
        uid = deployment["metadata"]["uid"]
        selector = deployment.get("spec", {}).get("selector")
        owned = []
        for rs in self.store.list(REPLICASETS, deployment["metadata"]["namespace"]).items:
            ref = controller_of(rs)
            if ref is not None:
                if ref.get("uid") == uid:
                    owned.append(rs)
                continue
            labels = rs["metadata"].get("labels") or {}
            if not rs["metadata"].get("deletionTimestamp") and label_selector_matches(
                selector, labels
            ):
                rs["metadata"].setdefault("ownerReferences", []).append(owner_reference(deployment))
                owned.append(self.store.update(REPLICASETS, rs))
        return owned

    def _new_and_old(
        self, deployment: dict[str, Any], all_rs: list[dict[str, Any]], *, create: bool
    ) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        template = deployment.get("spec", {}).get("template") or {}
        ordered = sorted(all_rs, key=lambda rs: rs["metadata"].get("creationTimestamp", ""))
        new_rs = next(
            (
                rs
                for rs in ordered
                if templates_equal_ignoring_hash(rs.get("spec", {}).get("template") or {}, template)
            ),
            None,
        )
        old = [rs for rs in all_rs if rs is not new_rs]
        max_old = max((_revision(rs) for rs in old), default=0)
        if new_rs is not None:
            new_rs = self._sync_revision(deployment, new_rs, max_old + 1)
        elif create:
            new_rs = self._create_replicaset(deployment, all_rs, max_old + 1)
        self._set_deployment_revision(deployment, new_rs)
        return new_rs, old

    def _sync_revision(
        self, deployment: dict[str, Any], rs: dict[str, Any], wanted: int
    ) -> dict[str, Any]:
        annotations = rs["metadata"].setdefault("annotations", {})
        changed = False
        current = _revision(rs)
        if current < wanted:
            if current > 0:
                history = [h for h in annotations.get(REVISION_HISTORY, "").split(",") if h]
                annotations[REVISION_HISTORY] = ",".join([*history, str(current)])
            annotations[REVISION] = str(wanted)
            changed = True
        changed |= self._copy_annotations(deployment, rs)
        return self.store.update(REPLICASETS, rs) if changed else rs

    def _copy_annotations(self, deployment: dict[str, Any], rs: dict[str, Any]) -> bool:
        source = deployment["metadata"].get("annotations") or {}
        target = rs["metadata"].setdefault("annotations", {})
        changed = False
        for key, value in source.items():
            if key not in _NOT_COPIED and target.get(key) != value:
                target[key] = value
                changed = True
        return changed

    def _set_deployment_revision(
        self, deployment: dict[str, Any], new_rs: dict[str, Any] | None
    ) -> None:
        if new_rs is None:
            return
        revision = (new_rs["metadata"].get("annotations") or {}).get(REVISION)
        annotations = deployment["metadata"].setdefault("annotations", {})
        if revision and annotations.get(REVISION) != revision:
            annotations[REVISION] = revision
            updated = self.store.update(DEPLOYMENTS, deployment)
            deployment["metadata"] = updated["metadata"]

    def _create_replicaset(
        self, deployment: dict[str, Any], all_rs: list[dict[str, Any]], revision: int
    ) -> dict[str, Any]:
        spec = deployment.get("spec", {})
        template = copy.deepcopy(spec.get("template") or {})
        collisions = int((deployment.get("status") or {}).get("collisionCount", 0) or 0)
        pod_hash = template_hash(template, collisions or None)
        template.setdefault("metadata", {}).setdefault("labels", {})["pod-template-hash"] = pod_hash
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})["pod-template-hash"] = pod_hash
        surge, _ = self._fenceposts(deployment)
        annotations = {
            key: value
            for key, value in (deployment["metadata"].get("annotations") or {}).items()
            if key not in _NOT_COPIED
        }
        annotations.update(
            {
                REVISION: str(revision),
                DESIRED: str(_replicas(deployment)),
                MAX_REPLICAS: str(_replicas(deployment) + surge),
            }
        )
        name = f"{deployment['metadata']['name']}-{pod_hash}"
        replicas = self._new_rs_replicas(deployment, all_rs, None)
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": name,
                "namespace": deployment["metadata"]["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": annotations,
                "ownerReferences": [owner_reference(deployment)],
            },
            "spec": {
                "replicas": replicas,
                "minReadySeconds": int(spec.get("minReadySeconds", 0) or 0),
                "selector": selector,
                "template": template,
            },
        }
        try:
            created = self.store.create(REPLICASETS, admit_created(REPLICASETS, rs))
        except ApiError as error:
            if error.code != 409:
                raise
            return self._adopt_or_collide(deployment, name)
        self._set_progressing(
            deployment, "True", "NewReplicaSetCreated", f'Created new replica set "{name}"'
        )
        if replicas > 0:
            self.recorder.emit(
                deployment,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {name} from 0 to {replicas}",
            )
        return created

    def _adopt_or_collide(self, deployment: dict[str, Any], name: str) -> dict[str, Any]:
        """An RS with the hash name exists: ours (same template after defaulting) is the new
        RS; anyone else's is a hash collision, resolved by bumping collisionCount as upstream."""
        existing = self.store.get(REPLICASETS, deployment["metadata"]["namespace"], name)
        ref = controller_of(existing)
        if ref is not None and ref.get("uid") == deployment["metadata"]["uid"]:
            return existing
        fresh = self.store.get(
            DEPLOYMENTS, deployment["metadata"]["namespace"], deployment["metadata"]["name"]
        )
        status = fresh.setdefault("status", {})
        status["collisionCount"] = int(status.get("collisionCount", 0) or 0) + 1
        self.store.update(DEPLOYMENTS, fresh, subresource="status")
        raise ApiError(
            {"code": 409, "reason": "AlreadyExists", "message": f"hash collision on {name}"}
        )

    def _set_progressing(
        self, deployment: dict[str, Any], status: str, reason: str, message: str
    ) -> None:
        from clusters.embedded.controllers.deployment_status import set_condition

        fresh = self.store.get(
            DEPLOYMENTS, deployment["metadata"]["namespace"], deployment["metadata"]["name"]
        )
        body = fresh.setdefault("status", {})
        set_condition(body, "Progressing", status, reason, message, self.clock.stamp())
        self.store.update(DEPLOYMENTS, fresh, subresource="status")

    def _fenceposts(self, deployment: dict[str, Any]) -> tuple[int, int]:
        strategy = deployment.get("spec", {}).get("strategy") or {}
        if strategy.get("type") == "Recreate":
            return 0, 0
        rolling = strategy.get("rollingUpdate") or {}
        replicas = _replicas(deployment)
        surge, unavailable = resolve_fenceposts(
            rolling.get("maxSurge"), rolling.get("maxUnavailable"), replicas
        )
        return surge, min(unavailable, replicas)

    def scale_replicaset(
        self, deployment: dict[str, Any], rs: dict[str, Any], replicas: int
    ) -> dict[str, Any]:
        """Set an RS's size and the desired/max annotations; record ScalingReplicaSet."""
        old = int(rs.get("spec", {}).get("replicas", 0) or 0)
        surge, _ = self._fenceposts(deployment)
        annotations = rs["metadata"].setdefault("annotations", {})
        wanted = {
            DESIRED: str(_replicas(deployment)),
            MAX_REPLICAS: str(_replicas(deployment) + surge),
        }
        if old == replicas and all(annotations.get(k) == v for k, v in wanted.items()):
            return rs
        annotations.update(wanted)
        rs["spec"]["replicas"] = replicas
        updated = self.store.update(REPLICASETS, rs)
        if old != replicas:
            direction = "up" if replicas > old else "down"
            self.recorder.emit(
                deployment,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {rs['metadata']['name']} from {old} to {replicas}",
            )
        return updated

    # -- strategies --------------------------------------------------------------------------
    def _new_rs_replicas(
        self,
        deployment: dict[str, Any],
        all_rs: list[dict[str, Any]],
        new_rs: dict[str, Any] | None,
    ) -> int:
        replicas = _replicas(deployment)
        strategy = (deployment.get("spec", {}).get("strategy") or {}).get("type")
        current_new = int(new_rs.get("spec", {}).get("replicas", 0) or 0) if new_rs else 0
        if strategy == "Recreate":
            return replicas
        surge, _ = self._fenceposts(deployment)
        current = sum(int(rs.get("spec", {}).get("replicas", 0) or 0) for rs in all_rs)
        max_total = replicas + surge
        if current >= max_total:
            return current_new
        scale_up = min(max_total - current, replicas - current_new)
        return current_new + max(scale_up, 0)

    def _rolling(self, deployment: dict[str, Any], all_rs: list[dict[str, Any]]) -> float | None:
        new_rs, old = self._new_and_old(deployment, all_rs, create=True)
        assert new_rs is not None
        replicas = _replicas(deployment)
        new_size = int(new_rs.get("spec", {}).get("replicas", 0) or 0)
        every = [new_rs, *old]
        if new_size != replicas:
            target = (
                replicas
                if new_size > replicas
                else self._new_rs_replicas(deployment, every, new_rs)
            )
            if target != new_size:
                self.scale_replicaset(deployment, new_rs, target)
                return self._finish(deployment, new_rs, old)
        if self._reconcile_old(deployment, new_rs, old):
            return self._finish(deployment, new_rs, old)
        new_fresh, old_fresh = self._refresh_all(deployment, new_rs, old)
        if new_fresh is not None and self._complete(deployment, new_fresh, old_fresh):
            self._cleanup(deployment, old_fresh)
        return self._finish(deployment, new_rs, old)

    def _reconcile_old(
        self, deployment: dict[str, Any], new_rs: dict[str, Any], old: list[dict[str, Any]]
    ) -> bool:
        def size(rs: dict[str, Any]) -> int:
            return int(rs.get("spec", {}).get("replicas", 0) or 0)

        def available(rs: dict[str, Any]) -> int:
            return int((rs.get("status") or {}).get("availableReplicas", 0) or 0)

        if sum(size(rs) for rs in old) == 0:
            return False
        replicas = _replicas(deployment)
        _, max_unavailable = self._fenceposts(deployment)
        min_available = replicas - max_unavailable
        all_pods = size(new_rs) + sum(size(rs) for rs in old)
        new_unavailable = size(new_rs) - available(new_rs)
        max_scaled_down = all_pods - min_available - new_unavailable
        if max_scaled_down <= 0:
            return False
        changed = False
        oldest_first = sorted(old, key=lambda rs: rs["metadata"].get("creationTimestamp", ""))
        cleaned = 0
        for index, rs in enumerate(oldest_first):  # unhealthy replicas go first
            if cleaned >= max_scaled_down:
                break
            if size(rs) == 0 or size(rs) == available(rs):
                continue
            count = min(max_scaled_down - cleaned, size(rs) - available(rs))
            oldest_first[index] = self.scale_replicaset(deployment, rs, size(rs) - count)
            cleaned += count
            changed = True
        available_total = available(new_rs) + sum(available(rs) for rs in oldest_first)
        budget = available_total - min_available
        scaled = 0
        for rs in oldest_first:
            if scaled >= budget:
                break
            if size(rs) == 0:
                continue
            count = min(size(rs), budget - scaled)
            self.scale_replicaset(deployment, rs, size(rs) - count)
            scaled += count
            changed = True
        return changed

    def _recreate(self, deployment: dict[str, Any], all_rs: list[dict[str, Any]]) -> float | None:
        new_rs, old = self._new_and_old(deployment, all_rs, create=False)
        active_old = [rs for rs in old if int(rs.get("spec", {}).get("replicas", 0) or 0) > 0]
        if active_old:
            for rs in active_old:
                self.scale_replicaset(deployment, rs, 0)
            return self._finish(deployment, new_rs, old)
        old_uids = {rs["metadata"]["uid"] for rs in old}
        for pod in self.store.list(PODS, deployment["metadata"]["namespace"]).items:
            ref = controller_of(pod)
            if ref and ref.get("uid") in old_uids:
                return self._finish(deployment, new_rs, old)  # wait for old pods to go
        if new_rs is None:
            new_rs = self._create_replicaset(deployment, all_rs, self._max_revision(old) + 1)
            self._set_deployment_revision(deployment, new_rs)
        else:
            self.scale_replicaset(deployment, new_rs, _replicas(deployment))
        new_fresh, old_fresh = self._refresh_all(deployment, new_rs, old)
        if new_fresh is not None and self._complete(deployment, new_fresh, old_fresh):
            self._cleanup(deployment, old_fresh)
        return self._finish(deployment, new_rs, old)

    @staticmethod
    def _max_revision(replicasets: list[dict[str, Any]]) -> int:
        return max((_revision(rs) for rs in replicasets), default=0)

    # -- scaling events ----------------------------------------------------------------------
    def _is_scaling_event(self, deployment: dict[str, Any], all_rs: list[dict[str, Any]]) -> bool:
        wanted = str(_replicas(deployment))
        for rs in all_rs:
            if int(rs.get("spec", {}).get("replicas", 0) or 0) == 0:
                continue
            desired = (rs["metadata"].get("annotations") or {}).get(DESIRED)
            if desired is not None and desired != wanted:
                return True
        return False

    def _scale(
        self, deployment: dict[str, Any], new_rs: dict[str, Any] | None, old: list[dict[str, Any]]
    ) -> None:
        replicas = _replicas(deployment)
        every = [rs for rs in [new_rs, *old] if rs is not None]
        active = [rs for rs in every if int(rs.get("spec", {}).get("replicas", 0) or 0) > 0]
        if len(active) <= 1:
            target = active[0] if active else (new_rs or (max(old, key=_revision) if old else None))
            if target is not None:
                self.scale_replicaset(deployment, target, replicas)
            return
        if new_rs is not None and int(new_rs["spec"].get("replicas", 0) or 0) == replicas:
            for rs in old:
                self.scale_replicaset(deployment, rs, 0)
            return
        surge, _ = self._fenceposts(deployment)
        allowed = replicas + surge if replicas > 0 else 0
        current = sum(int(rs["spec"].get("replicas", 0) or 0) for rs in active)
        to_add = allowed - current
        active.sort(key=lambda rs: int(rs["spec"].get("replicas", 0) or 0), reverse=to_add > 0)
        added = 0
        targets: dict[str, int] = {}
        for rs in active:
            size = int(rs["spec"].get("replicas", 0) or 0)
            annotated = int((rs["metadata"].get("annotations") or {}).get(MAX_REPLICAS, 0) or 0)
            if replicas == 0 or annotated == 0:
                fraction = -size if replicas == 0 else 0
            else:
                fraction = round(size * allowed / annotated) - size
            room = to_add - added
            share = min(fraction, room) if to_add > 0 else max(fraction, room)
            targets[rs["metadata"]["name"]] = size + share
            added += share
        if active and added != to_add:
            first = active[0]["metadata"]["name"]
            targets[first] = targets[first] + (to_add - added)
        for rs in active:
            self.scale_replicaset(deployment, rs, max(0, targets[rs["metadata"]["name"]]))

    # -- completion and history --------------------------------------------------------------
    def _complete(
        self, deployment: dict[str, Any], new_rs: dict[str, Any], old: list[dict[str, Any]]
    ) -> bool:
        replicas = _replicas(deployment)
        status = new_rs.get("status") or {}
        old_pods = sum(int((rs.get("status") or {}).get("replicas", 0) or 0) for rs in old)
        return (
            int(new_rs.get("spec", {}).get("replicas", 0) or 0) == replicas
            and int(status.get("availableReplicas", 0) or 0) == replicas
            and old_pods == 0
        )

    def _cleanup(self, deployment: dict[str, Any], old: list[dict[str, Any]]) -> None:
        limit = deployment.get("spec", {}).get("revisionHistoryLimit")
        limit = 10 if limit is None else int(limit)
        idle = [
            rs
            for rs in old
            if int(rs.get("spec", {}).get("replicas", 0) or 0) == 0
            and int((rs.get("status") or {}).get("replicas", 0) or 0) == 0
            and not rs["metadata"].get("deletionTimestamp")
        ]
        idle.sort(key=_revision)
        for rs in idle[: max(0, len(idle) - limit)]:
            try:
                self.store.delete(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])
            except ApiError as error:
                if error.code != 404:
                    raise
