"""Fixtures for agent tests: real uvicorn servers on free loopback ports, stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agent.app import create_app
from agent.server import ServerThread


@pytest.fixture
def serve_agent() -> Iterator[Callable[..., ServerThread]]:
    """Start `create_app(version, **kwargs)` under uvicorn; every server stops at teardown."""
    servers: list[ServerThread] = []

    def start(version: str = "v1", **kwargs: Any) -> ServerThread:
        kwargs.setdefault("request_log", None)
        server = ServerThread(create_app(version, **kwargs)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
