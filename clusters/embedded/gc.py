"""Deletion semantics: finalizers, owner-reference garbage collection, namespace cascade.

Everything runs synchronously inside the store's lock, so one `delete` call leaves the store
settled: Background removes the owner and then its dependents (those with no other live
owner), Foreground marks the owner with the `foregroundDeletion` finalizer and removes it
once its dependents are gone, Orphan strips the owner's references from its dependents.
A finalizer other than these keeps the object (with deletionTimestamp) until an update
empties `metadata.finalizers`; whatever was waiting on it then proceeds.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from clusters.embedded.clock import format_timestamp
from clusters.embedded.resources import ResourceType
from clusters.embedded.status import ApiError, not_found, status_body
from clusters.embedded.store_db import clone
from clusters.embedded.store_errors import (
    forbidden,
    rv_precondition_failed,
    uid_precondition_failed,
)

if TYPE_CHECKING:
    from clusters.embedded.store import ObjKey, Store, TypeKey

__all__ = [
    "EVENTS",
    "FOREGROUND",
    "ORPHAN",
    "EventExpiry",
    "after_create",
    "after_remove",
    "delete",
    "expire_events",
    "namespace_terminating",
    "ready_to_remove",
]

ORPHAN = "orphan"
FOREGROUND = "foregroundDeletion"
_NAMESPACES: TypeKey = ("", "namespaces")
_PODS: TypeKey = ("", "pods")
_NODES: TypeKey = ("", "nodes")
EVENTS: TypeKey = ("", "events")
_POLICIES = ("Foreground", "Background", "Orphan")
_PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")


class EventExpiry:
    """Core/v1 Events go `ttl` real seconds after their last write, like the apiserver's 1 h
    etcd lease for events; without it a long lab session piles up controller events."""

    def __init__(self, ttl: float | None) -> None:
        self.ttl = ttl
        self._written: dict[ObjKey, float] = {}
        self._next_sweep = 0.0

    def touched(self, key: ObjKey) -> None:
        if self.ttl is not None:
            self._written[key] = time.monotonic()

    def forget(self, key: ObjKey) -> None:
        self._written.pop(key, None)

    def due(self) -> list[ObjKey]:
        """Expired keys, checked at most every quarter TTL (and at most every minute)."""
        now = time.monotonic()
        if self.ttl is None or now < self._next_sweep:
            return []
        self._next_sweep = now + min(60.0, self.ttl / 4)
        return [key for key, at in self._written.items() if now - at >= self.ttl]


def expire_events(store: Store) -> None:
    """Remove the Events whose time to live has run out (DELETED events, as a lease expiry)."""
    for key in store._event_expiry.due():
        event = store._raw(EVENTS, key)
        if event is not None:
            store._remove(EVENTS, event)


def namespace_terminating(ns: dict[str, Any]) -> bool:
    return bool(
        ns["metadata"].get("deletionTimestamp")
        or (ns.get("status") or {}).get("phase") == "Terminating"
    )


def ready_to_remove(tk: TypeKey, obj: dict[str, Any]) -> bool:
    """Being deleted and nothing (finalizer, namespace content) holds it any more."""
    meta = obj["metadata"]
    if not meta.get("deletionTimestamp") or meta.get("finalizers"):
        return False
    if meta.get("deletionGracePeriodSeconds"):
        return False  # a pod in graceful termination: its kubelet deletes it with grace 0
    return tk != _NAMESPACES or not (obj.get("spec") or {}).get("finalizers")


def delete(
    store: Store,
    rt: ResourceType,
    key: ObjKey,
    *,
    policy: str | None,
    preconditions: dict[str, Any],
    dry_run: bool,
    grace_period_seconds: int | None,
) -> dict[str, Any]:
    """Delete one object per `DeleteOptions`; returns its state after the call."""
    tk = (rt.group, rt.plural)
    stored = store._raw(tk, key)
    if stored is None:
        raise not_found(rt, key[1])
    meta = stored["metadata"]
    if preconditions.get("uid") and preconditions["uid"] != meta["uid"]:
        raise uid_precondition_failed(rt, key[1], preconditions["uid"], meta["uid"])
    wanted_rv = preconditions.get("resourceVersion")
    if wanted_rv and wanted_rv != meta["resourceVersion"]:
        raise rv_precondition_failed(rt, key[1], wanted_rv, meta["resourceVersion"])
    if policy is not None and policy not in _POLICIES:
        raise _bad_policy(policy)
    if tk == _NAMESPACES and key[1] in _PROTECTED_NAMESPACES:
        raise forbidden(rt, key[1], "this namespace may not be deleted")
    new = clone(stored)
    new_meta = new["metadata"]
    finalizers = _with_policy(list(new_meta.get("finalizers") or []), policy)
    if finalizers:
        new_meta["finalizers"] = finalizers
    else:
        new_meta.pop("finalizers", None)
    if tk == _NAMESPACES:
        new["status"] = {**(new.get("status") or {}), "phase": "Terminating"}
    grace = _grace_seconds(store, tk, stored, grace_period_seconds)
    current_grace = new_meta.get("deletionGracePeriodSeconds")
    if not new_meta.get("deletionTimestamp") or (current_grace and grace < current_grace):
        if not new_meta.get("deletionTimestamp") and "generation" in new_meta:
            new_meta["generation"] += 1
        moment = store.clock.now() + timedelta(seconds=grace)
        new_meta["deletionTimestamp"] = format_timestamp(moment)
        new_meta["deletionGracePeriodSeconds"] = grace
    if dry_run:
        return new
    if ready_to_remove(tk, new) and tk != _NAMESPACES:
        return store._remove(tk, new, stored)
    if new != stored:
        store._put(tk, new, stored)
    if tk == _NAMESPACES:
        _empty_namespace(store, key[1])
    else:
        _process_gc_finalizers(store, tk, key)
    return store._raw(tk, key) or _last_state(store, tk, key, new)


def after_create(store: Store, tk: TypeKey, obj: dict[str, Any]) -> None:
    """A dependent created for owners that are all gone is collected at once (as the GC would)."""
    refs = obj["metadata"].get("ownerReferences") or []
    uids = [ref.get("uid") for ref in refs if ref.get("uid")]
    if uids and all(uid not in store._by_uid for uid in uids):
        store._remove(tk, _marked_deleting(store, obj))


def after_remove(store: Store, tk: TypeKey, final: dict[str, Any]) -> None:
    """Follow-ups once an object is gone: its dependents, its owners, its namespace."""
    uid = final["metadata"].get("uid")
    for dep_tk, dep_key in sorted(store._dependents.get(uid, set())):
        _collect_dependent(store, dep_tk, dep_key, uid, "Background")
    for ref in final["metadata"].get("ownerReferences") or []:
        _maybe_finish_foreground(store, ref.get("uid"))
    namespace = final["metadata"].get("namespace")
    if namespace and namespace not in store._emptying_namespaces:
        ns = store._raw(_NAMESPACES, ("", namespace))
        if ns is not None and namespace_terminating(ns):
            _maybe_finish_namespace(store, namespace)


def _grace_seconds(store: Store, tk: TypeKey, obj: dict[str, Any], requested: int | None) -> int:
    """Termination grace: only for pods bound to an existing node, and only with graceful
    deletion on (its kubelet then finishes the delete); everything else gets grace 0."""
    if tk != _PODS or not store.graceful_pod_deletion:
        return 0
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        return 0
    if store._raw(_NODES, ("", spec["nodeName"])) is None:
        return 0  # no such node, so no kubelet to finish it (upstream's pod GC force-deletes)
    if requested is not None:
        return max(0, requested)
    default = spec.get("terminationGracePeriodSeconds")
    return default if isinstance(default, int) and default >= 0 else 30


def _with_policy(finalizers: list[str], policy: str | None) -> list[str]:
    """Add/remove the GC finalizers the propagation policy asks for (None keeps them)."""
    if policy is None:
        return finalizers
    kept = [f for f in finalizers if f not in (ORPHAN, FOREGROUND)]
    if policy == "Orphan":
        kept.append(ORPHAN)
    elif policy == "Foreground":
        kept.append(FOREGROUND)
    return kept


def _process_gc_finalizers(store: Store, tk: TypeKey, key: ObjKey) -> None:
    """Act on `orphan` / `foregroundDeletion` of an object being deleted."""
    obj = store._raw(tk, key)
    if obj is None:
        return
    uid = obj["metadata"]["uid"]
    finalizers = obj["metadata"].get("finalizers") or []
    if ORPHAN in finalizers:
        for dep_tk, dep_key in sorted(store._dependents.get(uid, set())):
            _drop_owner_ref(store, dep_tk, dep_key, uid)
        _drop_finalizer(store, tk, key, ORPHAN)
    elif FOREGROUND in finalizers:
        for dep_tk, dep_key in sorted(store._dependents.get(uid, set())):
            _collect_dependent(store, dep_tk, dep_key, uid, "Foreground")
        _maybe_finish_foreground(store, uid)


def _collect_dependent(store: Store, tk: TypeKey, key: ObjKey, owner_uid: str, policy: str) -> None:
    """Delete a dependent of a deleted owner, or only drop the reference if others own it."""
    dep = store._raw(tk, key)
    if dep is None:
        return
    refs = dep["metadata"].get("ownerReferences") or []
    others = [r for r in refs if r.get("uid") != owner_uid and _live_owner(store, r.get("uid"))]
    if others:
        _drop_owner_ref(store, tk, key, owner_uid)
        return
    if dep["metadata"].get("deletionTimestamp"):
        return  # already on its way out; its own finalizers decide when
    rt = store._resource_for(tk)
    if rt is None:
        return
    dep_policy = policy if store._dependents.get(dep["metadata"]["uid"]) else "Background"
    delete(
        store,
        rt,
        key,
        policy=dep_policy,
        preconditions={},
        dry_run=False,
        grace_period_seconds=None,
    )


def _live_owner(store: Store, uid: str | None) -> bool:
    """An owner that exists and is not itself waiting for its dependents to go."""
    if not uid or uid not in store._by_uid:
        return False
    tk, key = store._by_uid[uid]
    owner = store._raw(tk, key)
    return owner is not None and FOREGROUND not in (owner["metadata"].get("finalizers") or [])


def _maybe_finish_foreground(store: Store, owner_uid: str | None) -> None:
    """Drop `foregroundDeletion` from an owner whose dependents are all gone."""
    if not owner_uid or owner_uid not in store._by_uid or store._dependents.get(owner_uid):
        return
    tk, key = store._by_uid[owner_uid]
    owner = store._raw(tk, key)
    if owner is None or FOREGROUND not in (owner["metadata"].get("finalizers") or []):
        return
    _drop_finalizer(store, tk, key, FOREGROUND)


def _drop_finalizer(store: Store, tk: TypeKey, key: ObjKey, finalizer: str) -> None:
    obj = store._raw(tk, key)
    if obj is None:
        return
    new = clone(obj)
    remaining = [f for f in new["metadata"].get("finalizers") or [] if f != finalizer]
    if remaining:
        new["metadata"]["finalizers"] = remaining
    else:
        new["metadata"].pop("finalizers", None)
    if ready_to_remove(tk, new):
        store._remove(tk, new, obj)
    else:
        store._put(tk, new, obj)


def _drop_owner_ref(store: Store, tk: TypeKey, key: ObjKey, owner_uid: str) -> None:
    obj = store._raw(tk, key)
    if obj is None:
        return
    new = clone(obj)
    refs = [r for r in new["metadata"].get("ownerReferences") or [] if r.get("uid") != owner_uid]
    if refs:
        new["metadata"]["ownerReferences"] = refs
    else:
        new["metadata"].pop("ownerReferences", None)
    store._put(tk, new, obj)


def _empty_namespace(store: Store, namespace: str) -> None:
    """Delete everything in a terminating namespace, then finish it if nothing is left."""
    store._emptying_namespaces.add(namespace)  # one emptiness check at the end, not per object
    try:
        _delete_namespace_content(store, namespace)
    finally:
        store._emptying_namespaces.discard(namespace)
    _maybe_finish_namespace(store, namespace)


def _delete_namespace_content(store: Store, namespace: str) -> None:
    for tk in sorted(store._objects):
        rt = store._resource_for(tk)
        if rt is None or not rt.namespaced:
            continue
        for key in sorted(k for k in store._objects[tk] if k[0] == namespace):
            obj = store._raw(tk, key)
            if obj is None or obj["metadata"].get("deletionTimestamp"):
                continue
            delete(
                store,
                rt,
                key,
                policy="Background",
                preconditions={},
                dry_run=False,
                grace_period_seconds=None,
            )


def _maybe_finish_namespace(store: Store, namespace: str) -> None:
    """Once a terminating namespace is empty, clear spec.finalizers and remove it if free."""
    if any(
        k[0] == namespace for tk, objs in store._objects.items() if tk != _NAMESPACES for k in objs
    ):
        return
    ns = store._raw(_NAMESPACES, ("", namespace))
    if ns is None or not ns["metadata"].get("deletionTimestamp"):
        return
    new = clone(ns)
    new.setdefault("spec", {})["finalizers"] = []
    if ready_to_remove(_NAMESPACES, new):
        store._remove(_NAMESPACES, new, ns)
    elif new != ns:
        store._put(_NAMESPACES, new, ns)


def _marked_deleting(store: Store, obj: dict[str, Any]) -> dict[str, Any]:
    new = clone(obj)
    new["metadata"]["deletionTimestamp"] = format_timestamp(store.clock.now())
    new["metadata"]["deletionGracePeriodSeconds"] = 0
    return new


def _last_state(store: Store, tk: TypeKey, key: ObjKey, fallback: dict[str, Any]) -> dict[str, Any]:
    """The DELETED snapshot of an object removed during this call."""
    for event in reversed(store._history):
        if event.type_key == tk and event.type == "DELETED":
            meta = event.obj["metadata"]
            if (meta.get("namespace") or "", meta.get("name")) == key:
                return event.obj
    return fallback


def _bad_policy(policy: str) -> ApiError:
    message = (
        f'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: '
        f'"{policy}": supported values: "Foreground", "Background", "Orphan"'
    )
    return ApiError(status_body(422, "Invalid", message, {"kind": "DeleteOptions"}))
