"""The embedded API server's ASGI application: auth, body limits, routing, error rendering.

`create_app(store, clock, ...)` returns an ASGI app that serves the Kubernetes REST API over
the shared `Store`, so in-process controllers can use the same store the HTTP clients see.
Every failure is answered with a `Status`; unexpected exceptions become a short 500 and a
traceback in the server log, never a traceback on the wire.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clusters.embedded.api_messages import (
    ApiRequest,
    ApiResponse,
    ServerContext,
    StreamResponse,
    error_response,
    parse_query,
)
from clusters.embedded.clock import Clock
from clusters.embedded.negotiation import MAX_BODY_BYTES, parse_bool
from clusters.embedded.routes_logs import pod_log
from clusters.embedded.routes_meta import handle_crds, handle_special, warm_caches
from clusters.embedded.routes_objects import (
    create_object,
    delete_collection,
    delete_object,
    get_object,
    list_objects,
    patch_object,
    update_object,
)
from clusters.embedded.routes_scale import get_scale, update_scale
from clusters.embedded.routes_watch import watch_objects
from clusters.embedded.routing import ResourceRoute, SpecialRoute, parse_path
from clusters.embedded.status import ApiError, status_body

if TYPE_CHECKING:
    from clusters.embedded.store import Store

__all__ = ["ApiServer", "create_app"]

log = logging.getLogger("clusters.embedded.server")
access_log = logging.getLogger("clusters.embedded.access")

Handler = Callable[[ServerContext, ApiRequest, ResourceRoute], "ApiResponse | StreamResponse"]
_VERB_FOR_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


class _ClientGone(Exception):
    """The client disconnected before its request body arrived."""


def _method_not_allowed() -> ApiError:
    return ApiError(
        status_body(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    )


def _unauthorized() -> ApiError:
    return ApiError(status_body(401, "Unauthorized", "Unauthorized"))


def _too_large() -> ApiError:
    return ApiError(
        status_body(
            413,
            "RequestEntityTooLarge",
            f"Request entity too large: limit is {MAX_BODY_BYTES}",
        )
    )


def _check_verb(route: ResourceRoute, verb: str) -> None:
    allowed = route.resource.verbs
    if route.subresource:
        sub = route.resource.subresource(route.subresource)
        allowed = sub.verbs if sub is not None else ()
    if verb not in allowed:
        raise _method_not_allowed()


def dispatch(
    context: ServerContext, request: ApiRequest, route: ResourceRoute
) -> ApiResponse | StreamResponse:
    """Run the handler for a resource route and HTTP method."""
    method = request.method
    if route.resource.plural == "customresourcedefinitions":
        return handle_crds(context, request, route)
    if route.subresource:
        verb = "get" if method == "GET" else _VERB_FOR_METHOD.get(method, "")
        _check_verb(route, verb)
        if route.subresource == "log":
            return pod_log(context, request, route)
        if route.subresource == "scale":
            if method == "GET":
                return get_scale(context, request, route)
            return update_scale(context, request, route)
        if method == "GET":
            return get_object(context, request, route)
        if method == "PUT":
            return update_object(context, request, route, subresource=route.subresource)
        return patch_object(context, request, route, subresource=route.subresource)
    if route.name:
        verb = "get" if method == "GET" else _VERB_FOR_METHOD.get(method, "")
        if method == "GET" and parse_bool(request.param("watch")):
            verb = "watch"
        _check_verb(route, verb)
        handlers: dict[str, Handler] = {
            "get": get_object,
            "update": update_object,
            "patch": patch_object,
            "delete": delete_object,
            "watch": watch_objects,
        }
        return handlers[verb](context, request, route)
    if method == "GET":
        verb = "watch" if parse_bool(request.param("watch")) else "list"
        _check_verb(route, verb)
        return (
            watch_objects(context, request, route)
            if verb == "watch"
            else list_objects(context, request, route)
        )
    if method == "POST":
        _check_verb(route, "create")
        return create_object(context, request, route)
    if method == "DELETE":
        _check_verb(route, "deletecollection")
        return delete_collection(context, request, route)
    raise _method_not_allowed()


class ApiServer:
    """ASGI callable: one instance per served store."""

    def __init__(self, context: ServerContext, token: str | None) -> None:
        self.context = context
        self._token = token.encode("utf-8") if token else None

    def warm_caches(self) -> None:
        """Precompute OpenAPI/CRD documents; safe to run in a worker thread once serving."""
        warm_caches(self.context)

    def _authorized(self, headers: dict[str, str]) -> bool:
        if self._token is None:
            return True
        value = headers.get("authorization", "")
        scheme, _, credential = value.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(credential.strip().encode("utf-8"), self._token)

    async def _read_body(self, receive: Any, headers: dict[str, str]) -> bytes:
        declared = headers.get("content-length")
        if declared is not None:
            try:
                if int(declared) > MAX_BODY_BYTES:
                    raise _too_large()
            except ValueError:
                raise ApiError(status_body(400, "BadRequest", "invalid Content-Length")) from None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _too_large()
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _handle(
        self, scope: dict[str, Any], receive: Any, headers: dict[str, str]
    ) -> ApiResponse | StreamResponse:
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
        try:
            path_text = raw_path.decode("ascii")
        except UnicodeDecodeError:
            path_text = raw_path.decode("utf-8", errors="replace")
        route = parse_path(path_text)
        if isinstance(route, SpecialRoute) and route.kind == "health":
            return ApiResponse(200, b"ok", "text/plain; charset=utf-8")
        if not self._authorized(headers):
            raise _unauthorized()
        body = await self._read_body(receive, headers)
        request = ApiRequest(
            method=scope["method"].upper(),
            raw_path=path_text,
            query=parse_query(scope.get("query_string", b"")),
            headers=headers,
            body=body,
        )
        if isinstance(route, SpecialRoute):
            return handle_special(self.context, request, route)
        return dispatch(self.context, request, route)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        headers = {
            key.decode("latin-1").lower(): value.decode("latin-1")
            for key, value in scope.get("headers", [])
        }
        try:
            response = await self._handle(scope, receive, headers)
        except _ClientGone:
            return
        except ApiError as error:
            response = error_response(error)
        except Exception:
            log.exception("unhandled error serving %s %s", scope.get("method"), scope.get("path"))
            response = error_response(
                ApiError(
                    status_body(
                        500,
                        "InternalError",
                        "an internal error occurred; the server log has the details",
                    )
                )
            )
        if isinstance(response, StreamResponse):
            status = 200
            await _stream(response, receive, send)
        else:
            status = response.status
            await _send(send, response, head=scope.get("method") == "HEAD")
        if access_log.isEnabledFor(logging.INFO):
            query = scope.get("query_string", b"").decode("latin-1")
            access_log.info(
                "%s %s%s %d %.1fms",
                scope.get("method"),
                scope.get("path"),
                f"?{query}" if query else "",
                status,
                (time.perf_counter() - started) * 1000,
            )


def _warning_header(text: str) -> tuple[bytes, bytes]:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return b"warning", f'299 - "{escaped}"'.encode()


async def _send(send: Any, response: ApiResponse, head: bool = False) -> None:
    headers = [
        (b"content-type", response.content_type.encode("latin-1")),
        (b"content-length", str(len(response.body)).encode("ascii")),
        (b"cache-control", b"no-cache, private"),
    ]
    headers += [_warning_header(text) for text in dict.fromkeys(response.warnings)]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else response.body})


async def _stream(response: StreamResponse, receive: Any, send: Any) -> None:
    """Send chunks until the source ends, the timeout passes or the client disconnects."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", response.content_type.encode("latin-1")),
                (b"cache-control", b"no-cache, private"),
            ],
        }
    )

    async def pump() -> None:
        async for chunk in response.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def client_gone() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    pump_task = asyncio.ensure_future(pump())
    gone_task = asyncio.ensure_future(client_gone())
    try:
        done, _ = await asyncio.wait(
            {pump_task, gone_task}, timeout=response.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if pump_task in done and pump_task.exception() is not None:
            log.error("stream ended with an error", exc_info=pump_task.exception())
    finally:
        for task in (pump_task, gone_task):
            task.cancel()
        await asyncio.gather(pump_task, gone_task, return_exceptions=True)
        aclose = getattr(response.chunks, "aclose", None)
        if aclose is not None:
            try:
                await aclose()
            except Exception:
                log.exception("closing a stream failed")
    try:
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except Exception:  # the client is already gone
        log.debug("client left before the stream's end was sent")


async def _lifespan(receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(
    store: Store,
    clock: Clock,
    *,
    state_dir: Path | None = None,
    token: str | None = None,
    server_address: str = "127.0.0.1:6443",
    watch_timeout_max: float = 1800.0,
) -> ApiServer:
    """The ASGI app serving `store`. `token=None` disables auth (in-process tests only)."""
    context = ServerContext(
        store=store,
        clock=clock,
        state_dir=Path(state_dir) if state_dir is not None else None,
        server_address=server_address,
        watch_timeout_max=watch_timeout_max,
    )
    return ApiServer(context, token)
