"""Helpers shared by the runtime tests: a recording PodReporter, pod manifests, a runner."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubernetes.client import ApiClient

from clusters.embedded.clock import Clock
from clusters.embedded.kubelet import ImageCatalog, ProcessKubelet

FIXTURE_APP = Path(__file__).with_name("runtime_fixture_app.py")
TEST_IMAGE = "test/app:v1"


class RecordingReporter:
    """PodReporter that keeps every status and event, for assertions."""

    def __init__(self) -> None:
        self.statuses: dict[str, list[dict[str, Any]]] = {}
        self.events: list[tuple[str, str, str, str]] = []
        self.terminated: list[str] = []

    def update_pod_status(self, namespace: str, name: str, uid: str, status: dict) -> None:
        self.statuses.setdefault(name, []).append(status)

    def emit_event(self, pod: dict, type_: str, reason: str, message: str) -> None:
        self.events.append((pod["metadata"]["name"], type_, reason, message))

    def pod_terminated(self, namespace: str, name: str, uid: str) -> None:
        self.terminated.append(name)

    def latest(self, name: str) -> dict[str, Any]:
        return self.statuses[name][-1]

    def container(self, name: str) -> dict[str, Any]:
        return self.latest(name)["containerStatuses"][0]

    def reasons(self, name: str) -> list[str]:
        return [reason for pod, _, reason, _ in self.events if pod == name]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s; events={self.events}")
            await asyncio.sleep(0.02)


def make_pod(
    name: str,
    image: str = TEST_IMAGE,
    *,
    port: int = 8080,
    restart_policy: str = "Always",
    grace: int | None = None,
    **container: Any,
) -> dict[str, Any]:
    """A pod manifest with one container named `app`, as the API server would hold it."""
    spec: dict[str, Any] = {
        "nodeName": "rollout-lab-node",
        "restartPolicy": restart_policy,
        "containers": [
            {"name": "app", "image": image, "ports": [{"containerPort": port}], **container}
        ],
    }
    if grace is not None:
        spec["terminationGracePeriodSeconds"] = grace
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "demo", "uid": str(uuid.uuid4())},
        "spec": spec,
    }


READY_PROBE = {"httpGet": {"path": "/readyz", "port": 8080}, "periodSeconds": 2}


def typed_status(status: dict):
    """Deserialize as the official client does (strict pydantic models)."""
    return ApiClient().deserialize(json.dumps(status), "V1PodStatus", "application/json")


def pid_of(reporter: RecordingReporter, name: str) -> int:
    return int(reporter.container(name)["containerID"].removeprefix("process://"))


def env(**values: str) -> list[dict[str, str]]:
    return [{"name": key, "value": value} for key, value in values.items()]


def run_kubelet(
    scenario, catalog: ImageCatalog, reporter: RecordingReporter, tmp_path: Path, scale=100
):
    async def main():
        kubelet = ProcessKubelet(
            clock=Clock(scale), state_dir=tmp_path, reporter=reporter, catalog=catalog
        )
        try:
            await scenario(kubelet)
        finally:
            await kubelet.shutdown()

    asyncio.run(main())
