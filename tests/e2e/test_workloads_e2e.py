"""Issue 4 end to end: real kubectl against the embedded cluster running real pod processes.

Given a Deployment of the task agent and a NodePort Service, when the learner rolls, undoes,
kills and misconfigures things, then what they see matches a real cluster. The cluster runs
at time-scale 10 so probe periods and progress deadlines pass quickly.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch

from clusters.embedded.cluster import EmbeddedCluster

pytestmark = pytest.mark.slow
TIME_SCALE = 10


def agent_deployment(name: str, image: str, replicas: int = 3, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
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
                            "image": image,
                            "ports": [{"containerPort": 8080, "name": "http"}],
                            "readinessProbe": {
                                "httpGet": {"path": "/readyz", "port": "http"},
                                "periodSeconds": 2,
                            },
                            "env": [
                                {
                                    "name": "POD_NAME",
                                    "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}},
                                }
                            ],
                        }
                    ]
                },
            },
        },
    }
    body["spec"].update(spec)
    return body


def node_port_service(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "type": "NodePort",
            "selector": {"app": name},
            "ports": [{"port": 80, "targetPort": "http"}],
        },
    }


class Lab:
    """The test's view of one embedded cluster: kubectl, the Python client, HTTP to NodePorts."""

    def __init__(self, cluster: EmbeddedCluster, workdir: Path) -> None:
        self.cluster = cluster
        self.workdir = workdir
        self.kubectl_path = str(Path(sys.executable).parent / "kubectl")
        self.api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
        self.core = k8s.CoreV1Api(self.api)
        self.apps = k8s.AppsV1Api(self.api)

    def kubectl(self, *args: str, check: bool = True, timeout: float = 120):
        import subprocess

        cache = self.workdir / "kube-cache"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env["HOME"] = str(self.workdir)
        result = subprocess.run(
            [
                self.kubectl_path,
                "--kubeconfig",
                str(self.cluster.kubeconfig_path),
                "--cache-dir",
                str(cache),
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def apply(self, namespace: str, *documents: dict[str, Any]) -> None:
        path = self.workdir / f"manifest-{time.monotonic_ns()}.yaml"
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
        self.kubectl("apply", "-n", namespace, "-f", str(path))

    def namespace(self, name: str) -> str:
        self.core.create_namespace({"metadata": {"name": name}})
        return name

    def node_port(self, namespace: str, service: str) -> int:
        svc = self.core.read_namespaced_service(service, namespace)
        return int(svc.spec.ports[0].node_port)

    def versions_behind(self, port: int, requests: int = 12) -> set[str]:
        seen = set()
        with httpx.Client(timeout=5) as http:
            for _ in range(requests):
                seen.add(http.get(f"http://127.0.0.1:{port}/version").json()["version"])
        return seen

    def pods(self, namespace: str, selector: str) -> list[Any]:
        return self.core.list_namespaced_pod(namespace, label_selector=selector).items


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("workloads"), time_scale=TIME_SCALE)
    cluster.start()
    try:
        yield Lab(cluster, tmp_path_factory.mktemp("kubectl"))
    finally:
        cluster.stop()


def wait_for(predicate, timeout: float = 60.0, what: str = "condition", explain=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    detail = f"\n{explain()}" if explain is not None else ""
    pytest.fail(f"timed out waiting for {what}{detail}")


def test_deployment_rolls_forward_and_back_with_real_traffic(lab: Lab):
    ns = lab.namespace("roll")
    lab.apply(
        ns, agent_deployment("agent", "rollout-lab/task-agent:v1"), node_port_service("agent")
    )
    lab.kubectl("rollout", "status", "deployment/agent", "-n", ns, "--timeout=90s")
    pods = lab.pods(ns, "app=agent")
    assert len(pods) == 3
    assert all(p.status.phase == "Running" for p in pods)
    assert all(c.ready for p in pods for c in p.status.container_statuses)
    port = lab.node_port(ns, "agent")
    assert 30000 <= port <= 32767
    assert lab.versions_behind(port) == {"v1"}

    # Record every ReplicaSet size change during the rolling update.
    sizes: list[tuple[str, int]] = []
    stop = threading.Event()
    start_rv = lab.apps.list_namespaced_replica_set(ns).metadata.resource_version

    def record() -> None:
        watcher = k8s_watch.Watch()
        for event in watcher.stream(
            lab.apps.list_namespaced_replica_set, ns, resource_version=start_rv, timeout_seconds=60
        ):
            rs = event["object"]
            sizes.append((rs.spec.template.spec.containers[0].image[-2:], rs.spec.replicas))
            if stop.is_set():
                watcher.stop()

    recorder = threading.Thread(target=record, daemon=True)
    recorder.start()
    lab.kubectl("set", "image", "deployment/agent", "agent=rollout-lab/task-agent:v3", "-n", ns)
    lab.kubectl("rollout", "status", "deployment/agent", "-n", ns, "--timeout=90s")
    stop.set()
    recorder.join(timeout=70)
    per_version: dict[str, int] = {"v1": 3, "v3": 0}
    totals = []
    for version, replicas in sizes:
        per_version[version] = replicas
        totals.append(per_version["v1"] + per_version["v3"])
    # maxSurge 25% of 3 rounds up to 1, maxUnavailable rounds down to 0: never above 4 pods.
    assert max(totals) <= 4
    assert per_version == {"v1": 0, "v3": 3}
    assert lab.versions_behind(port) == {"v3"}

    history = lab.kubectl("rollout", "history", "deployment/agent", "-n", ns).stdout
    assert "REVISION" in history and "2" in history
    lab.kubectl("rollout", "undo", "deployment/agent", "-n", ns)
    lab.kubectl("rollout", "status", "deployment/agent", "-n", ns, "--timeout=90s")
    assert lab.versions_behind(port) == {"v1"}


def test_logs_show_requests_and_a_killed_process_restarts(lab: Lab):
    ns = lab.namespace("logs")
    lab.apply(
        ns,
        agent_deployment("agent", "rollout-lab/task-agent:v2", replicas=1),
        node_port_service("agent"),
    )
    lab.kubectl("rollout", "status", "deployment/agent", "-n", ns, "--timeout=90s")
    port = lab.node_port(ns, "agent")
    lab.versions_behind(port, requests=3)
    (pod,) = lab.pods(ns, "app=agent")
    logs = wait_for(
        lambda: (
            (out := lab.kubectl("logs", pod.metadata.name, "-n", ns).stdout)
            and "/version" in out
            and out
        ),
        what="request lines in kubectl logs",
        explain=lambda: (
            lab.kubectl("logs", pod.metadata.name, "-n", ns, check=False).stdout
            + lab.kubectl("get", "pods,ep,svc", "-n", ns, "-o", "wide", check=False).stdout
        ),
    )
    assert "GET /version" in logs
    pid = int(pod.status.container_statuses[0].container_id.split("://")[1])
    os.kill(pid, signal.SIGKILL)

    def restarted():
        current = lab.core.read_namespaced_pod(pod.metadata.name, ns)
        status = current.status.container_statuses[0]
        return status.restart_count == 1 and status.ready and current

    current = wait_for(restarted, what="the container to restart and be ready")
    last = current.status.container_statuses[0].last_state.terminated
    assert last is not None and last.exit_code == 137
    previous = lab.kubectl("logs", pod.metadata.name, "-n", ns, "--previous").stdout
    assert "/version" in previous


def test_an_image_the_embedded_cluster_cannot_run_is_an_image_pull_error(lab: Lab):
    ns = lab.namespace("nginx")
    lab.apply(ns, agent_deployment("web", "nginx:1.27", replicas=1))

    def waiting_reason():
        for pod in lab.pods(ns, "app=web"):
            for status in (pod.status and pod.status.container_statuses) or []:
                waiting = status.state.waiting
                if waiting and waiting.reason in ("ErrImagePull", "ImagePullBackOff"):
                    return waiting
        return None

    waiting = wait_for(waiting_reason, what="ErrImagePull")
    assert "nginx:1.27" in waiting.message
    assert "rollout-lab/task-agent:v1" in waiting.message  # says what it can run
    table = lab.kubectl("get", "pods", "-n", ns).stdout
    assert "ErrImagePull" in table or "ImagePullBackOff" in table


def test_a_version_that_never_gets_ready_exceeds_its_progress_deadline(lab: Lab):
    ns = lab.namespace("never")
    # 120 s deadline at time-scale 10: 12 s of wall time.
    lab.apply(
        ns,
        agent_deployment(
            "agent", "rollout-lab/task-agent:v5", replicas=2, progressDeadlineSeconds=120
        ),
    )
    result = lab.kubectl(
        "rollout", "status", "deployment/agent", "-n", ns, "--timeout=60s", check=False
    )
    assert result.returncode != 0
    assert "exceeded its progress deadline" in result.stderr
    pods = lab.pods(ns, "app=agent")
    assert pods and all(not c.ready for p in pods for c in p.status.container_statuses)
    described = json.loads(lab.kubectl("get", "deployment", "agent", "-n", ns, "-o", "json").stdout)
    progressing = next(c for c in described["status"]["conditions"] if c["type"] == "Progressing")
    assert progressing["reason"] == "ProgressDeadlineExceeded"
