"""Deleting a pod is graceful, as on a real cluster: it shows as Terminating, its process gets
SIGTERM, and the object goes once the process has exited (the kubelet deletes it)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from clusters.embedded.cluster import EmbeddedCluster

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Iterator[k8s.CoreV1Api]:
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("graceful"), time_scale=10)
    cluster.start()
    api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    try:
        yield k8s.CoreV1Api(api)
    finally:
        api.close()
        cluster.stop()


def test_a_deleted_pod_terminates_gracefully(core: k8s.CoreV1Api):
    core.create_namespace({"metadata": {"name": "graceful"}})
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "agent"},
        "spec": {
            "terminationGracePeriodSeconds": 30,
            "containers": [
                {
                    "name": "agent",
                    "image": "rollout-lab/task-agent:v1",
                    "ports": [{"containerPort": 8080}],
                    "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}},
                }
            ],
        },
    }
    core.create_namespaced_pod("graceful", pod)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        current = core.read_namespaced_pod("agent", "graceful")
        statuses = current.status.container_statuses or []
        if statuses and statuses[0].ready:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the pod did not become ready")
    deleted = core.delete_namespaced_pod("agent", "graceful")
    assert deleted.metadata.deletion_timestamp is not None
    assert deleted.metadata.deletion_grace_period_seconds == 30
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        names = [p.metadata.name for p in core.list_namespaced_pod("graceful").items]
        if "agent" not in names:
            break
        time.sleep(0.2)
    else:
        pytest.fail("the terminating pod was never removed")
