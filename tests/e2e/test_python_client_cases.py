"""Spec §13 cases 43-48 with the official Python client (kubernetes 37, pydantic-strict
models): dynamic discovery, error mapping, status patches, typed watches and reconnects."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from e2e_manifests import create, pod, rollout, running_status
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic import exceptions as dynamic_errors

from clusters.embedded.cluster import EmbeddedCluster

MERGE = "application/merge-patch+json"


@pytest.fixture
def dynamic(api_client: k8s.ApiClient, tmp_path: Path) -> DynamicClient:
    """A DynamicClient with an empty discovery cache of its own."""
    return DynamicClient(api_client, cache_file=str(tmp_path / "discovery.json"))


def test_case43_dynamic_client_discovers_rollouts_on_an_empty_cache(
    dynamic: DynamicClient, cluster: EmbeddedCluster
) -> None:
    rollouts = dynamic.resources.get(api_version="argoproj.io/v1alpha1", kind="Rollout")
    assert (rollouts.name, rollouts.namespaced) == ("rollouts", True)
    assert rollouts.status is not None and rollouts.scale is not None
    log = cluster.log_path.read_text()
    assert "GET /version" in log and "GET /apis/argoproj.io/v1alpha1 200" in log


def test_case44_dynamic_errors_map_to_exception_types(
    dynamic: DynamicClient, namespace: str
) -> None:
    rollouts = dynamic.resources.get(api_version="argoproj.io/v1alpha1", kind="Rollout")
    body = rollout(namespace, "ro-py")
    rollouts.create(body=body, namespace=namespace)
    with pytest.raises(dynamic_errors.ConflictError) as conflict:
        rollouts.create(body=body, namespace=namespace)
    assert conflict.value.summary() == 'rollouts.argoproj.io "ro-py" already exists'
    with pytest.raises(dynamic_errors.NotFoundError):
        rollouts.get(name="missing", namespace=namespace)
    nameless = rollout(namespace, "x")
    del nameless["metadata"]["name"]
    with pytest.raises(dynamic_errors.UnprocessibleEntityError):
        rollouts.create(body=nameless, namespace=namespace)


def test_case45_status_patch_changes_only_status(dynamic: DynamicClient, namespace: str) -> None:
    rollouts = dynamic.resources.get(api_version="argoproj.io/v1alpha1", kind="Rollout")
    rollouts.create(body=rollout(namespace), namespace=namespace)
    patched = rollouts.status.patch(
        body={"metadata": {"name": "ro1"}, "spec": {"replicas": 9}, "status": {"phase": "Paused"}},
        name="ro1",
        namespace=namespace,
        content_type=MERGE,
    )
    assert patched.status.phase == "Paused"
    assert patched.spec.replicas == 5
    assert rollouts.get(name="ro1", namespace=namespace).spec.replicas == 5


def test_case46_typed_watch_yields_v1pod_added_then_modified(
    api_client: k8s.ApiClient, raw: httpx.Client, namespace: str
) -> None:
    merge_running = running_status()
    for name in ("w1", "w2"):
        created = create(raw, pod(namespace, name))
        raw.patch(
            f"/api/v1/namespaces/{namespace}/pods/{name}/status",
            json={"status": merge_running},
            headers={"Content-Type": MERGE},
        )
        del created
    core = k8s.CoreV1Api(api_client)
    events = []
    watcher = k8s_watch.Watch()
    for event in watcher.stream(core.list_namespaced_pod, namespace, timeout_seconds=3):
        events.append(event)
        if len(events) == 2:
            core.patch_namespaced_pod("w1", namespace, {"metadata": {"labels": {"seen": "yes"}}})
        if len(events) == 3:
            watcher.stop()
    assert [e["type"] for e in events] == ["ADDED", "ADDED", "MODIFIED"]
    assert all(isinstance(e["object"], k8s.V1Pod) for e in events)
    assert events[2]["object"].metadata.labels["seen"] == "yes"
    assert events[0]["object"].status.container_statuses[0].restart_count == 0


@pytest.fixture(scope="module")
def short_watch_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    """A cluster that closes every watch after 2 s, as a busy apiserver may."""
    cluster = EmbeddedCluster(
        tmp_path_factory.mktemp("short-watch"), watch_timeout_max=2, workloads=False
    )
    cluster.start()
    yield cluster
    cluster.stop()


def test_case47_watch_reconnects_from_last_rv_without_duplicates(
    short_watch_cluster: EmbeddedCluster,
) -> None:
    api = k8s_config.new_client_from_config(config_file=str(short_watch_cluster.kubeconfig_path))
    core = k8s.CoreV1Api(api)
    namespace = "reconnect"
    core.create_namespace({"metadata": {"name": namespace}})
    for name in ("r1", "r2"):
        core.create_namespaced_pod(namespace, pod(namespace, name))

    def patcher() -> None:
        writer = k8s.CoreV1Api(
            k8s_config.new_client_from_config(config_file=str(short_watch_cluster.kubeconfig_path))
        )
        for step in range(6):
            time.sleep(0.9)
            labels = {"step": str(step), **({"done": "yes"} if step == 5 else {})}
            writer.patch_namespaced_pod("r1", namespace, {"metadata": {"labels": labels}})

    thread = threading.Thread(target=patcher)
    thread.start()
    events = []
    watcher = k8s_watch.Watch()
    try:
        for event in watcher.stream(core.list_namespaced_pod, namespace):
            events.append(
                (
                    event["type"],
                    event["object"].metadata.name,
                    event["object"].metadata.resource_version,
                )
            )
            if (event["object"].metadata.labels or {}).get("done") == "yes":
                watcher.stop()
    finally:
        thread.join()
        api.close()
    added = [e for e in events if e[0] == "ADDED"]
    assert sorted(e[1] for e in added) == ["r1", "r2"]  # no duplicate ADDED after reconnects
    modified = [e for e in events if e[0] == "MODIFIED"]
    assert len(modified) == 6
    rvs = [int(e[2]) for e in modified]
    assert rvs == sorted(set(rvs))

    def resumed_watches() -> list[str]:
        # A request is logged when it ends; the last stream may still be closing on the server.
        return [
            line
            for line in short_watch_cluster.log_path.read_text().splitlines()
            if f"/namespaces/{namespace}/pods?" in line
            and "watch=true" in line.lower()
            and "resourceVersion=" in line
        ]

    deadline = time.monotonic() + 5
    while len(resumed_watches()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    resumed = resumed_watches()
    assert len(resumed) >= 2  # the stream was closed and resumed from the last RV


def test_case48_typed_reads_of_every_builtin_kind(
    api_client: k8s.ApiClient, raw: httpx.Client, namespace: str
) -> None:
    core = k8s.CoreV1Api(api_client)
    merge_running = running_status()
    create(raw, pod(namespace))
    raw.patch(
        f"/api/v1/namespaces/{namespace}/pods/web-abc12/status",
        json={"status": merge_running},
        headers={"Content-Type": MERGE},
    )
    assert core.read_namespaced_pod("web-abc12", namespace).status.phase == "Running"
    assert isinstance(core.list_namespaced_event(namespace), k8s.CoreV1EventList)
    assert isinstance(core.list_namespace(), k8s.V1NamespaceList)
    assert isinstance(
        k8s.AppsV1Api(api_client).list_deployment_for_all_namespaces(), k8s.V1DeploymentList
    )
    assert isinstance(k8s.BatchV1Api(api_client).list_namespaced_job(namespace), k8s.V1JobList)


def test_dynamic_server_side_apply_creates_then_updates(
    dynamic: DynamicClient, namespace: str
) -> None:
    configmaps = dynamic.resources.get(api_version="v1", kind="ConfigMap")
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "ssa", "namespace": namespace},
        "data": {"a": "1", "b": "2"},
    }
    first = configmaps.server_side_apply(body=body, namespace=namespace, field_manager="lab")
    assert first.data.a == "1"
    body["data"] = {"a": "9"}
    second = configmaps.server_side_apply(body=body, namespace=namespace, field_manager="lab")
    assert dict(second.data) == {"a": "9"}  # the manager's dropped field is removed
    assert [m.manager for m in second.metadata.managedFields] == ["lab"]
    with pytest.raises(dynamic_errors.BadRequestError) as missing_manager:
        configmaps.patch(
            body=body,
            name="ssa",
            namespace=namespace,
            content_type="application/apply-patch+yaml",
        )
    assert "fieldManager: Required value" in missing_manager.value.summary()
