"""ASGI middleware: a request-body size cap and per-request observation (metrics, log, stats)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY_BYTES", "BodyLimitMiddleware", "ObserveMiddleware", "RequestRecord"]

MAX_BODY_BYTES = 1024 * 1024
PRIORITIES_STATE_KEY = "agent_priorities"


async def _send_json(send: Send, status: int, payload: dict[str, object]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Reject bodies over `limit` bytes with 413, by Content-Length and by counting the stream.

    The body is buffered (at most `limit` bytes) before the app sees it, so the app never
    starts on a request that later turns out too large.
    """

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    def _too_large(self) -> dict[str, object]:
        return {
            "detail": f"request body exceeds the {self.limit}-byte limit",
            "limit_bytes": self.limit,
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                declared_size = int(declared)
            except ValueError:
                await _send_json(send, 400, {"detail": "invalid Content-Length header"})
                return
            if declared_size > self.limit:
                await _send_json(send, 413, self._too_large())
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break  # client went away; let the app see an empty body
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                await _send_json(send, 413, self._too_large())
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


@dataclass
class RequestRecord:
    """What the observer saw of one request."""

    method: str
    path: str
    status: int
    latency_seconds: float
    priorities: list[str] = field(default_factory=list)


class ObserveMiddleware:
    """Time every HTTP request, tag responses with X-Agent-Version and report a record.

    The record is reported just before the last body chunk goes out, so a client that reads
    `/stats` right after its own request always sees that request counted.
    """

    def __init__(
        self, app: ASGIApp, version: str, on_finish: Callable[[RequestRecord], None]
    ) -> None:
        self.app = app
        self.version = version
        self.on_finish = on_finish

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        state = scope.setdefault("state", {})
        reported = False

        def report() -> None:
            nonlocal reported
            if reported:
                return
            reported = True
            self.on_finish(
                RequestRecord(
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    latency_seconds=time.perf_counter() - started,
                    priorities=list(state.get(PRIORITIES_STATE_KEY, [])),
                )
            )

        async def send_tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).append("x-agent-version", self.version)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                report()  # before the client can see the answer, so /stats already counts it
            await send(message)

        try:
            await self.app(scope, receive, send_tagged)
        finally:
            report()
