"""Learners' Rollout actions end to end: real kubectl runs `kubectl argo rollouts ...` (our
plugin from the venv) against the embedded cluster and its Rollouts controller.

Given a canary of the task agent, when the learner sets an image, promotes, aborts, retries,
undoes and restarts, then the rollout moves the way upstream Argo Rollouts does (spec §10).
The cluster runs time-warped (x30), so pauses with a duration pass quickly.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from clusters.embedded.cluster import EmbeddedCluster
from clusters.embedded.controllers.registry import CONTROLLERS

_ROLLOUTS_CONTROLLER = ("clusters.embedded.rollouts.controller", "RolloutController")


def _controller_registered() -> bool:
    if _ROLLOUTS_CONTROLLER not in CONTROLLERS:
        return False
    try:
        module = importlib.import_module(_ROLLOUTS_CONTROLLER[0])
    except ImportError:
        return False
    return hasattr(module, _ROLLOUTS_CONTROLLER[1])


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not _controller_registered(), reason="embedded Rollouts controller not registered"
    ),
]

V1, V2 = "rollout-lab/task-agent:v1", "rollout-lab/task-agent:v2"
VENV_BIN = Path(sys.executable).parent
Plugin = Callable[..., subprocess.CompletedProcess[str]]


def canary(name: str, steps: list[dict[str, Any]], replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": "agent",
                            "image": V1,
                            # A sleeping process keeps the suite light; the verbs do not care
                            # what the pods serve.
                            "command": ["python", "-c", "import time; time.sleep(86400)"],
                        }
                    ]
                },
            },
            "strategy": {"canary": {"steps": steps}},
        },
    }


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    embedded = EmbeddedCluster(tmp_path_factory.mktemp("rollout-actions"), time_scale=30)
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture(scope="module")
def custom(cluster: EmbeddedCluster) -> Iterator[k8s.CustomObjectsApi]:
    api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    yield k8s.CustomObjectsApi(api)
    api.close()


@pytest.fixture
def namespace(cluster: EmbeddedCluster, custom: k8s.CustomObjectsApi, request: Any) -> str:
    name = request.node.name.lower().replace("_", "-")[:50].strip("-")
    k8s.CoreV1Api(custom.api_client).create_namespace({"metadata": {"name": name}})
    return name


@pytest.fixture
def kubectl(cluster: EmbeddedCluster, tmp_path: Path, namespace: str) -> Plugin:
    """`kubectl(*args)` — the real kubectl with the venv's bin (our plugin) first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update(
        KUBECONFIG=str(cluster.kubeconfig_path),
        HOME=str(tmp_path),
        PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "")]),
        ROLLOUT_LAB_ARGO_PLUGIN="builtin",
    )

    def run(*args: str, input: str | None = None, check: bool = True) -> Any:
        result = subprocess.run(
            [str(VENV_BIN / "kubectl"), *args, "-n", namespace],
            input=input,
            capture_output=True,
            text=True,
            timeout=90,
            env=env,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} -> {result.returncode}\n{result.stderr}")
        return result

    return run


def rollout_of(custom: k8s.CustomObjectsApi, namespace: str, name: str) -> dict[str, Any]:
    return dict(
        custom.get_namespaced_custom_object("argoproj.io", "v1alpha1", namespace, "rollouts", name)
    )


def wait_for(
    custom: k8s.CustomObjectsApi,
    namespace: str,
    name: str,
    check: Callable[[dict[str, Any]], bool],
    what: str,
    timeout: float = 60,
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    rollout = rollout_of(custom, namespace, name)
    while not check(rollout):
        if time.monotonic() > deadline:
            status = json.dumps(rollout.get("status"), indent=1)[:1500]
            pytest.fail(f"timed out waiting for {what}; status:\n{status}")
        time.sleep(0.3)
        rollout = rollout_of(custom, namespace, name)
    return rollout


def phase(expected: str, message: str | None = None, step: int | None = None) -> Any:
    def check(rollout: dict[str, Any]) -> bool:
        status = rollout.get("status") or {}
        observed = str(status.get("observedGeneration")) == str(rollout["metadata"]["generation"])
        return (
            observed
            and status.get("phase") == expected
            and (message is None or status.get("message", "") == message)
            and (step is None or status.get("currentStepIndex") == step)
        )

    return check


def deploy_healthy(
    kubectl: Plugin, custom: k8s.CustomObjectsApi, namespace: str, manifest: dict[str, Any]
) -> None:
    kubectl("apply", "-f", "-", input=yaml.safe_dump(manifest))
    wait_for(custom, namespace, manifest["metadata"]["name"], phase("Healthy"), "first deploy")


def replicasets(custom: k8s.CustomObjectsApi, namespace: str) -> dict[str, dict[str, Any]]:
    """ReplicaSets by pod-template hash."""
    items = custom.list_namespaced_custom_object("apps", "v1", namespace, "replicasets")["items"]
    return {rs["metadata"]["labels"]["rollouts-pod-template-hash"]: rs for rs in items}


def test_set_image_and_promote_a_canary_through_its_pauses(
    kubectl: Plugin, custom: k8s.CustomObjectsApi, namespace: str
) -> None:
    deploy_healthy(
        kubectl,
        custom,
        namespace,
        canary("agent", [{"setWeight": 50}, {"pause": {}}, {"pause": {}}]),
    )
    updated = kubectl("argo", "rollouts", "set", "image", "agent", f"agent={V2}")
    assert updated.stdout == 'rollout "agent" image updated\n'
    paused = wait_for(custom, namespace, "agent", phase("Paused", "CanaryPauseStep", 1), "step 1")
    assert paused["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "2"
    shown = kubectl("argo", "rollouts", "get", "rollout", "agent").stdout
    assert "॥ Paused" in shown and "  Step:          1/3" in shown and "revision:2" in shown

    assert kubectl("argo", "rollouts", "promote", "agent").stdout == "rollout 'agent' promoted\n"
    wait_for(custom, namespace, "agent", phase("Paused", "CanaryPauseStep", 2), "step 2")
    kubectl("argo", "rollouts", "promote", "agent")
    done = kubectl("argo", "rollouts", "status", "agent", "--timeout", "90s")
    assert done.stdout.splitlines()[-1] == "Healthy"
    status = rollout_of(custom, namespace, "agent")["status"]
    assert status["stableRS"] == status["currentPodHash"] and status["currentStepIndex"] == 3
    shown = kubectl("argo", "rollouts", "get", "rollout", "agent").stdout
    assert f"{V2} (stable)" in shown and "✔ Healthy" in shown


def test_abort_degrades_and_retry_progresses_again(
    kubectl: Plugin, custom: k8s.CustomObjectsApi, namespace: str
) -> None:
    deploy_healthy(kubectl, custom, namespace, canary("agent", [{"setWeight": 50}, {"pause": {}}]))
    kubectl("argo", "rollouts", "set", "image", "agent", f"agent={V2}")
    wait_for(custom, namespace, "agent", phase("Paused", "CanaryPauseStep", 1), "the pause")

    assert kubectl("argo", "rollouts", "abort", "agent").stdout == "rollout 'agent' aborted\n"
    message = "RolloutAborted: Rollout aborted update to revision 2"
    aborted = wait_for(custom, namespace, "agent", phase("Degraded", message), "the abort")
    assert aborted["status"]["abort"] is True and aborted["status"]["currentStepIndex"] == 0
    status = kubectl("argo", "rollouts", "status", "agent", "--timeout", "5s", check=False)
    assert status.returncode == 1
    assert f"The rollout is in a degraded state with message: {message}" in status.stderr

    assert kubectl("argo", "rollouts", "retry", "rollout", "agent").stdout == (
        "rollout 'agent' retried\n"
    )
    retried = wait_for(custom, namespace, "agent", phase("Paused", "CanaryPauseStep", 1), "retry")
    assert not retried["status"].get("abort")


def test_undo_brings_the_previous_revision_back_as_stable(
    kubectl: Plugin, custom: k8s.CustomObjectsApi, namespace: str
) -> None:
    steps = [{"setWeight": 50}, {"pause": {"duration": "3s"}}]
    deploy_healthy(kubectl, custom, namespace, canary("agent", steps))
    first_hash = rollout_of(custom, namespace, "agent")["status"]["stableRS"]
    kubectl("argo", "rollouts", "set", "image", "agent", f"agent={V2}")
    wait_for(custom, namespace, "agent", phase("Healthy"), "Healthy")

    assert kubectl("argo", "rollouts", "undo", "agent").stdout == "rollout 'agent' undo\n"
    wait_for(custom, namespace, "agent", phase("Healthy"), "Healthy")
    status = rollout_of(custom, namespace, "agent")["status"]
    assert status["stableRS"] == first_hash == status["currentPodHash"]
    by_hash = replicasets(custom, namespace)
    assert len(by_hash) == 2  # the old ReplicaSet is reused, not recreated
    annotations = by_hash[first_hash]["metadata"]["annotations"]
    assert annotations["rollout.argoproj.io/revision"] == "3"
    assert annotations["rollout.argoproj.io/revision-history"] == "1"

    missing = kubectl("argo", "rollouts", "undo", "agent", "--to-revision=9", check=False)
    assert missing.returncode == 1
    assert "Error: unable to find specified revision 9 in history" in missing.stderr


def test_restart_replaces_every_pod(
    kubectl: Plugin, custom: k8s.CustomObjectsApi, namespace: str
) -> None:
    deploy_healthy(kubectl, custom, namespace, canary("agent", [{"setWeight": 50}]))
    core = k8s.CoreV1Api(custom.api_client)
    before = {p.metadata.name for p in core.list_namespaced_pod(namespace).items}
    restarted = kubectl("argo", "rollouts", "restart", "agent")
    assert restarted.stdout == "rollout 'agent' restarts in 0s\n"
    wait_for(
        custom,
        namespace,
        "agent",
        lambda ro: bool((ro.get("status") or {}).get("restartedAt")),
        "restartedAt",
        timeout=90,
    )
    wait_for(custom, namespace, "agent", phase("Healthy"), "Healthy")
    running = [
        p.metadata.name
        for p in core.list_namespaced_pod(namespace).items
        if p.metadata.deletion_timestamp is None
    ]
    assert running and not (set(running) & before)


def test_errors_read_like_the_plugin(kubectl: Plugin) -> None:
    missing = kubectl("argo", "rollouts", "promote", "nope", check=False)
    assert missing.returncode == 1
    assert missing.stderr.startswith('Error: rollouts.argoproj.io "nope" not found')
    version = kubectl("argo", "rollouts", "version")
    assert "Rollout Lab" in version.stdout and "v1.9.1" in version.stdout


def service(name: str, app: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": 8080}]},
    }


def test_bluegreen_preview_is_promoted_to_active(
    kubectl: Plugin, custom: k8s.CustomObjectsApi, namespace: str
) -> None:
    manifest = canary("agent-bg", [])
    manifest["spec"]["strategy"] = {
        "blueGreen": {
            "activeService": "agent-bg-active",
            "previewService": "agent-bg-preview",
            "autoPromotionEnabled": False,
        }
    }
    documents = [service("agent-bg-active", "agent-bg"), service("agent-bg-preview", "agent-bg")]
    kubectl("apply", "-f", "-", input=yaml.safe_dump_all(documents))
    deploy_healthy(kubectl, custom, namespace, manifest)
    kubectl("argo", "rollouts", "set", "image", "agent-bg", f"agent={V2}")
    paused = wait_for(custom, namespace, "agent-bg", phase("Paused", "BlueGreenPause"), "pause")
    blue_green = paused["status"]["blueGreen"]
    assert blue_green["previewSelector"] == paused["status"]["currentPodHash"]
    assert blue_green["activeSelector"] == paused["status"]["stableRS"]
    shown = kubectl("argo", "rollouts", "get", "rollout", "agent-bg").stdout
    assert "Strategy:        BlueGreen" in shown and f"{V2} (preview)" in shown

    kubectl("argo", "rollouts", "promote", "agent-bg")
    healthy = wait_for(custom, namespace, "agent-bg", phase("Healthy"), "promotion")
    assert healthy["status"]["blueGreen"]["activeSelector"] == healthy["status"]["currentPodHash"]


def test_manual_pause_and_full_promotion(
    kubectl: Plugin, custom: k8s.CustomObjectsApi, namespace: str
) -> None:
    deploy_healthy(kubectl, custom, namespace, canary("agent", [{"setWeight": 50}, {"pause": {}}]))
    assert kubectl("argo", "rollouts", "pause", "agent").stdout == "rollout 'agent' paused\n"
    wait_for(custom, namespace, "agent", phase("Paused", "manually paused"), "manual pause")
    status = kubectl("argo", "rollouts", "status", "agent", "--watch=false")
    assert status.stdout == "Paused - manually paused\n"

    kubectl("argo", "rollouts", "set", "image", "agent", f"agent={V2}")
    # While manually paused the controller still records the new pod-template hash.
    wait_for(
        custom,
        namespace,
        "agent",
        lambda ro: (
            phase("Paused", "manually paused")(ro)
            and ro["status"].get("currentPodHash") != ro["status"].get("stableRS")
        ),
        "the new revision to be observed",
    )
    full = kubectl("argo", "rollouts", "promote", "agent", "--full")
    assert full.stdout == "rollout 'agent' fully promoted\n"
    done = wait_for(custom, namespace, "agent", phase("Healthy"), "full promotion")
    assert not done["spec"].get("paused")
    assert done["status"]["stableRS"] == done["status"]["currentPodHash"]


def test_undo_mid_update_rolls_back_to_stable_at_once(
    kubectl: Plugin, custom: k8s.CustomObjectsApi, namespace: str
) -> None:
    deploy_healthy(kubectl, custom, namespace, canary("agent", [{"setWeight": 50}, {"pause": {}}]))
    stable_hash = rollout_of(custom, namespace, "agent")["status"]["stableRS"]
    kubectl("argo", "rollouts", "set", "image", "agent", f"agent={V2}")
    wait_for(custom, namespace, "agent", phase("Paused", "CanaryPauseStep", 1), "the pause")

    undone = kubectl("argo", "rollouts", "undo", "agent", "--to-revision=1")
    assert undone.stdout == "rollout 'agent' undo\n"
    healthy = wait_for(custom, namespace, "agent", phase("Healthy"), "rollback to stable")
    assert healthy["status"]["currentPodHash"] == healthy["status"]["stableRS"] == stable_hash
    assert healthy["status"]["currentStepIndex"] == 2  # steps skipped: rollback to stable
    assert healthy["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "3"
    assert len(replicasets(custom, namespace)) == 2
