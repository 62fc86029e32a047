"""Tables for `kubectl get`: columns per kind, pod STATUS strings, CRD printer columns, ages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from clusters.embedded.resources import RESOURCES, find_kind
from clusters.embedded.tables import jsonpath_value, to_table
from clusters.embedded.tables_time import human_duration

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
CREATED = "2026-01-01T11:55:00Z"
POD = find_kind("v1", "Pod")


def names(table: dict[str, Any], wide: bool = True) -> list[str]:
    return [c["name"] for c in table["columnDefinitions"] if wide or c["priority"] == 0]


def cells(rt: Any, obj: dict[str, Any]) -> list[Any]:
    return to_table(rt, [obj], now=NOW)["rows"][0]["cells"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (5, "5s"),
        (119, "119s"),
        (182, "3m2s"),
        (300, "5m"),
        (600, "10m"),
        (3 * 3600, "3h"),
        (5 * 3600 + 180, "5h3m"),
        (30 * 3600, "30h"),
        (2 * 86400, "2d"),
        (3 * 86400 + 7200, "3d2h"),
        (400 * 86400, "400d"),
        (3 * 365 * 86400 + 10 * 86400, "3y10d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_ages_like_kubectl(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def container(name: str = "app", ready: bool = False, **state: Any) -> dict[str, Any]:
    return {
        "name": name,
        "image": "x",
        "imageID": "",
        "ready": ready,
        "restartCount": 0,
        "state": state,
    }


def pod(statuses: list[dict[str, Any]], phase: str = "Running", **extra: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "metadata": {"name": "web-1", "creationTimestamp": CREATED},
        "spec": {"containers": [{"name": s["name"]} for s in statuses] or [{"name": "app"}]},
        "status": {"phase": phase, "containerStatuses": statuses},
    }
    for key, value in extra.items():
        if key == "deletionTimestamp":
            obj["metadata"][key] = value
        else:
            obj["status"][key] = value
    return obj


@pytest.mark.parametrize(
    ("obj", "ready", "status"),
    [
        (pod([container(ready=True, running={"startedAt": CREATED})]), "1/1", "Running"),
        (pod([], phase="Pending"), "0/1", "Pending"),
        (
            pod([container(waiting={"reason": "ContainerCreating"})], "Pending"),
            "0/1",
            "ContainerCreating",
        ),
        (pod([container(waiting={"reason": "CrashLoopBackOff"})]), "0/1", "CrashLoopBackOff"),
        (pod([container(waiting={"reason": "ErrImagePull"})], "Pending"), "0/1", "ErrImagePull"),
        (
            pod([container(waiting={"reason": "ImagePullBackOff"})], "Pending"),
            "0/1",
            "ImagePullBackOff",
        ),
        (
            pod([container(terminated={"reason": "Completed", "exitCode": 0})], "Succeeded"),
            "0/1",
            "Completed",
        ),
        (pod([container(terminated={"exitCode": 3})], "Failed"), "0/1", "ExitCode:3"),
        (pod([container(terminated={"reason": "Error", "exitCode": 1})], "Failed"), "0/1", "Error"),
        (pod([container(ready=True, running={})], deletionTimestamp=CREATED), "1/1", "Terminating"),
        (pod([container(ready=False, running={})]), "0/1", "Running"),
        (
            pod(
                [
                    container(ready=True, running={}),
                    container("b", terminated={"reason": "Completed", "exitCode": 0}),
                ],
                conditions=[{"type": "Ready", "status": "False"}],
            ),
            "1/2",
            "NotReady",
        ),
        (pod([], phase="Failed", reason="Evicted"), "0/1", "Evicted"),
    ],
)
def test_pod_status_column(obj: dict[str, Any], ready: str, status: str) -> None:
    row = cells(POD, obj)
    assert row[1:3] == [ready, status]


def test_pod_init_containers_and_restarts() -> None:
    obj = pod([container(waiting={"reason": "PodInitializing"})], "Pending")
    obj["spec"]["initContainers"] = [{"name": "init"}]
    obj["status"]["initContainerStatuses"] = [container("init", running={})]
    assert cells(POD, obj)[2] == "Init:0/1"
    obj["status"]["initContainerStatuses"] = [
        container("init", waiting={"reason": "CrashLoopBackOff"})
    ]
    assert cells(POD, obj)[2] == "Init:CrashLoopBackOff"
    restarted = pod([container(ready=True, running={})])
    restarted["status"]["containerStatuses"][0]["restartCount"] = 3
    restarted["status"]["containerStatuses"][0]["lastState"] = {
        "terminated": {"finishedAt": "2026-01-01T11:58:00Z"}
    }
    restarted["status"]["podIP"] = "10.1.0.5"
    restarted["spec"]["nodeName"] = "node-1"
    assert cells(POD, restarted) == [
        "web-1",
        "1/1",
        "Running",
        "3 (2m ago)",
        "5m",
        "10.1.0.5",
        "node-1",
        "<none>",
        "<none>",
    ]


def test_pod_columns_and_wide_priorities() -> None:
    table = to_table(POD, [pod([])], now=NOW)
    assert names(table, wide=False) == ["Name", "Ready", "Status", "Restarts", "Age"]
    assert names(table)[5:] == ["IP", "Node", "Nominated Node", "Readiness Gates"]
    assert table["columnDefinitions"][0]["format"] == "name"
    assert table["columnDefinitions"][0]["description"].startswith("Name must be unique")


def rollout(**status: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "ro1", "namespace": "demo", "creationTimestamp": CREATED},
        "spec": {"replicas": 5},
    }
    if status:
        obj["status"] = status
    return obj


def test_rollout_columns_blank_before_status() -> None:
    rt = find_kind("argoproj.io/v1alpha1", "Rollout")
    table = to_table(rt, [rollout()], now=NOW, list_resource_version="42")
    assert names(table) == ["Name", "Desired", "Current", "Up-to-date", "Available", "Age"]
    assert [c["type"] for c in table["columnDefinitions"]][1:] == ["integer"] * 4 + ["date"]
    assert table["rows"][0]["cells"] == ["ro1", 5, None, None, None, "5m"]
    assert table["metadata"] == {"resourceVersion": "42"}
    full = rollout(replicas=5, updatedReplicas=5, availableReplicas=5)
    assert cells(rt, full) == ["ro1", 5, 5, 5, 5, "5m"]


def test_analysis_kinds_columns() -> None:
    run = find_kind("argoproj.io/v1alpha1", "AnalysisRun")
    obj = {"metadata": {"name": "r", "creationTimestamp": CREATED}, "status": {"phase": "Running"}}
    assert names(to_table(run, [obj])) == ["Name", "Status", "Age"]
    assert cells(run, obj) == ["r", "Running", "5m"]
    template = find_kind("argoproj.io/v1alpha1", "ClusterAnalysisTemplate")
    assert cells(template, obj) == ["r", "5m"]


def test_deployment_replicaset_service_rows() -> None:
    template = {
        "spec": {
            "containers": [
                {"name": "app", "image": "nginx:1"},
                {"name": "side", "image": "busybox"},
            ]
        }
    }
    deploy = {
        "metadata": {"name": "web", "creationTimestamp": CREATED},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template},
        "status": {"readyReplicas": 2, "updatedReplicas": 3, "availableReplicas": 2},
    }
    assert cells(find_kind("apps/v1", "Deployment"), deploy) == [
        "web",
        "2/3",
        3,
        2,
        "5m",
        "app,side",
        "nginx:1,busybox",
        "app=web",
    ]
    rs = {**deploy, "status": {"replicas": 3, "readyReplicas": 1}}
    assert cells(find_kind("apps/v1", "ReplicaSet"), rs)[:5] == ["web", 3, 3, 1, "5m"]
    svc = {
        "metadata": {"name": "web", "creationTimestamp": CREATED},
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.96.0.10",
            "selector": {"app": "web"},
            "ports": [
                {"port": 80, "protocol": "TCP", "nodePort": 30080},
                {"port": 53, "protocol": "UDP"},
            ],
        },
    }
    assert cells(find_kind("v1", "Service"), svc) == [
        "web",
        "NodePort",
        "10.96.0.10",
        "<none>",
        "80:30080/TCP,53/UDP",
        "5m",
        "app=web",
    ]


def test_event_row() -> None:
    event = {
        "metadata": {"name": "web.1"},
        "involvedObject": {"kind": "Pod", "name": "web-1", "fieldPath": "spec.containers{app}"},
        "reason": "Pulled",
        "type": "Normal",
        "message": "Pulled image\n",
        "firstTimestamp": "2026-01-01T11:50:00Z",
        "lastTimestamp": "2026-01-01T11:59:00Z",
        "count": 4,
        "source": {"component": "kubelet", "host": "node-1"},
    }
    table = to_table(find_kind("v1", "Event"), [event], now=NOW)
    assert names(table, wide=False) == ["Last Seen", "Type", "Reason", "Object", "Message"]
    assert table["rows"][0]["cells"] == [
        "60s",
        "Normal",
        "Pulled",
        "pod/web-1",
        "spec.containers{app}",
        "kubelet, node-1",
        "Pulled image",
        "10m",
        4,
        "web.1",
    ]


def test_every_kind_has_as_many_cells_as_columns() -> None:
    sparse = {"metadata": {"name": "x"}}
    for rt in RESOURCES:
        table = to_table(
            rt,
            [
                sparse,
                {"metadata": {"name": "y", "creationTimestamp": CREATED}, "spec": {}, "status": {}},
            ],
            now=NOW,
        )
        for row in table["rows"]:
            assert len(row["cells"]) == len(table["columnDefinitions"]), rt.kind


def test_include_object_modes() -> None:
    obj = rollout()
    rt = find_kind("argoproj.io/v1alpha1", "Rollout")
    partial = to_table(rt, [obj])["rows"][0]["object"]
    assert partial == {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj["metadata"],
    }
    assert to_table(rt, [obj], include_object="Object")["rows"][0]["object"] == obj
    assert "object" not in to_table(rt, [obj], include_object="None")["rows"][0]


def test_jsonpath_value() -> None:
    obj = {"spec": {"items": [{"name": "a"}, {"name": "b"}]}}
    assert jsonpath_value(obj, ".spec.items[1].name") == "b"
    assert jsonpath_value(obj, "{.spec.items[-1].name}") == "b"
    assert jsonpath_value(obj, ".spec.items[5].name") is None
    assert jsonpath_value(obj, ".status.phase") is None


def test_malformed_objects_still_render_a_row() -> None:
    junk = {
        "metadata": {"name": "odd", "creationTimestamp": "yesterday"},
        "spec": {"containers": "nope", "ports": [1], "template": []},
        "status": {"containerStatuses": ["x"], "conditions": "y", "count": "z"},
        "count": "many",
        "involvedObject": "pod",
    }
    for rt in RESOURCES:
        table = to_table(rt, [junk], now=NOW)
        row = table["rows"][0]["cells"]
        assert len(row) == len(table["columnDefinitions"]), rt.kind
        assert "odd" in row, rt.kind
