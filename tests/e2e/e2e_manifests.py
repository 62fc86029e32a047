"""Manifests the end-to-end tests apply (the spec's compatibility fixtures, per namespace)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

# Pods are bound to a node no kubelet serves, so their status is exactly what tests write.
TEST_NODE = "e2e-node"


def now_stamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def deployment(namespace: str, name: str = "web") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "nodeName": TEST_NODE,
                    "containers": [
                        {
                            "name": "app",
                            "image": "nginx:1.25",
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80}],
                        },
                        {"name": "sidecar", "image": "busybox:1.36"},
                    ],
                },
            },
        },
    }


def deployment_v2(namespace: str, name: str = "web") -> dict[str, Any]:
    """Image changed, env B and the sidecar removed, port 443 added, replicas 3."""
    manifest = deployment(namespace, name)
    manifest["spec"]["replicas"] = 3
    manifest["spec"]["template"]["spec"]["containers"] = [
        {
            "name": "app",
            "image": "nginx:1.26",
            "env": [{"name": "A", "value": "1"}],
            "ports": [{"containerPort": 80}, {"containerPort": 443}],
        }
    ]
    return manifest


def service(namespace: str, name: str = "web", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}], **spec},
    }


def configmap(namespace: str, name: str = "cfg", data: dict[str, str] | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace},
        "data": data if data is not None else {"a": "1", "b": "2"},
    }


def pod(namespace: str, name: str = "web-abc12", labels: dict[str, str] | None = None) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": "web"}},
        "spec": {
            "nodeName": TEST_NODE,
            "containers": [
                {"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}]}
            ],
        },
    }


def running_status(image: str = "nginx:1.25", ip: str = "10.244.0.7") -> dict[str, Any]:
    """A Running pod status with every field the typed client requires."""
    stamp = now_stamp()
    return {
        "phase": "Running",
        "hostIP": "127.0.0.1",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": stamp,
        "qosClass": "BestEffort",
        "conditions": [
            {"type": "Initialized", "status": "True", "lastTransitionTime": stamp},
            {"type": "Ready", "status": "True", "lastTransitionTime": stamp},
            {"type": "ContainersReady", "status": "True", "lastTransitionTime": stamp},
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp},
        ],
        "containerStatuses": [
            {
                "name": "app",
                "image": image,
                "imageID": f"docker.io/library/{image}@sha256:{'0' * 64}",
                "containerID": "process://4242",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": stamp}},
            }
        ],
    }


def rollout(namespace: str, name: str = "ro1", steps: list | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": 5,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
            },
            "strategy": {
                "canary": {
                    "steps": steps
                    if steps is not None
                    else [{"setWeight": 20}, {"pause": {"duration": "10s"}}]
                }
            },
        },
    }


def rollout_v2(namespace: str, name: str = "ro1") -> dict[str, Any]:
    manifest = rollout(namespace, name, steps=[{"setWeight": 50}])
    manifest["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    return manifest


_METRICS = [
    {
        "name": "success-rate",
        "interval": "10s",
        "successCondition": "result[0] >= 0.95",
        "provider": {"prometheus": {"address": "http://prometheus:9090", "query": "vector(1)"}},
    }
]


def analysis_template(namespace: str, name: str = "success-rate") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"metrics": copy.deepcopy(_METRICS)},
    }


def cluster_analysis_template(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ClusterAnalysisTemplate",
        "metadata": {"name": name},
        "spec": {"metrics": copy.deepcopy(_METRICS)},
    }


def analysis_run(namespace: str, name: str = "ar1") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"metrics": copy.deepcopy(_METRICS)},
    }


def event(namespace: str, involved: dict[str, Any], name: str, message: str) -> dict[str, Any]:
    meta = involved["metadata"]
    stamp = now_stamp()
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": namespace},
        "involvedObject": {
            "apiVersion": involved["apiVersion"],
            "kind": involved["kind"],
            "name": meta["name"],
            "namespace": namespace,
            "uid": meta["uid"],
        },
        "reason": "ScalingReplicaSet",
        "message": message,
        "type": "Normal",
        "count": 1,
        "firstTimestamp": stamp,
        "lastTimestamp": stamp,
        "source": {"component": "deployment-controller"},
        "reportingComponent": "deployment-controller",
    }


def object_path(obj: dict[str, Any], subresource: str = "", *, collection: bool = False) -> str:
    """The REST path of an object, of one of its subresources, or of its collection."""
    from clusters.embedded.resources import find_kind

    resource = find_kind(obj["apiVersion"], obj["kind"])
    assert resource is not None, obj["kind"]
    meta = obj.get("metadata") or {}
    path = resource.url_prefix
    if resource.namespaced:
        path += f"/namespaces/{meta['namespace']}"
    path += f"/{resource.plural}"
    if not collection:
        path += f"/{meta['name']}"
    if subresource:
        path += f"/{subresource}"
    return path


def create(raw: Any, obj: dict[str, Any]) -> dict[str, Any]:
    """POST an object with the raw client; fail loudly if the server refuses it."""
    response = raw.post(object_path(obj, collection=True), json=obj)
    assert response.status_code == 201, response.text
    return dict(response.json())


def merge_status(raw: Any, obj: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    """Merge-patch `.status` through the status subresource (what a controller would do);
    AnalysisRuns have none upstream, so their status is patched on the object itself."""
    path = object_path(obj) if obj.get("kind") == "AnalysisRun" else object_path(obj, "status")
    response = raw.patch(
        path,
        content=json.dumps({"status": status}),
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
