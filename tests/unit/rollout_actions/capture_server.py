"""The embedded API server in-process (plain HTTP on loopback) behind a request recorder.

`CapturingApp` wraps the real ASGI app and records every request (method, path, query,
Content-Type, body); it can also answer chosen requests itself (a 409 conflict, a 404 for a
missing status subresource) to drive the client's retry and fallback paths.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import uvicorn

Scope = dict[str, Any]


@dataclass
class Captured:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def is_write(self) -> bool:
        return self.method in ("POST", "PUT", "PATCH", "DELETE")


Interceptor = Callable[[Captured], tuple[int, dict[str, Any]] | None]


class CapturingApp:
    """ASGI middleware: record, optionally intercept, else pass to the wrapped app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.requests: list[Captured] = []
        self.recording = True
        self.interceptors: list[Interceptor] = []

    def writes(self) -> list[Captured]:
        return [r for r in self.requests if r.is_write]

    def clear(self) -> None:
        self.requests.clear()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        captured = Captured(
            method=scope["method"],
            path=scope["path"],
            query=parse_qs(scope.get("query_string", b"").decode()),
            content_type=headers.get("content-type", ""),
            body=body,
        )
        if self.recording:
            self.requests.append(captured)
        for interceptor in list(self.interceptors):
            answer = interceptor(captured)
            if answer is not None:
                status, payload = answer
                data = json.dumps(payload).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": data})
                return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def status_error(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class ServerThread:
    """uvicorn serving an ASGI app on a free loopback port from a daemon thread."""

    def __init__(self, app: Any) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        config = uvicorn.Config(
            app, lifespan="off", log_config=None, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("in-process API server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()
