"""ReplicaSet controller: keeps `spec.replicas` pods alive, as kube-controller-manager does.

Pods get the template's labels, a `<rs>-xxxxx` name and a controller ownerReference; surplus
pods are deleted in upstream's preference order (not yet scheduled, pending, not ready, newest
first); status counts replicas, ready and available (ready for minReadySeconds) pods.
"""

from __future__ import annotations

import copy
from typing import Any

from clusters.embedded.controllers.base import Controller, Key, Watched
from clusters.embedded.controllers.podutil import (
    controller_of,
    is_active,
    is_available,
    is_ready,
    label_selector_matches,
    owner_reference,
)
from clusters.embedded.events import EventRecorder
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError

__all__ = ["ReplicaSetController", "admit_created", "create_owned_pod", "delete_owned_pod"]

REPLICASETS = find_plural("apps", "v1", "replicasets")
PODS = find_plural("", "v1", "pods")
BURST = 500


def admit_created(resource: Any, obj: dict[str, Any]) -> dict[str, Any]:
    """Apply the API server's defaulting to an object a controller creates in-process."""
    from clusters.embedded.validation import admit

    return admit(resource, obj, field_validation="Ignore", operation="CREATE").obj


def create_owned_pod(
    store: Any,
    recorder: EventRecorder,
    owner: dict[str, Any],
    extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Create a pod from the owner's `spec.template` (generateName `<owner>-`, controller
    ownerReference, API defaults) and record SuccessfulCreate, as the workload controllers do."""
    template = copy.deepcopy((owner.get("spec") or {}).get("template") or {})
    meta = template.get("metadata") or {}
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": f"{owner['metadata']['name']}-",
            "namespace": owner["metadata"]["namespace"],
            "labels": {**(meta.get("labels") or {}), **(extra_labels or {})},
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": template.get("spec") or {},
    }
    if meta.get("annotations"):
        pod["metadata"]["annotations"] = dict(meta["annotations"])
    created: dict[str, Any] = store.create(PODS, admit_created(PODS, pod))
    recorder.emit(
        owner, "Normal", "SuccessfulCreate", f"Created pod: {created['metadata']['name']}"
    )
    return created


def delete_owned_pod(
    store: Any, recorder: EventRecorder, owner: dict[str, Any], pod: dict[str, Any]
) -> None:
    """Delete one of the owner's pods and record SuccessfulDelete (a pod already gone is fine)."""
    try:
        store.delete(PODS, pod["metadata"]["namespace"], pod["metadata"]["name"])
    except ApiError as error:
        if error.code != 404:
            raise
        return
    recorder.emit(owner, "Normal", "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")


def _pod_owner_keys(pod: dict[str, Any]) -> list[Key]:
    ref = controller_of(pod)
    if ref and ref.get("kind") == "ReplicaSet":
        return [Key(pod["metadata"].get("namespace", ""), ref["name"])]
    return []


def _deletion_rank(pod: dict[str, Any]) -> tuple[int, int, int, str]:
    """Lower ranks are deleted first (upstream ActivePodsWithRanks, simplified)."""
    status = pod.get("status", {})
    scheduled = 1 if pod.get("spec", {}).get("nodeName") else 0
    phase_rank = {"Pending": 0, "Unknown": 1, "Running": 2}.get(status.get("phase", ""), 0)
    ready = 1 if is_ready(pod) else 0
    # Newer pods go first: invert the creation time by sorting on it descending later.
    return (scheduled, phase_rank, ready, pod["metadata"].get("creationTimestamp", ""))


class ReplicaSetController(Controller):
    name = "replicaset-controller"
    primary = REPLICASETS
    watched = (Watched(PODS, _pod_owner_keys),)

    def __init__(self, store: Any, clock: Any) -> None:
        super().__init__(store, clock)
        self.recorder = EventRecorder(store, clock, "replicaset-controller")

    async def reconcile(self, key: Key) -> float | None:
        try:
            rs = self.store.get(REPLICASETS, key.namespace, key.name)
        except ApiError as error:
            if error.code == 404:
                return None
            raise
        if rs["metadata"].get("deletionTimestamp"):
            return None
        pods = self._claim_pods(rs)
        active = [pod for pod in pods if is_active(pod)]
        desired = int(rs.get("spec", {}).get("replicas", 1) or 0)
        diff = len(active) - desired
        if diff < 0:
            for _ in range(min(-diff, BURST)):
                created = self._create_pod(rs)
                active.append(created)
        elif diff > 0:
            victims = sorted(active, key=_deletion_rank)
            # Within equal ranks prefer the newest pods: stable sort by reverse creation time.
            victims.sort(key=lambda p: p["metadata"].get("creationTimestamp", ""), reverse=True)
            victims.sort(key=lambda p: _deletion_rank(p)[:3])
            for pod in victims[:diff]:
                self._delete_pod(rs, pod)
                active.remove(pod)
        return self._update_status(rs, active)

    def _claim_pods(self, rs: dict[str, Any]) -> list[dict[str, Any]]:
        """Pods this RS controls, adopting matching orphans as upstream does."""
        selector = rs.get("spec", {}).get("selector")
        uid = rs["metadata"]["uid"]
        owned = []
        for pod in self.store.list(PODS, rs["metadata"]["namespace"]).items:
            ref = controller_of(pod)
            labels = pod["metadata"].get("labels") or {}
            if ref is not None:
                if ref.get("uid") == uid:
                    owned.append(pod)
                continue
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if label_selector_matches(selector, labels):
                pod["metadata"].setdefault("ownerReferences", []).append(owner_reference(rs))
                try:
                    owned.append(self.store.update(PODS, pod))
                except ApiError:
                    continue
        return owned

    def _create_pod(self, rs: dict[str, Any]) -> dict[str, Any]:
        return create_owned_pod(self.store, self.recorder, rs)

    def _delete_pod(self, rs: dict[str, Any], pod: dict[str, Any]) -> None:
        delete_owned_pod(self.store, self.recorder, rs, pod)

    def _update_status(self, rs: dict[str, Any], active: list[dict[str, Any]]) -> float | None:
        spec = rs.get("spec", {})
        min_ready = int(spec.get("minReadySeconds", 0) or 0)
        template_labels = (spec.get("template", {}).get("metadata") or {}).get("labels") or {}
        ready = [pod for pod in active if is_ready(pod)]
        available = [pod for pod in ready if is_available(pod, min_ready, self.clock)]
        fully_labeled = [
            pod
            for pod in active
            if all(
                (pod["metadata"].get("labels") or {}).get(k) == v
                for k, v in template_labels.items()
            )
        ]
        status = dict(rs.get("status") or {})
        new_status = {
            "replicas": len(active),
            "fullyLabeledReplicas": len(fully_labeled),
            "readyReplicas": len(ready),
            "availableReplicas": len(available),
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        for key in ("readyReplicas", "availableReplicas", "fullyLabeledReplicas"):
            if new_status[key] == 0:
                new_status.pop(key)  # omitempty, as the real API shows it
        kept = {k: v for k, v in status.items() if k == "conditions"}
        if {**kept, **new_status} != status:
            fresh = self.store.get(REPLICASETS, rs["metadata"]["namespace"], rs["metadata"]["name"])
            fresh["status"] = {**kept, **new_status}
            self.store.update(REPLICASETS, fresh, subresource="status")
        if min_ready > 0 and len(available) < len(ready):
            return float(min_ready)
        return None
