"""Kubernetes `Status` error bodies and the one exception type the embedded server raises.

Every non-2xx answer of the embedded API server is a `Status` built here, so messages match
the real apiserver's formats (see the table in ARCHITECTURE.md) wherever they come from.
"""

from __future__ import annotations

from typing import Any

from clusters.embedded.resources import ResourceType

__all__ = [
    "ApiError",
    "already_exists",
    "bad_request",
    "conflict",
    "expired",
    "invalid",
    "not_found",
    "status_body",
    "unsupported_media_type",
]


def status_body(
    code: int,
    reason: str,
    message: str,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A `Status` object with status Failure."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        body["details"] = details
    return body


class ApiError(Exception):
    """An API failure carrying its `Status` body; the HTTP layer answers with it as-is."""

    def __init__(self, status: dict[str, Any]) -> None:
        super().__init__(status.get("message", ""))
        self.status = status

    @property
    def code(self) -> int:
        return int(self.status["code"])

    @property
    def reason(self) -> str:
        return str(self.status.get("reason", ""))


def _details(resource: ResourceType, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": resource.plural}
    if resource.group:
        details["group"] = resource.group
    return details


def not_found(resource: ResourceType, name: str) -> ApiError:
    """`rollouts.argoproj.io "nope" not found`."""
    message = f'{resource.qualified_name} "{name}" not found'
    return ApiError(status_body(404, "NotFound", message, _details(resource, name)))


def already_exists(resource: ResourceType, name: str) -> ApiError:
    message = f'{resource.qualified_name} "{name}" already exists'
    return ApiError(status_body(409, "AlreadyExists", message, _details(resource, name)))


def conflict(resource: ResourceType, name: str, detail: str | None = None) -> ApiError:
    """The stale-resourceVersion conflict clients retry on."""
    detail = detail or (
        "the object has been modified; please apply your changes to the latest version "
        "and try again"
    )
    message = f'Operation cannot be fulfilled on {resource.qualified_name} "{name}": {detail}'
    return ApiError(status_body(409, "Conflict", message, _details(resource, name)))


def invalid(resource: ResourceType, name: str, causes: list[dict[str, str]]) -> ApiError:
    """422 Invalid: `<Kind>.<group> "<name>" is invalid: <field>: <detail>[, ...]`.

    Each cause is `{"reason", "message", "field"}` as in the apiserver's `details.causes`.
    """
    parts = [f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes]
    joined = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    message = f'{resource.kind_with_group} "{name}" is invalid: {joined}'
    details = _details(resource, name)
    details["kind"] = resource.kind
    details["causes"] = causes
    return ApiError(status_body(422, "Invalid", message, details))


def bad_request(message: str) -> ApiError:
    return ApiError(status_body(400, "BadRequest", message))


def unsupported_media_type(content_type: str, accepted: list[str]) -> ApiError:
    message = (
        f"the body of the request was in an unknown format - accepted media types include: "
        f"{', '.join(accepted)}"
    )
    if content_type:
        message = f"{content_type}: {message}"
    return ApiError(status_body(415, "UnsupportedMediaType", message))


def expired(message: str) -> ApiError:
    """410 Gone for a watch or list resumed from a compacted resourceVersion."""
    return ApiError(status_body(410, "Expired", message))
