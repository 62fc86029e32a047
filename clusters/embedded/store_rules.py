"""The pure write rules of the store: what create stamps, what an update may change.

Kept apart from `store.py` (locking, indexes, persistence) so each rule reads on its own.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from clusters.embedded.clock import format_timestamp
from clusters.embedded.gc import namespace_terminating
from clusters.embedded.podspec import qos_class
from clusters.embedded.resources import RESOURCES, ResourceType
from clusters.embedded.status import ApiError, already_exists, bad_request, invalid, not_found
from clusters.embedded.store_db import clone
from clusters.embedded.store_errors import namespace_terminating as namespace_terminating_error

__all__ = [
    "ObjKey",
    "TypeKey",
    "check_create_namespace",
    "exists_error",
    "generate_name",
    "merge_update",
    "obj_key",
    "parse_rv",
    "required",
    "stamp_create",
    "type_key",
]

TypeKey = tuple[str, str]  # (group, plural)
ObjKey = tuple[str, str]  # (namespace or "", name)
_NAMESPACES = next(r for r in RESOURCES if (r.group, r.plural) == ("", "namespaces"))
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the apiserver's generateName alphabet


def type_key(resource: ResourceType) -> TypeKey:
    return (resource.group, resource.plural)


def obj_key(obj: dict[str, Any]) -> ObjKey:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def parse_rv(text: str) -> int:
    """A resourceVersion query value as an int, or 400."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise bad_request(f'resourceVersion: Invalid value: "{text}": must be an integer')
    return value


def required(rt: ResourceType, name: str, field: str, message: str = "Required value") -> ApiError:
    """422 `<Kind> "<name>" is invalid: <field>: Required value...`."""
    cause = {"reason": "FieldValueRequired", "message": message, "field": field}
    return invalid(rt, name, [cause])


def check_create_namespace(
    rt: ResourceType, meta: dict[str, Any], namespaces: dict[ObjKey, dict[str, Any]]
) -> str:
    """The namespace a create lands in: it must exist and not be terminating ("" if cluster
    scoped, where a namespace in the body is dropped)."""
    if not rt.namespaced:
        meta.pop("namespace", None)
        return ""
    namespace = meta.get("namespace") or ""
    if not namespace:
        raise required(rt, meta.get("name") or "", "metadata.namespace")
    ns_obj = namespaces.get(("", namespace))
    if ns_obj is None:
        raise not_found(_NAMESPACES, namespace)
    if namespace_terminating(ns_obj):
        raise namespace_terminating_error(rt, meta.get("name") or "", namespace)
    return namespace


def exists_error(rt: ResourceType, existing: dict[str, Any]) -> ApiError:
    """409 AlreadyExists, saying so when the existing object is still being deleted."""
    error = already_exists(rt, existing["metadata"]["name"])
    if existing["metadata"].get("deletionTimestamp"):
        error.status["message"] = f"object is being deleted: {error.status['message']}"
    return error


def generate_name(rt: ResourceType, prefix: str, taken: Callable[[str], bool]) -> str:
    """`prefix` + 5 random characters, retried on collision, as generateName works."""
    if not prefix:
        raise required(rt, "", "metadata.name", "Required value: name or generateName is required")
    candidate = prefix
    for _ in range(16):
        suffix = "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))
        candidate = f"{prefix[:58]}{suffix}"
        if not taken(candidate):
            return candidate
    raise already_exists(rt, candidate)


def stamp_create(rt: ResourceType, new: dict[str, Any], now: datetime) -> None:
    """Set the server-owned metadata of a new object (uid, timestamps, generation)."""
    meta = new["metadata"]
    for field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"):
        meta.pop(field, None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = format_timestamp(now)
    if "spec" in new or not rt.builtin:
        meta["generation"] = 1
    else:
        meta.pop("generation", None)
    if (rt.group, rt.plural) == ("", "namespaces"):
        # What the namespace strategy sets: phase Active, the kubernetes finalizer, name label.
        meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        new.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
        new["status"] = {"phase": "Active"}
    if (rt.group, rt.plural) == ("", "pods") and not new.get("status"):
        # What the pod strategy sets: every new pod starts Pending with its QoS class.
        new["status"] = {"phase": "Pending", "qosClass": qos_class(new.get("spec") or {})}


def merge_update(
    rt: ResourceType,
    stored: dict[str, Any],
    new: dict[str, Any],
    subresource: str | None,
) -> dict[str, Any]:
    """Apply the server-owned rules to an update: status split, immutable and owned fields."""
    if subresource == "status":
        merged = clone(stored)
        if "status" in new:
            merged["status"] = new["status"]
        else:
            merged.pop("status", None)
        return merged
    if rt.subresource("status") is not None:
        if "status" in stored:
            new["status"] = clone(stored["status"])
        else:
            new.pop("status", None)
    new["apiVersion"], new["kind"] = rt.api_version, rt.kind
    meta, stored_meta = new["metadata"], stored["metadata"]
    for field in ("name", "namespace", "uid", "creationTimestamp", "resourceVersion"):
        if field in stored_meta:
            meta[field] = stored_meta[field]
    for field in ("deletionTimestamp", "deletionGracePeriodSeconds", "generation"):
        if field in stored_meta:
            meta[field] = stored_meta[field]
        else:
            meta.pop(field, None)
    if "deletionTimestamp" in stored_meta:
        old_finalizers = stored_meta.get("finalizers") or []
        added = [f for f in meta.get("finalizers") or [] if f not in old_finalizers]
        if added:
            cause = {
                "reason": "FieldValueForbidden",
                "message": "Forbidden: no new finalizers can be added if the object is being "
                f"deleted, found new finalizers {json.dumps(added)}",
                "field": "metadata.finalizers",
            }
            raise invalid(rt, stored_meta["name"], [cause])
    if "generation" in stored_meta and _generation_changes(stored, new):
        meta["generation"] = stored_meta["generation"] + 1
    return new


def _generation_changes(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Spec changed (kinds with spec) or anything but metadata/status changed (kinds without)."""
    if "spec" in old or "spec" in new:
        return old.get("spec") != new.get("spec")
    ignore = ("metadata", "status")
    before = {k: v for k, v in old.items() if k not in ignore}
    return before != {k: v for k, v in new.items() if k not in ignore}
