"""Error builders the store needs beyond `status.py`, worded as the real apiserver words them."""

from __future__ import annotations

from clusters.embedded.resources import ResourceType
from clusters.embedded.status import ApiError, bad_request, conflict, expired, status_body

__all__ = [
    "continue_expired",
    "continue_invalid",
    "forbidden",
    "namespace_terminating",
    "rv_precondition_failed",
    "uid_precondition_failed",
]


def forbidden(resource: ResourceType, name: str, detail: str) -> ApiError:
    """403: `configmaps "c" is forbidden: <detail>`."""
    details: dict[str, object] = {"name": name, "kind": resource.plural}
    if resource.group:
        details["group"] = resource.group
    message = f'{resource.qualified_name} "{name}" is forbidden: {detail}'
    return ApiError(status_body(403, "Forbidden", message, details))


def namespace_terminating(resource: ResourceType, name: str, namespace: str) -> ApiError:
    """403 for creates into a namespace that is being deleted."""
    error = forbidden(
        resource,
        name,
        f"unable to create new content in namespace {namespace} because it is being terminated",
    )
    error.status["details"]["causes"] = [
        {
            "reason": "NamespaceTerminating",
            "message": f"namespace {namespace} is being terminated",
            "field": "metadata.namespace",
        }
    ]
    return error


def uid_precondition_failed(
    resource: ResourceType, name: str, wanted: str, actual: str
) -> ApiError:
    """409 when a delete/update names a uid other than the stored object's."""
    detail = f"Precondition failed: UID in precondition: {wanted}, UID in object meta: {actual}"
    return conflict(resource, name, detail)


def rv_precondition_failed(resource: ResourceType, name: str, wanted: str, actual: str) -> ApiError:
    """409 when delete preconditions name a stale resourceVersion."""
    detail = (
        "Precondition failed: ResourceVersion in precondition: "
        f"{wanted}, ResourceVersion in object meta: {actual}"
    )
    return conflict(resource, name, detail)


def continue_invalid(reason: str) -> ApiError:
    return bad_request(f"continue key is not valid: {reason}")


def continue_expired() -> ApiError:
    """410 for a continue token older than the kept history (as after etcd compaction)."""
    return expired(
        "The provided continue parameter is too old to display a consistent list result. "
        "You can start a new list without the continue parameter."
    )
