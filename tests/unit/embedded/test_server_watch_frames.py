"""Watch framing over the in-process ASGI app: newline-delimited events, 410 ERROR events for
compacted resourceVersions, and the watch-list bookmark."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from clusters.embedded.clock import Clock
from clusters.embedded.resources import find_plural
from clusters.embedded.server import create_app
from clusters.embedded.store import Store

NAMESPACES = find_plural("", "v1", "namespaces")
CONFIGMAPS = find_plural("", "v1", "configmaps")


def _events(store: Store, path: str) -> list[dict[str, Any]]:
    app = create_app(store, Clock(), token=None)

    async def go() -> str:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
            response = await client.get(path)
            assert response.status_code == 200
            return response.text

    text = asyncio.run(go())
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def _store_with_configmaps(history: int) -> Store:
    store = Store(None, Clock(), watch_history=history)
    store.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "d"}})
    for index in range(4):
        store.create(
            CONFIGMAPS,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"c{index}", "namespace": "d"},
            },
        )
    return store


def test_watch_from_a_compacted_resource_version_is_a_410_error_event() -> None:
    store = _store_with_configmaps(history=2)
    (event,) = _events(store, "/api/v1/namespaces/d/configmaps?watch=1&resourceVersion=1")
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")
    assert event["object"]["kind"] == "Status"


def test_watch_resume_sends_only_newer_events_one_json_per_line() -> None:
    store = _store_with_configmaps(history=100)
    events = _events(
        store, "/api/v1/namespaces/d/configmaps?watch=true&resourceVersion=3&timeoutSeconds=1"
    )
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "c2"),
        ("ADDED", "c3"),
    ]


def test_watch_list_sends_initial_events_then_the_end_bookmark() -> None:
    store = _store_with_configmaps(history=100)
    events = _events(
        store,
        "/api/v1/namespaces/d/configmaps?watch=true&sendInitialEvents=true"
        "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1",
    )
    assert [e["type"] for e in events[:5]] == ["ADDED"] * 4 + ["BOOKMARK"]
    assert events[4]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_crd_watch_lists_the_argo_definitions_and_honours_the_timeout() -> None:
    store = Store(None, Clock())
    events = _events(
        store,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions?watch=true&timeoutSeconds=1",
    )
    names = {e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"}
    assert "rollouts.argoproj.io" in names and len(names) == 5
