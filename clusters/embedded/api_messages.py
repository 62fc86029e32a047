"""Request and response values passed between the ASGI layer and the route handlers.

Handlers are plain functions `(ServerContext, ApiRequest, route) -> ApiResponse | StreamResponse`
so they can be unit-tested without sockets; the ASGI layer in `server.py` does all I/O.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from clusters.embedded.clock import Clock
from clusters.embedded.status import ApiError, bad_request

if TYPE_CHECKING:
    from clusters.embedded.store import Store

__all__ = [
    "ApiRequest",
    "ApiResponse",
    "ServerContext",
    "StreamResponse",
    "dump_json",
    "error_response",
    "json_response",
    "parse_query",
]


def dump_json(value: Any) -> bytes:
    """Compact JSON as the apiserver writes it (non-ASCII kept as UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class ApiRequest:
    """One decoded HTTP request (body already read and size-checked)."""

    method: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""

    def param(self, name: str, default: str = "") -> str:
        return self.query.get(name, default)

    @property
    def accept(self) -> str:
        return self.headers.get("accept", "")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass
class ApiResponse:
    """A complete response body."""

    status: int
    body: bytes
    content_type: str = "application/json"
    warnings: list[str] = field(default_factory=list)


@dataclass
class StreamResponse:
    """A chunked response (watch, follow logs) that runs until it ends, times out or the
    client goes away; `chunks` is closed in every case."""

    content_type: str
    chunks: AsyncIterator[bytes]
    timeout: float | None = None


@dataclass
class ServerContext:
    """What every handler may use: the shared store and clock plus server settings."""

    store: Store
    clock: Clock
    state_dir: Path | None
    server_address: str = "127.0.0.1:6443"
    watch_timeout_max: float = 1800.0
    cache: dict[str, Any] = field(default_factory=dict)


def parse_query(query_string: bytes) -> dict[str, str]:
    """First value per key; undecodable query strings become a 400."""
    try:
        text = query_string.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError) as error:
        raise bad_request(f"the query string could not be parsed: {error}") from None
    query: dict[str, str] = {}
    for key, value in pairs:
        query.setdefault(key, value)
    return query


def json_response(
    value: Any,
    status: int = 200,
    content_type: str = "application/json",
    warnings: list[str] | None = None,
) -> ApiResponse:
    return ApiResponse(status, dump_json(value), content_type, list(warnings or []))


def error_response(error: ApiError) -> ApiResponse:
    return ApiResponse(error.code, dump_json(error.status))
