"""The traffic Service: on kind it takes the first published node port another lab left free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from labs.runtime import targets
from labs.runtime.cluster import LabCluster


class FakeCore:
    def __init__(self, taken: set[int]) -> None:
        self.taken = taken
        self.created: list[dict[str, Any]] = []

    def create_namespaced_service(self, namespace: str, body: dict[str, Any]) -> None:
        port = body["spec"]["ports"][0].get("nodePort")
        if port in self.taken:
            raise client.ApiException(status=422, reason="provided port is already allocated")
        self.created.append(body)


@pytest.mark.parametrize(
    ("backend", "taken", "expected"),
    [("kind", {30080}, 30081), ("kind", set(), 30080), ("embedded", {30080}, None)],
)
def test_traffic_service_node_port(
    backend: str, taken: set[int], expected: int | None, monkeypatch: pytest.MonkeyPatch
):
    core = FakeCore(taken)
    monkeypatch.setattr(targets, "_core", lambda _cluster: core)
    cluster = LabCluster(Path("/nonexistent"), backend=backend)
    targets._create_traffic_service(cluster, "lab", {"app": "agent"}, "http")
    (created,) = core.created
    assert created["spec"]["selector"] == {"app": "agent"}
    assert created["spec"]["ports"][0].get("nodePort") == expected


def test_every_kind_port_taken_is_an_error(monkeypatch: pytest.MonkeyPatch):
    core = FakeCore(set(targets.KIND_NODE_PORTS))
    monkeypatch.setattr(targets, "_core", lambda _cluster: core)
    with pytest.raises(client.ApiException):
        targets._create_traffic_service(
            LabCluster(Path("/x"), backend="kind"), "lab", {"app": "agent"}, 8080
        )
