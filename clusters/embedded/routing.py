"""URL parsing for the embedded API server: raw request paths to typed routes.

Paths are split on the *raw* (still percent-encoded) form, so an encoded `/` in a name can
never move a request to another resource, and names like `..` are refused up front.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from clusters.embedded.resources import ResourceType, find_plural
from clusters.embedded.status import ApiError, bad_request, status_body

__all__ = ["ResourceRoute", "SpecialRoute", "not_found_path", "parse_path", "validate_name"]

_NAME_MAX = 253
_BAD_SEGMENT = re.compile(r"[/%\x00-\x1f\x7f]")


@dataclass(frozen=True)
class SpecialRoute:
    """A non-resource endpoint: discovery, OpenAPI, health, version."""

    kind: str  # version | api | apis | group | resources | openapi | openapi_v2 | health
    group: str = ""
    version: str = ""
    rest: str = ""


@dataclass(frozen=True)
class ResourceRoute:
    """A resource URL: collection (`name` empty), object, or object subresource."""

    resource: ResourceType
    namespace: str | None  # None: cluster-scoped kind, or all namespaces for a namespaced one
    name: str = ""
    subresource: str = ""


def not_found_path() -> ApiError:
    return ApiError(
        status_body(404, "NotFound", "the server could not find the requested resource")
    )


def validate_name(name: str, what: str = "resource name") -> None:
    """Refuse names that could not be stored or would escape a path (`..`, `/`, NUL)."""
    if name in (".", ".."):
        raise bad_request(f"invalid {what} \"{name}\": [may not be '{name}']")
    if _BAD_SEGMENT.search(name):
        raise bad_request(f"invalid {what} {name!r}: [may not contain '/' or '%' or controls]")
    if len(name) > _NAME_MAX:
        raise bad_request(f"invalid {what}: must be no more than {_NAME_MAX} characters")


def _segments(raw_path: str) -> list[str]:
    parts = raw_path.split("?", 1)[0].split("/")
    if parts and parts[0] == "":
        parts = parts[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    decoded = []
    for part in parts:
        if part == "":
            raise not_found_path()
        decoded.append(unquote(part, errors="strict") if "%" in part else part)
    return decoded


def _special(parts: list[str]) -> SpecialRoute | None:
    if parts in (["readyz"], ["livez"], ["healthz"]):
        return SpecialRoute("health")
    if parts == ["version"]:
        return SpecialRoute("version")
    if parts == ["api"]:
        return SpecialRoute("api")
    if parts == ["apis"]:
        return SpecialRoute("apis")
    if parts == ["api", "v1"]:
        return SpecialRoute("resources", "", "v1")
    if len(parts) == 2 and parts[0] == "apis":
        return SpecialRoute("group", parts[1])
    if len(parts) == 3 and parts[0] == "apis":
        return SpecialRoute("resources", parts[1], parts[2])
    if parts[:1] == ["openapi"]:
        if parts[1:2] == ["v3"]:
            return SpecialRoute("openapi", rest="/".join(parts[2:]))
        return SpecialRoute("openapi_v2")
    return None


def _resource(group: str, version: str, plural: str) -> ResourceType:
    resource = find_plural(group, version, plural)
    if resource is None:
        raise not_found_path()
    return resource


def parse_path(raw_path: str) -> SpecialRoute | ResourceRoute:
    """Map a raw request path to a route, or raise a 404/400 `ApiError`."""
    try:
        parts = _segments(raw_path)
    except UnicodeDecodeError:
        raise bad_request("the request path is not valid UTF-8") from None
    special = _special(parts)
    if special is not None:
        return special
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise not_found_path()
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        candidate = find_plural(group, version, rest[2])
        if candidate is not None and candidate.namespaced:
            namespace, rest = rest[1], rest[2:]
            validate_name(namespace, "namespace name")
    resource = _resource(group, version, rest[0])
    if resource.namespaced and namespace is None and len(rest) > 1:
        # `/api/v1/pods/x` is not a route: objects of namespaced kinds need a namespace.
        raise not_found_path()
    if len(rest) > 3:
        raise not_found_path()
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if name:
        validate_name(name)
    if subresource and resource.subresource(subresource) is None:
        raise not_found_path()
    return ResourceRoute(resource, namespace, name, subresource)
