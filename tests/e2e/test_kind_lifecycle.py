"""kind end to end: up -> lab manifest -> canary -> abort -> undo -> down, with the real controller.

Needs a Docker daemon (and internet for the node image and the Argo Rollouts manifest);
skipped with the reason otherwise. One cluster serves the module; `down` runs even on failure.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from clusters.kind.backend import KindBackend
from clusters.kind.config import PortMapping
from clusters.kubectl import Kubectl, wait_until
from clusters.manifests import dump_manifests, render_lab_manifests
from clusters.progress import ConsoleProgress, RecordingProgress
from clusters.runner import SubprocessRunner

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1800)]

HOST_PORT = 31080
NAMESPACE = "e2e"
ROLLOUT = "task-agent"


def lab_manifest() -> list[dict[str, Any]]:
    """A 5-replica canary (20% -> indefinite pause) and its NodePort Service."""
    labels = {"app": ROLLOUT}
    rollout = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": ROLLOUT},
        "spec": {
            "replicas": 5,
            "selector": {"matchLabels": labels},
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {}}]}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "agent",
                            "image": "rollout-lab/task-agent:v1",
                            "ports": [{"containerPort": 8080}],
                            "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}},
                        }
                    ]
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": ROLLOUT},
        "spec": {
            "type": "NodePort",
            "selector": labels,
            "ports": [{"port": 80, "targetPort": 8080, "nodePort": 30080}],
        },
    }
    return [rollout, service]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KindBackend]:
    lab = KindBackend(
        state_dir=tmp_path_factory.mktemp("kind-state"),
        cluster_name="rollout-lab-e2e",
        lab_namespace=NAMESPACE,
        ports=(PortMapping(30080, HOST_PORT),),
        runner=SubprocessRunner(),
    )
    try:
        lab.up(ConsoleProgress())
        yield lab
    finally:
        lab.down()


def rollout_status(kubectl: Kubectl) -> dict[str, Any]:
    """The Rollout's status, but only once the controller has observed the latest spec."""
    raw = kubectl("-n", NAMESPACE, "get", "rollout", ROLLOUT, "-o", "json").stdout
    rollout = json.loads(raw)
    status = rollout.get("status") or {}
    if str(status.get("observedGeneration")) != str(rollout["metadata"]["generation"]):
        return {}
    return status


def wait_phase(kubectl: Kubectl, phase: str, timeout: float = 300) -> dict[str, Any]:
    def reached() -> str | None:
        status = rollout_status(kubectl)
        return json.dumps(status) if status.get("phase") == phase else None

    return json.loads(wait_until(reached, f"Rollout phase {phase}", timeout, interval=2))


def set_image(kubectl: Kubectl, image: str) -> None:
    patch = [{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": image}]
    kubectl("-n", NAMESPACE, "patch", "rollout", ROLLOUT, "--type=json", "-p", json.dumps(patch))


def wait_served(version: str, timeout: float = 60) -> None:
    """Poll the NodePort on 127.0.0.1 until every answer in a row of 5 is `version`."""

    def answers() -> str | None:
        try:
            seen = set()
            for _ in range(5):
                url = f"http://127.0.0.1:{HOST_PORT}/version"
                with urllib.request.urlopen(url, timeout=5) as response:
                    seen.add(json.loads(response.read())["version"])
        except OSError:
            return None
        return "ok" if seen == {version} else None

    wait_until(answers, f"the NodePort to serve only {version}", timeout, interval=1)


def ready_pods(kubectl: Kubectl, pod_hash: str) -> int:
    raw = kubectl(
        "-n", NAMESPACE, "get", "pods", "-l", f"rollouts-pod-template-hash={pod_hash}", "-o", "json"
    ).stdout
    pods = json.loads(raw)["items"]
    return sum(
        1
        for pod in pods
        if any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (pod.get("status") or {}).get("conditions") or []
        )
    )


def test_up_is_idempotent(backend: KindBackend) -> None:
    progress = RecordingProgress()
    backend.up(progress)
    skipped = {event[1] for event in progress.events if event[0] == "skipped"}
    assert {"create cluster", "install Argo Rollouts", "create lab namespace"} <= skipped
    assert backend.status().state == "running"


def test_canary_abort_undo(backend: KindBackend) -> None:
    kubectl = backend.kubectl()
    documents = render_lab_manifests(lab_manifest(), backend.image_ref, backend.namespace)
    kubectl("apply", "-f", "-", input_text=dump_manifests(documents), timeout=120)

    # Given v1 fully rolled out
    stable = wait_phase(kubectl, "Healthy")
    wait_served("v1")

    # When v2 is set, Then the canary pauses at step 1 with 1 of 5 pods on v2
    set_image(kubectl, backend.image_ref("v2"))
    paused = wait_phase(kubectl, "Paused")
    assert paused["currentStepIndex"] == 1
    assert paused["currentPodHash"] != stable["stableRS"]
    wait_until(
        lambda: "ok" if ready_pods(kubectl, paused["currentPodHash"]) == 1 else None,
        "one ready canary pod",
        120,
    )

    # When aborted, Then the rollout is Degraded and canary pods go away
    kubectl(
        "-n",
        NAMESPACE,
        "patch",
        "rollout",
        ROLLOUT,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": {"abort": True}}),
    )
    degraded = wait_phase(kubectl, "Degraded")
    assert degraded.get("abort") is True
    wait_until(
        lambda: "ok" if ready_pods(kubectl, paused["currentPodHash"]) == 0 else None,
        "canary pods scaled down",
        120,
    )
    wait_served("v1")

    # When undone (back to the stable template), Then it is Healthy on v1 again
    set_image(kubectl, backend.image_ref("v1"))
    healthy = wait_phase(kubectl, "Healthy")
    assert healthy["stableRS"] == stable["stableRS"]
    wait_served("v1")


def test_down_deletes_the_cluster(backend: KindBackend) -> None:
    backend.down()
    assert not backend.cluster_exists()
    assert backend.status().state == "absent"
