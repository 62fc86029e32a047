"""Spec §13 cases 34-39: logs, cascading delete, finalizer waits (watch-list bookmark),
`kubectl wait` / `rollout status`, multi-document delete and namespace deletion."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from conftest import KubectlRunner, kubectl_binary
from e2e_manifests import (
    analysis_template,
    cluster_analysis_template,
    configmap,
    create,
    deployment,
    merge_status,
    object_path,
    pod,
    rollout,
    running_status,
)

from clusters.embedded.cluster import EmbeddedCluster
from clusters.embedded.kubelet.logs import log_path

Writer = Callable[..., Path]


def _background_kubectl(cluster: EmbeddedCluster, cache: Path, *args: str) -> subprocess.Popen:
    command = [
        kubectl_binary(),
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        "--cache-dir",
        str(cache),
        *args,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _write_log(cluster: EmbeddedCluster, namespace: str, name: str, lines: list[str]) -> Path:
    path = log_path(cluster.state_dir, namespace, name, "app", 0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_case34_logs_tail_selector_and_follow(
    kubectl: KubectlRunner,
    cluster: EmbeddedCluster,
    raw: httpx.Client,
    namespace: str,
    tmp_path: Path,
) -> None:
    create(raw, deployment(namespace))
    for name in ("web-a", "web-b"):
        merge_status(raw, create(raw, pod(namespace, name)), running_status())
        _write_log(cluster, namespace, name, [f"{name} line {i}" for i in range(1, 6)])
    out = kubectl("logs", "web-a", "-n", namespace).stdout
    assert out.splitlines() == [f"web-a line {i}" for i in range(1, 6)]
    tail = kubectl("logs", "deploy/web", "-c", "app", "--tail=2", "-n", namespace).stdout
    assert len(tail.splitlines()) == 2 and tail.splitlines()[1].endswith("line 5")
    prefixed = kubectl("logs", "-l", "app=web", "--prefix", "-n", namespace).stdout
    assert "[pod/web-a/app] web-a line 5" in prefixed
    assert "[pod/web-b/app] web-b line 5" in prefixed
    limited = raw.get(f"/api/v1/namespaces/{namespace}/pods/web-a/log", params={"limitBytes": "7"})
    assert limited.text == "web-a l"
    stamped = raw.get(
        f"/api/v1/namespaces/{namespace}/pods/web-a/log",
        params={"timestamps": "true", "tailLines": "1"},
    )
    assert stamped.text.endswith("Z web-a line 5\n")
    log_url = f"/api/v1/namespaces/{namespace}/pods/web-a/log"
    assert raw.get(log_url, params={"sinceSeconds": "3600"}).text.startswith("web-a line 1")
    assert raw.get(log_url, params={"sinceTime": "2999-01-01T00:00:00Z"}).text == ""
    assert raw.get(log_url, params={"sinceTime": "yesterday"}).status_code == 400
    # follow: lines written later arrive; the stream ends when the container terminates
    follower = _background_kubectl(cluster, tmp_path, "logs", "-f", "web-a", "-n", namespace)
    time.sleep(1.0)
    with log_path(cluster.state_dir, namespace, "web-a", "app", 0).open("a") as handle:
        handle.write("late line\n")
    time.sleep(0.5)
    status = running_status()
    status["containerStatuses"][0]["state"] = {
        "terminated": {
            "exitCode": 0,
            "reason": "Completed",
            "startedAt": status["startTime"],
            "finishedAt": status["startTime"],
        }
    }
    merge_status(raw, pod(namespace, "web-a"), status)
    out, _ = follower.communicate(timeout=20)
    assert out.splitlines()[-1] == "late line"
    assert follower.returncode == 0


def test_case34_logs_of_a_container_that_has_not_started(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    created = create(raw, pod(namespace, "waiting"))
    waiting = running_status()
    waiting["phase"] = "Pending"
    waiting["containerStatuses"][0]["state"] = {"waiting": {"reason": "ContainerCreating"}}
    waiting["containerStatuses"][0]["ready"] = False
    merge_status(raw, created, waiting)
    result = kubectl("logs", "waiting", "-n", namespace, check=False)
    assert result.returncode == 1
    assert 'container "app" in pod "waiting" is waiting to start: ContainerCreating' in (
        result.stderr
    )


def test_case35_delete_deployment_cascades_to_replicasets_and_pods(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    deploy = create(raw, deployment(namespace))
    owner = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "web",
        "uid": deploy["metadata"]["uid"],
        "controller": True,
    }
    rs_manifest = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-1", "namespace": namespace, "ownerReferences": [owner]},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": deploy["spec"]["template"],
        },
    }
    rs = create(raw, rs_manifest)
    child = pod(namespace, "web-1-aaaaa")
    child["metadata"]["ownerReferences"] = [
        {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": "web-1",
            "uid": rs["metadata"]["uid"],
            "controller": True,
        }
    ]
    create(raw, child)
    result = kubectl("delete", "deploy", "web", "-n", namespace)
    assert f'deployment.apps "web" deleted from {namespace} namespace' in result.stdout
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        left = [
            raw.get(f"/apis/apps/v1/namespaces/{namespace}/replicasets").json()["items"],
            raw.get(f"/api/v1/namespaces/{namespace}/pods").json()["items"],
        ]
        if not any(left):
            break
        time.sleep(0.1)
    assert left == [[], []]


def test_case36_delete_waits_for_finalizer_via_watch_list_bookmark(
    cluster: EmbeddedCluster, raw: httpx.Client, namespace: str, tmp_path: Path
) -> None:
    cm = configmap(namespace)
    cm["metadata"]["finalizers"] = ["example.com/hold"]
    create(raw, cm)
    started = time.monotonic()
    deleting = _background_kubectl(
        cluster, tmp_path, "delete", "cm", "cfg", "-n", namespace, "--timeout=20s"
    )
    time.sleep(1.5)
    assert deleting.poll() is None  # still waiting for the finalizer
    removed = raw.patch(
        object_path(cm),
        content=json.dumps({"metadata": {"finalizers": None}}),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert removed.status_code == 200, removed.text
    out, err = deleting.communicate(timeout=25)
    assert deleting.returncode == 0, err
    assert 'configmap "cfg" deleted' in out
    assert time.monotonic() - started < 10  # returned on the event, well before --timeout
    assert raw.get(object_path(cm)).status_code == 404


def test_case37_wait_and_rollout_status(
    kubectl: KubectlRunner,
    cluster: EmbeddedCluster,
    raw: httpx.Client,
    namespace: str,
    tmp_path: Path,
) -> None:
    deploy = create(raw, deployment(namespace))
    ro = create(raw, rollout(namespace))
    waiting = _background_kubectl(
        cluster,
        tmp_path,
        "wait",
        "--for=condition=Available",
        "deploy/web",
        "-n",
        namespace,
        "--timeout=20s",
    )
    time.sleep(1.0)
    merge_status(
        raw,
        deploy,
        {
            "observedGeneration": deploy["metadata"]["generation"],
            "replicas": 2,
            "updatedReplicas": 2,
            "readyReplicas": 2,
            "availableReplicas": 2,
            "conditions": [
                {
                    "type": "Available",
                    "status": "True",
                    "reason": "MinimumReplicasAvailable",
                    "message": "ok",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable",
                    "message": "ok",
                },
            ],
        },
    )
    out, err = waiting.communicate(timeout=25)
    assert waiting.returncode == 0, err
    assert "deployment.apps/web condition met" in out
    merge_status(raw, ro, {"phase": "Healthy"})
    healthy = kubectl(
        "wait",
        "--for=jsonpath={.status.phase}=Healthy",
        "rollout/ro1",
        "-n",
        namespace,
        "--timeout=10s",
    )
    assert "rollout.argoproj.io/ro1 condition met" in healthy.stdout
    status = kubectl("rollout", "status", "deploy/web", "-n", namespace, "--timeout=10s")
    assert 'deployment "web" successfully rolled out' in status.stdout


def test_case38_delete_from_a_multi_document_file(
    kubectl: KubectlRunner, write_manifest: Writer, raw: httpx.Client, namespace: str
) -> None:
    cat_name = f"{namespace}-cat"
    path = write_manifest(
        "at.yaml", analysis_template(namespace), cluster_analysis_template(cat_name)
    )
    kubectl("apply", "-f", str(path))
    out = kubectl("delete", "-f", str(path)).stdout
    assert 'analysistemplate.argoproj.io "success-rate" deleted' in out
    assert f'clusteranalysistemplate.argoproj.io "{cat_name}" deleted' in out
    assert (
        raw.get(f"/apis/argoproj.io/v1alpha1/clusteranalysistemplates/{cat_name}").status_code
        == 404
    )


def test_case39_delete_namespace_removes_its_objects(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, configmap(namespace))
    create(raw, rollout(namespace))
    create(raw, pod(namespace))
    result = kubectl("delete", "ns", namespace, "--timeout=30s")
    assert f'namespace "{namespace}" deleted' in result.stdout
    assert raw.get(f"/api/v1/namespaces/{namespace}").status_code == 404
    for path in ("/api/v1/configmaps", "/api/v1/pods", "/apis/argoproj.io/v1alpha1/rollouts"):
        items = raw.get(path).json()["items"]
        assert not [i for i in items if i["metadata"]["namespace"] == namespace]
