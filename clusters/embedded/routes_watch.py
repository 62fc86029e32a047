"""Watch streams over HTTP: newline-delimited JSON events, optionally as one-row Tables.

The store produces the events (resume, 410 ERROR, bookmarks, the watch-list
`initial-events-end` bookmark); this module validates the query, frames each event and
converts it to a Table when `kubectl get -w` asked for one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from clusters.embedded import tables
from clusters.embedded.api_messages import ApiRequest, ServerContext, StreamResponse, dump_json
from clusters.embedded.negotiation import TABLE_TYPE, parse_bool, wants_table
from clusters.embedded.resources import ResourceType
from clusters.embedded.routing import ResourceRoute
from clusters.embedded.status import ApiError, bad_request, status_body

__all__ = ["watch_objects", "watch_timeout"]

_OBJECT_EVENTS = ("ADDED", "MODIFIED", "DELETED")


def watch_timeout(context: ServerContext, request: ApiRequest) -> float:
    """`timeoutSeconds`, capped by the server's longest watch (0 or absent: that maximum)."""
    text = request.param("timeoutSeconds")
    if not text:
        return context.watch_timeout_max
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f'invalid timeoutSeconds "{text}": must be an integer') from None
    if value < 0:
        raise bad_request(f'invalid timeoutSeconds "{text}": must not be negative')
    return float(min(value, context.watch_timeout_max)) if value else context.watch_timeout_max


def _send_initial_events(request: ApiRequest) -> bool | None:
    if "sendInitialEvents" not in request.query:
        return None
    wanted = parse_bool(request.param("sendInitialEvents"))
    if wanted and request.param("resourceVersionMatch") != "NotOlderThan":
        raise ApiError(
            status_body(
                422,
                "Invalid",
                'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: '
                "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
            )
        )
    return wanted


def watch_objects(
    context: ServerContext, request: ApiRequest, route: ResourceRoute
) -> StreamResponse:
    resource = route.resource
    timeout = watch_timeout(context, request)
    table = wants_table(request.accept)
    include = request.param("includeObject") or "Metadata"
    if include not in ("None", "Metadata", "Object"):
        raise bad_request(f'invalid includeObject value "{include}"')
    watcher = context.store.watch(
        resource,
        route.namespace,
        resource_version=request.param("resourceVersion") or None,
        label_selector=request.param("labelSelector"),
        field_selector=request.param("fieldSelector"),
        send_initial_events=_send_initial_events(request),
        allow_bookmarks=parse_bool(request.param("allowWatchBookmarks")),
        name=route.name or None,
    )
    chunks = _frames(context, watcher, resource, include if table else None)
    return StreamResponse(TABLE_TYPE if table else "application/json", chunks, timeout)


async def _frames(
    context: ServerContext, watcher: Any, resource: ResourceType, table_include: str | None
) -> AsyncIterator[bytes]:
    try:
        async for event in watcher:
            obj = event["object"]
            if table_include is not None and event["type"] in _OBJECT_EVENTS:
                rv = str((obj.get("metadata") or {}).get("resourceVersion", ""))
                obj = tables.to_table(
                    resource,
                    [obj],
                    wide=True,
                    include_object=table_include,
                    list_resource_version=rv,
                    now=context.clock.now(),
                )
            yield dump_json({"type": event["type"], "object": obj}) + b"\n"
    finally:
        await watcher.close()
