"""The ASGI app in-process (no sockets): auth, size limits, error rendering, verbs."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
import pytest

from clusters.embedded.clock import Clock
from clusters.embedded.server import create_app
from clusters.embedded.store import Store

TOKEN = "unit-test-token"


class _ExplodingStore(Store):
    """A real store whose reads fail unexpectedly, to exercise the 500 path."""

    def get(self, rt: Any, namespace: Any, name: str) -> dict[str, Any]:
        raise RuntimeError("secret internal detail")


def _call(store: Store, method: str, path: str, **kwargs: Any) -> httpx.Response:
    app = create_app(store, Clock(), token=TOKEN)

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def _auth(**headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", **headers}


@pytest.fixture
def store() -> Store:
    return Store(None, Clock())


def test_token_is_required_except_for_health(store: Store) -> None:
    assert _call(store, "GET", "/readyz").text == "ok"
    refused = _call(store, "GET", "/api/v1/namespaces")
    assert refused.status_code == 401 and refused.json()["reason"] == "Unauthorized"
    wrong = _call(store, "GET", "/api/v1/namespaces", headers={"Authorization": "Bearer x"})
    assert wrong.status_code == 401
    basic = _call(store, "GET", "/api/v1/namespaces", headers={"Authorization": "Basic eDp5"})
    assert basic.status_code == 401
    assert _call(store, "GET", "/api/v1/namespaces", headers=_auth()).status_code == 200


def test_oversized_body_is_413(store: Store) -> None:
    big = b"{" + b" " * (3 * 1024 * 1024) + b"}"
    response = _call(store, "POST", "/api/v1/namespaces", headers=_auth(), content=big)
    assert response.status_code == 413
    assert response.json()["reason"] == "RequestEntityTooLarge"


def test_unexpected_errors_are_a_short_500_with_the_traceback_only_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="clusters.embedded.server"):
        response = _call(
            _ExplodingStore(None, Clock()), "GET", "/api/v1/namespaces/x", headers=_auth()
        )
    assert response.status_code == 500
    assert response.json()["reason"] == "InternalError"
    assert "secret internal detail" not in response.text
    assert "secret internal detail" in caplog.text


def test_verbs_outside_the_registry_are_405(store: Store) -> None:
    response = _call(store, "DELETE", "/api/v1/namespaces", headers=_auth())
    assert response.status_code == 405
    put_log = _call(store, "PUT", "/api/v1/namespaces/d/pods/p/log", headers=_auth())
    assert put_log.status_code == 405


def test_create_then_get_round_trip_in_process(store: Store) -> None:
    created = _call(
        store,
        "POST",
        "/api/v1/namespaces",
        headers=_auth(),
        json={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "unit"}},
    )
    assert created.status_code == 201
    got = _call(store, "GET", "/api/v1/namespaces/unit", headers=_auth())
    assert got.json()["metadata"]["uid"] == created.json()["metadata"]["uid"]
