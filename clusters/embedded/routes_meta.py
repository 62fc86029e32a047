"""Non-object endpoints: health, `/version`, discovery, OpenAPI v3, and the read-only CRDs.

OpenAPI v3 documents are serialised once and addressed by a content hash in the root
document, because kubectl caches them on disk by URL; a changed document gets a new URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from clusters.embedded import crds, openapi
from clusters.embedded.api_messages import (
    ApiRequest,
    ApiResponse,
    ServerContext,
    StreamResponse,
    dump_json,
    json_response,
)
from clusters.embedded.discovery import (
    aggregated_discovery,
    api_group,
    api_group_list,
    api_resource_list,
    api_versions,
    version_info,
)
from clusters.embedded.negotiation import (
    AGGREGATED_DISCOVERY_TYPE,
    TABLE_TYPE,
    parse_bool,
    wants_aggregated_discovery,
)
from clusters.embedded.routes_objects import render_objects
from clusters.embedded.routes_watch import watch_timeout
from clusters.embedded.routing import ResourceRoute, SpecialRoute, not_found_path
from clusters.embedded.status import ApiError, not_found, status_body
from clusters.embedded.watch import bookmark

__all__ = ["handle_crds", "handle_special", "warm_caches"]

_CRD_RV = "1"


def _openapi(context: ServerContext) -> dict[str, tuple[bytes, str]]:
    cached = context.cache.get("openapi")
    if cached is None:
        cached = {}
        for key, document in openapi.openapi_documents().items():
            body = dump_json(document)
            cached[key] = (body, hashlib.sha512(body).hexdigest().upper())
        context.cache["openapi"] = cached
    return cached


def warm_caches(context: ServerContext) -> None:
    """Build the OpenAPI documents and CRDs ahead of the first request (they take a moment)."""
    _openapi(context)
    _crd_objects(context)


def _openapi_response(context: ServerContext, route: SpecialRoute) -> ApiResponse:
    documents = _openapi(context)
    if route.rest == "":
        paths = {
            key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
            for key, (_, digest) in documents.items()
        }
        return json_response({"paths": paths})
    entry = documents.get(route.rest)
    if entry is None:
        raise not_found_path()
    return ApiResponse(200, entry[0])


def handle_special(context: ServerContext, request: ApiRequest, route: SpecialRoute) -> ApiResponse:
    """Answer a discovery/health/OpenAPI request (GET only)."""
    if request.method not in ("GET", "HEAD"):
        raise ApiError(
            status_body(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            )
        )
    if route.kind == "health":
        return ApiResponse(200, b"ok", "text/plain; charset=utf-8")
    if route.kind == "version":
        return json_response(version_info())
    if route.kind in ("api", "apis"):
        core = route.kind == "api"
        if wants_aggregated_discovery(request.accept):
            return json_response(aggregated_discovery(core), content_type=AGGREGATED_DISCOVERY_TYPE)
        return json_response(api_versions(context.server_address) if core else api_group_list())
    if route.kind == "group":
        group = api_group(route.group)
        if group is None:
            raise not_found_path()
        return json_response(group)
    if route.kind == "resources":
        gv = f"{route.group}/{route.version}" if route.group else route.version
        resources = api_resource_list(gv)
        if resources is None:
            raise not_found_path()
        return json_response(resources)
    if route.kind == "openapi":
        return _openapi_response(context, route)
    raise not_found_path()  # /openapi/v2 and anything else: kubectl must not get JSON there


def _crd_objects(context: ServerContext) -> list[dict[str, Any]]:
    cached = context.cache.get("crds")
    if cached is None:
        started = context.cache.setdefault("started", context.clock.stamp())
        cached = []
        for crd in crds.argo_crds():
            meta = crd.setdefault("metadata", {})
            name = meta.get("name", "")
            meta.setdefault("uid", str(uuid.uuid5(uuid.NAMESPACE_URL, f"crd/{name}")))
            meta.setdefault("resourceVersion", _CRD_RV)
            meta.setdefault("generation", 1)
            meta.setdefault("creationTimestamp", started)
            cached.append(crd)
        context.cache["crds"] = cached
    return cached


def handle_crds(
    context: ServerContext, request: ApiRequest, route: ResourceRoute
) -> ApiResponse | StreamResponse:
    """CustomResourceDefinitions are fixed (the Argo kinds): get, list and watch only."""
    resource = route.resource
    if request.method != "GET" or route.subresource:
        raise ApiError(
            status_body(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource "
                "(the embedded cluster's CustomResourceDefinitions are read-only)",
            )
        )
    objects = _crd_objects(context)
    if route.name:
        match = [o for o in objects if o["metadata"]["name"] == route.name]
        if not match:
            raise not_found(resource, route.name)
        objects = match
    if parse_bool(request.param("watch")):
        return StreamResponse(
            "application/json",
            _crd_watch(request, resource, objects),
            watch_timeout(context, request),
        )
    if route.name:
        table = render_objects(context, request, resource, objects)
        return (
            json_response(table, content_type=TABLE_TYPE)
            if table is not None
            else json_response(objects[0])
        )
    table = render_objects(context, request, resource, objects, _CRD_RV)
    if table is not None:
        return json_response(table, content_type=TABLE_TYPE)
    return json_response(
        {
            "kind": resource.list_kind,
            "apiVersion": resource.api_version,
            "metadata": {"resourceVersion": _CRD_RV},
            "items": objects,
        }
    )


async def _crd_watch(
    request: ApiRequest, resource: Any, objects: list[dict[str, Any]]
) -> AsyncIterator[bytes]:
    rv = request.param("resourceVersion")
    initial = parse_bool(request.param("sendInitialEvents"))
    if initial or rv in ("", "0"):
        for obj in objects:
            yield dump_json({"type": "ADDED", "object": obj}) + b"\n"
    if initial:
        event = {"type": "BOOKMARK", "object": bookmark(resource, int(_CRD_RV), True)}
        yield dump_json(event) + b"\n"
    while True:  # nothing ever changes; the stream stays open until timeout or disconnect
        await asyncio.sleep(3600)
