"""The `scale` subresource (autoscaling/v1 Scale) for deployments, replicasets and rollouts.

`kubectl scale` patches `.../scale` and needs a real `Scale` back (answering with the parent
object breaks it). Where replicas and the selector live comes from the registry's `extra`
hints (rollouts keep the selector in status), else the apps/v1 layout.
"""

from __future__ import annotations

from typing import Any

from clusters.embedded import patch
from clusters.embedded.admission_http import dry_run
from clusters.embedded.api_messages import ApiRequest, ApiResponse, ServerContext, json_response
from clusters.embedded.negotiation import (
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    decode_object,
    decode_structure,
    media_type,
)
from clusters.embedded.resources import ResourceType
from clusters.embedded.routing import ResourceRoute
from clusters.embedded.status import ApiError, bad_request, invalid, unsupported_media_type

__all__ = ["get_scale", "scale_of", "update_scale"]

_RETRIES = 5


def _path(resource: ResourceType, key: str, default: str) -> list[str]:
    return resource.extra.get(key, default).strip(".").split(".")


def _read(obj: dict[str, Any], path: list[str]) -> Any:
    value: Any = obj
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _selector_string(selector: Any) -> str:
    """A label selector object rendered as the string form (`a=b,c in (d)`)."""
    if isinstance(selector, str):
        return selector
    if not isinstance(selector, dict):
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key", ""), expression.get("operator", "")
        values = ",".join(expression.get("values") or [])
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def scale_of(resource: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """The Scale view of a scalable object."""
    meta = obj.get("metadata") or {}
    spec_replicas = _read(obj, _path(resource, "scale.spec", ".spec.replicas"))
    status_replicas = _read(obj, _path(resource, "scale.status", ".status.replicas"))
    selector = _read(obj, _path(resource, "scale.selector", ".spec.selector"))
    metadata = {
        key: meta[key]
        for key in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
        if key in meta
    }
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": metadata,
        "spec": {"replicas": spec_replicas if isinstance(spec_replicas, int) else 1},
        "status": {
            "replicas": status_replicas if isinstance(status_replicas, int) else 0,
            "selector": _selector_string(selector),
        },
    }


def get_scale(context: ServerContext, request: ApiRequest, route: ResourceRoute) -> ApiResponse:
    obj = context.store.get(route.resource, route.namespace, route.name)
    return json_response(scale_of(route.resource, obj))


def _desired_replicas(resource: ResourceType, name: str, scale: Any) -> int:
    replicas = (scale.get("spec") or {}).get("replicas") if isinstance(scale, dict) else None
    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
        raise invalid(
            resource,
            name,
            [
                {
                    "reason": "FieldValueInvalid",
                    "field": "spec.replicas",
                    "message": f"Invalid value: {replicas!r}: must be greater than or equal to 0",
                }
            ],
        )
    return replicas


def update_scale(context: ServerContext, request: ApiRequest, route: ResourceRoute) -> ApiResponse:
    """PUT or PATCH of `.../scale`: writes the replica count into the parent object."""
    resource = route.resource
    if request.method == "PATCH":
        kind = media_type(request.content_type)
        if kind not in (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH):
            raise unsupported_media_type(kind, [JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH])
        decode_structure(request.body, kind)
    else:
        kind = ""
        body = decode_object(request.body, request.content_type)
        if body.get("kind") not in (None, "Scale"):
            raise bad_request(f"expected a Scale body, got kind {body.get('kind')!r}")
    spec_path = _path(resource, "scale.spec", ".spec.replicas")
    for attempt in range(_RETRIES):
        live = context.store.get(resource, route.namespace, route.name)
        current = scale_of(resource, live)
        if kind:
            # Scale has no strategic merge keys, so merge semantics are the same for it.
            effective = MERGE_PATCH if kind == STRATEGIC_PATCH else kind
            desired = patch.apply_patch(resource, current, request.body, effective)
        else:
            desired = body
        replicas = _desired_replicas(resource, route.name, desired)
        wanted_rv = ((desired.get("metadata") or {}) if isinstance(desired, dict) else {}).get(
            "resourceVersion"
        )
        # A resourceVersion the client sent is a precondition; otherwise races are retried.
        own_rv = bool(wanted_rv) and (
            not kind or wanted_rv != current["metadata"].get("resourceVersion")
        )
        target = live
        for part in spec_path[:-1]:
            target = target.setdefault(part, {})
        target[spec_path[-1]] = replicas
        if own_rv:
            live["metadata"]["resourceVersion"] = wanted_rv
        try:
            updated = context.store.update(resource, live, dry_run=dry_run(request))
        except ApiError as error:
            if error.reason == "Conflict" and not own_rv and attempt + 1 < _RETRIES:
                continue
            raise
        return json_response(scale_of(resource, updated))
    raise AssertionError("unreachable")  # pragma: no cover
