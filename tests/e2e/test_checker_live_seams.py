"""The live seams against a real (API-only) embedded cluster through the official client:
the snapshot lists the lab namespace, the recorder's watch sees an abort that a revert hides."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from checker import SnapshotError, TimelineRecorder, take_snapshot
from checker.scenarios import BAD, GOOD, rollout_object
from clusters.embedded.cluster import EmbeddedCluster

ARGO = ("argoproj.io", "v1alpha1")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[k8s.ApiClient]:
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("checker-live"), workloads=False)
    cluster.start()
    api_client = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    k8s.CoreV1Api(api_client).create_namespace({"metadata": {"name": "lab-canary"}})
    yield api_client
    api_client.close()
    cluster.stop()


def _create_rollout(api: k8s.ApiClient, name: str) -> None:
    body = rollout_object(GOOD, pod_hash="h1", stable="h1", phase="Healthy", name=name)
    status = body.pop("status")
    body["metadata"].pop("generation")
    custom = k8s.CustomObjectsApi(api)
    custom.create_namespaced_custom_object(*ARGO, "lab-canary", "rollouts", body)
    custom.patch_namespaced_custom_object_status(
        *ARGO, "lab-canary", "rollouts", name, {"status": status}
    )


def test_snapshot_lists_the_namespace_in_api_field_names(api):
    _create_rollout(api, "snap")
    k8s.CoreV1Api(api).create_namespaced_service(
        "lab-canary",
        {
            "metadata": {"name": "agent-stable"},
            "spec": {"selector": {"app": "snap"}, "ports": [{"port": 8080}]},
        },
    )
    snapshot = take_snapshot(api, "lab-canary", backend="embedded", rollouts_version="emulated")
    view = snapshot.rollout("snap")
    assert view is not None and view.phase == "Healthy" and view.images == [GOOD]
    service = snapshot.get("services", "agent-stable")
    assert service is not None and service["spec"]["selector"] == {"app": "snap"}
    assert "clusterIP" in service["spec"]  # camelCase, as the API serves it
    assert snapshot.versions["kubernetes"].startswith("v1.")
    assert snapshot.versions["rollouts"] == "emulated"
    assert set(snapshot.objects) >= {"rollouts", "pods", "replicasets", "analysisruns", "events"}


def test_snapshot_of_an_unreachable_cluster_is_a_snapshot_error():
    configuration = k8s.Configuration()
    configuration.host = "https://127.0.0.1:1"
    with pytest.raises(SnapshotError, match="cannot reach the cluster"):
        take_snapshot(k8s.ApiClient(configuration), "lab-canary", request_timeout=2)


def test_recorder_sees_an_abort_that_a_revert_hides(api):
    _create_rollout(api, "watched")
    recorder = TimelineRecorder("lab-canary", api_client=api)
    recorder.start()
    custom = k8s.CustomObjectsApi(api)

    def status(**fields):
        custom.patch_namespaced_custom_object_status(
            *ARGO, "lab-canary", "rollouts", "watched", {"status": fields}
        )
        time.sleep(0.3)

    time.sleep(0.5)
    custom.patch_namespaced_custom_object(
        *ARGO,
        "lab-canary",
        "rollouts",
        "watched",
        {"spec": {"template": {"spec": {"containers": [{"name": "watched", "image": BAD}]}}}},
    )
    status(phase="Paused", currentPodHash="h4")
    status(phase="Degraded", abort=True)
    custom.patch_namespaced_custom_object(
        *ARGO,
        "lab-canary",
        "rollouts",
        "watched",
        {"spec": {"template": {"spec": {"containers": [{"name": "watched", "image": GOOD}]}}}},
    )
    status(phase="Healthy", abort=None, currentPodHash="h1")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        phases = [v.phase for _, v in recorder.timeline.rollout_states("watched")]
        if phases[-1:] == ["Healthy"] and "Degraded" in phases:
            break
        time.sleep(0.2)
    timeline = recorder.stop(timeout=8)
    states = [v for _, v in timeline.rollout_states("watched")]
    assert states[0].phase == "Healthy"
    assert any(v.aborted and BAD in v.images for v in states)
    assert states[-1].phase == "Healthy" and not states[-1].aborted and states[-1].images == [GOOD]
    times = [t for t, _ in timeline.rollout_states("watched")]
    assert times == sorted(times)
