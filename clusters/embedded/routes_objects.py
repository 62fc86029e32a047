"""Object routes: get, list, create, update, patch, delete and deletecollection.

Each handler turns one request into store calls, running the schema modules (admission,
patches, tables) on the way; every failure is an `ApiError` the ASGI layer renders as `Status`.
"""

from __future__ import annotations

from typing import Any

from clusters.embedded import patch, ssa, tables
from clusters.embedded.admission_http import (
    admit,
    check_identity,
    check_new_name,
    check_type_meta,
    dry_run,
    prepare_service,
)
from clusters.embedded.allocators import ALLOCATION_LOCK
from clusters.embedded.api_messages import ApiRequest, ApiResponse, ServerContext, json_response
from clusters.embedded.negotiation import (
    JSON_PATCH,
    MERGE_PATCH,
    PATCH_TYPES,
    SSA_PATCH,
    STRATEGIC_PATCH,
    TABLE_TYPE,
    decode_object,
    decode_structure,
    media_type,
    wants_table,
)
from clusters.embedded.resources import ResourceType
from clusters.embedded.routing import ResourceRoute
from clusters.embedded.status import (
    ApiError,
    bad_request,
    status_body,
    unsupported_media_type,
)

__all__ = [
    "create_object",
    "delete_collection",
    "delete_object",
    "get_object",
    "list_objects",
    "patch_object",
    "render_objects",
    "update_object",
]

_CONFLICT_RETRIES = 5
_PROPAGATION = ("Background", "Foreground", "Orphan")


def _include_object(request: ApiRequest) -> str:
    value = request.param("includeObject") or "Metadata"
    if value not in ("None", "Metadata", "Object"):
        raise bad_request(f'invalid includeObject value "{value}": use None, Metadata or Object')
    return value


def render_objects(
    context: ServerContext,
    request: ApiRequest,
    resource: ResourceType,
    objects: list[dict[str, Any]],
    list_rv: str = "",
) -> dict[str, Any] | None:
    """A Table for `objects` when the client asked for one, else None."""
    if not wants_table(request.accept):
        return None
    return tables.to_table(
        resource,
        objects,
        wide=True,
        include_object=_include_object(request),
        list_resource_version=list_rv,
        now=context.clock.now(),
    )


def get_object(context: ServerContext, request: ApiRequest, route: ResourceRoute) -> ApiResponse:
    obj = context.store.get(route.resource, route.namespace, route.name)
    table = render_objects(context, request, route.resource, [obj])
    if table is not None:
        return json_response(table, content_type=TABLE_TYPE)
    return json_response(obj)


def _limit(request: ApiRequest) -> int | None:
    text = request.param("limit")
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f'invalid limit "{text}": must be a non-negative integer') from None
    if value < 0:
        raise bad_request(f'invalid limit "{text}": must be a non-negative integer')
    return value or None


def list_objects(context: ServerContext, request: ApiRequest, route: ResourceRoute) -> ApiResponse:
    resource = route.resource
    result = context.store.list(
        resource,
        route.namespace,
        label_selector=request.param("labelSelector"),
        field_selector=request.param("fieldSelector"),
        limit=_limit(request),
        continue_token=request.param("continue") or None,
    )
    table = render_objects(context, request, resource, result.items, result.resource_version)
    if table is not None:
        if result.continue_token:
            table["metadata"]["continue"] = result.continue_token
        return json_response(table, content_type=TABLE_TYPE)
    metadata: dict[str, Any] = {"resourceVersion": result.resource_version}
    if result.continue_token:
        metadata["continue"] = result.continue_token
        if result.remaining is not None:
            metadata["remainingItemCount"] = result.remaining
    body = {
        "kind": resource.list_kind,
        "apiVersion": resource.api_version,
        "metadata": metadata,
        "items": result.items,
    }
    return json_response(body)


def _manager(request: ApiRequest) -> str:
    """The field manager: `fieldManager`, else the User-Agent's program name (as upstream)."""
    manager = request.param("fieldManager")
    if manager:
        if len(manager) > 128:
            raise bad_request("fieldManager must not be longer than 128 characters")
        return manager
    agent = request.headers.get("user-agent", "").split("/", 1)[0].strip()
    return agent[:128] or "unknown"


def _track(
    request: ApiRequest,
    resource: ResourceType,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    subresource: str | None,
) -> dict[str, Any]:
    """Record the write in managedFields (operation Update) for non-apply writes."""
    return ssa.track_update(
        resource, old, new, manager=_manager(request), subresource=subresource or ""
    )


def _store_create(
    context: ServerContext,
    request: ApiRequest,
    resource: ResourceType,
    obj: dict[str, Any],
    warnings: list[str],
    track: bool = True,
) -> ApiResponse:
    if track:
        obj = _track(request, resource, None, obj, None)
    with ALLOCATION_LOCK:
        prepare_service(context, resource, obj, None)
        created = context.store.create(resource, obj, dry_run=dry_run(request))
    return json_response(created, 201, warnings=warnings)


def create_object(context: ServerContext, request: ApiRequest, route: ResourceRoute) -> ApiResponse:
    resource = route.resource
    if resource.namespaced and route.namespace is None:
        raise ApiError(
            status_body(404, "NotFound", "the server could not find the requested resource")
        )
    obj = decode_object(request.body, request.content_type)
    check_type_meta(resource, obj)
    check_identity(resource, obj, route.namespace, None)
    check_new_name(resource, obj)
    obj, warnings = admit(context, request, resource, obj, "CREATE")
    return _store_create(context, request, resource, obj, warnings)


def _store_update(
    context: ServerContext,
    request: ApiRequest,
    resource: ResourceType,
    obj: dict[str, Any],
    old: dict[str, Any],
    subresource: str | None,
    track: bool = True,
) -> dict[str, Any]:
    if track:
        obj = _track(request, resource, old, obj, subresource)
    with ALLOCATION_LOCK:
        if subresource is None:
            prepare_service(context, resource, obj, old)
        return context.store.update(
            resource, obj, subresource=subresource, dry_run=dry_run(request)
        )


def update_object(
    context: ServerContext,
    request: ApiRequest,
    route: ResourceRoute,
    subresource: str | None = None,
) -> ApiResponse:
    """PUT of the object (or of its `status` subresource)."""
    resource = route.resource
    obj = decode_object(request.body, request.content_type)
    check_type_meta(resource, obj)
    check_identity(resource, obj, route.namespace, route.name)
    old = context.store.get(resource, route.namespace, route.name)
    obj, warnings = admit(context, request, resource, obj, "UPDATE", old)
    updated = _store_update(context, request, resource, obj, old, subresource)
    return json_response(updated, warnings=warnings)


def _resource_version(obj: dict[str, Any]) -> Any:
    return (obj.get("metadata") or {}).get("resourceVersion")


def patch_object(
    context: ServerContext,
    request: ApiRequest,
    route: ResourceRoute,
    subresource: str | None = None,
) -> ApiResponse:
    """PATCH in any of the four patch types; retried on write races the client didn't cause."""
    resource = route.resource
    kind = media_type(request.content_type)
    if kind not in PATCH_TYPES:
        raise unsupported_media_type(kind, [JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, SSA_PATCH])
    if kind == SSA_PATCH:
        return _server_side_apply(context, request, route, subresource)
    # Parse once here so hostile bodies (deep nesting, bad JSON) fail as 400 up front.
    decode_structure(request.body, kind)
    for attempt in range(_CONFLICT_RETRIES):
        live = context.store.get(resource, route.namespace, route.name)
        patched = patch.apply_patch(resource, live, request.body, kind)
        if not isinstance(patched, dict):
            raise bad_request("the patch did not produce an object")
        check_type_meta(resource, patched)
        check_identity(resource, patched, route.namespace, route.name)
        obj, warnings = admit(context, request, resource, patched, "UPDATE", live)
        try:
            updated = _store_update(context, request, resource, obj, live, subresource)
        except ApiError as error:
            own_rv = _resource_version(patched) != _resource_version(live)
            if error.reason == "Conflict" and not own_rv and attempt + 1 < _CONFLICT_RETRIES:
                continue
            raise
        return json_response(updated, warnings=warnings)
    raise AssertionError("unreachable")  # pragma: no cover


def _server_side_apply(
    context: ServerContext,
    request: ApiRequest,
    route: ResourceRoute,
    subresource: str | None,
) -> ApiResponse:
    resource = route.resource
    manager = request.param("fieldManager")
    if not manager:
        raise ApiError(
            status_body(
                400,
                "BadRequest",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                "required for apply patch",
            )
        )
    force = request.param("force").lower() in ("true", "1")
    applied = decode_object(request.body, SSA_PATCH)
    check_type_meta(resource, applied)
    check_identity(resource, applied, route.namespace, route.name)
    for attempt in range(_CONFLICT_RETRIES):
        try:
            live: dict[str, Any] | None = context.store.get(resource, route.namespace, route.name)
        except ApiError as error:
            if error.code != 404 or subresource is not None:
                raise
            live = None
        merged = ssa.server_side_apply(
            resource, live, applied, manager=manager, force=force, subresource=subresource or ""
        )
        check_type_meta(resource, merged)
        check_identity(resource, merged, route.namespace, route.name)
        if live is None:
            check_new_name(resource, merged)
            obj, warnings = admit(context, request, resource, merged, "CREATE")
            return _store_create(context, request, resource, obj, warnings, track=False)
        obj, warnings = admit(context, request, resource, merged, "UPDATE", live)
        try:
            updated = _store_update(context, request, resource, obj, live, subresource, track=False)
        except ApiError as error:
            if error.reason == "Conflict" and attempt + 1 < _CONFLICT_RETRIES:
                continue
            raise
        return json_response(updated, warnings=warnings)
    raise AssertionError("unreachable")  # pragma: no cover


def _delete_options(request: ApiRequest) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    options = decode_object(request.body, request.content_type or "application/json")
    kind = options.get("kind")
    if kind not in (None, "DeleteOptions"):
        raise bad_request(f"expected a DeleteOptions body, got kind {kind!r}")
    return options


def _propagation(request: ApiRequest, options: dict[str, Any]) -> str | None:
    value = request.param("propagationPolicy") or options.get("propagationPolicy")
    if value in (None, ""):
        return None
    if value not in _PROPAGATION:
        raise bad_request(
            f'invalid propagationPolicy "{value}": must be Background, Foreground or Orphan'
        )
    return str(value)


def _grace_period(request: ApiRequest, options: dict[str, Any]) -> int | None:
    value: Any = request.param("gracePeriodSeconds") or options.get("gracePeriodSeconds")
    if value in (None, ""):
        return None
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise bad_request(f'invalid gracePeriodSeconds "{value}": must be an integer') from None
    if isinstance(value, bool) or seconds < 0:
        raise bad_request(f'invalid gracePeriodSeconds "{value}": must be a non-negative integer')
    return seconds


def delete_object(context: ServerContext, request: ApiRequest, route: ResourceRoute) -> ApiResponse:
    options = _delete_options(request)
    preconditions = options.get("preconditions")
    if preconditions is not None and not isinstance(preconditions, dict):
        raise bad_request("DeleteOptions.preconditions must be an object")
    deleted = context.store.delete(
        route.resource,
        route.namespace,
        route.name,
        propagation_policy=_propagation(request, options),
        preconditions=preconditions,
        dry_run=dry_run(request, options),
        grace_period_seconds=_grace_period(request, options),
    )
    return json_response(deleted)


def delete_collection(
    context: ServerContext, request: ApiRequest, route: ResourceRoute
) -> ApiResponse:
    options = _delete_options(request)
    resource = route.resource
    deleted = context.store.delete_collection(
        resource,
        route.namespace,
        label_selector=request.param("labelSelector"),
        field_selector=request.param("fieldSelector"),
        dry_run=dry_run(request, options),
    )
    body = {
        "kind": resource.list_kind,
        "apiVersion": resource.api_version,
        "metadata": {},
        "items": deleted,
    }
    return json_response(body)
