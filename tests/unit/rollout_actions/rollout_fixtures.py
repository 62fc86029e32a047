"""Objects shaped exactly like the API returns them: a canary and a blue-green Rollout with
their ReplicaSets, pods and AnalysisRuns (fixed names, hashes, UIDs and timestamps)."""

from __future__ import annotations

import copy
from typing import Any

NOW = "2026-03-30T12:00:00Z"
HASH_V1, HASH_V2 = "6c779b88b6", "5bd9f48d5c"
IMAGE_V1, IMAGE_V2 = "rollout-lab/task-agent:v1", "rollout-lab/task-agent:v2"
ROLLOUT_UID = "0f1e2d3c-0000-4000-8000-000000000001"


def template(name: str, image: str, pod_hash: str | None = None) -> dict[str, Any]:
    labels = {"app": name}
    if pod_hash:
        labels["rollouts-pod-template-hash"] = pod_hash
    return {
        "metadata": {"labels": labels},
        "spec": {
            "containers": [
                {
                    "name": "agent",
                    "image": image,
                    "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent",
                }
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {},
            "schedulerName": "default-scheduler",
        },
    }


def canary_rollout(
    namespace: str = "rollout-lab", name: str = "agent", image: str = IMAGE_V2
) -> dict[str, Any]:
    """4 replicas, steps setWeight 25 / pause {} / setWeight 50 / pause 30s."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": ROLLOUT_UID,
            "generation": 2,
            "creationTimestamp": "2026-03-30T11:20:00Z",
            "annotations": {"rollout.argoproj.io/revision": "2"},
        },
        "spec": {
            "replicas": 4,
            "selector": {"matchLabels": {"app": name}},
            "template": template(name, image),
            "strategy": {
                "canary": {
                    "steps": [
                        {"setWeight": 25},
                        {"pause": {}},
                        {"setWeight": 50},
                        {"pause": {"duration": "30s"}},
                    ]
                }
            },
        },
        "status": {
            "phase": "Paused",
            "message": "CanaryPauseStep",
            "observedGeneration": "2",
            "currentPodHash": HASH_V2,
            "stableRS": HASH_V1,
            "currentStepIndex": 1,
            "currentStepHash": "5f8fbfd4c4",
            "controllerPause": True,
            "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-03-30T11:58:30Z"}],
            "canary": {},
            "blueGreen": {},
            "replicas": 5,
            "updatedReplicas": 1,
            "readyReplicas": 5,
            "availableReplicas": 5,
            "HPAReplicas": 5,
            "selector": f"app={name}",
        },
    }


def bluegreen_rollout(namespace: str = "rollout-lab", name: str = "agent-bg") -> dict[str, Any]:
    """3 replicas, active + preview Services, manual promotion, paused on the preview."""
    rollout = canary_rollout(namespace, name)
    rollout["metadata"]["uid"] = ROLLOUT_UID.replace("0001", "0002")
    rollout["spec"]["replicas"] = 3
    rollout["spec"]["strategy"] = {
        "blueGreen": {
            "activeService": f"{name}-active",
            "previewService": f"{name}-preview",
            "autoPromotionEnabled": False,
        }
    }
    rollout["status"] = {
        "phase": "Paused",
        "message": "BlueGreenPause",
        "observedGeneration": "2",
        "currentPodHash": HASH_V2,
        "stableRS": HASH_V1,
        "controllerPause": True,
        "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2026-03-30T11:59:00Z"}],
        "canary": {},
        "blueGreen": {"activeSelector": HASH_V1, "previewSelector": HASH_V2},
        "replicas": 6,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "HPAReplicas": 3,
        "selector": f"app={name},rollouts-pod-template-hash={HASH_V1}",
    }
    return rollout


def replicaset(
    rollout: dict[str, Any],
    pod_hash: str,
    revision: int,
    image: str,
    replicas: int,
    created: str,
    *,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    name = rollout["metadata"]["name"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{name}-{pod_hash}",
            "namespace": rollout["metadata"]["namespace"],
            "uid": f"{rollout['metadata']['uid'][:-4]}{revision:04d}".replace("0f1e", "1a2b"),
            "generation": 1,
            "creationTimestamp": created,
            "labels": {"app": name, "rollouts-pod-template-hash": pod_hash},
            "annotations": {
                "rollout.argoproj.io/revision": str(revision),
                "rollout.argoproj.io/desired-replicas": str(rollout["spec"]["replicas"]),
                **(annotations or {}),
            },
            "ownerReferences": [
                {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Rollout",
                    "name": name,
                    "uid": rollout["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name, "rollouts-pod-template-hash": pod_hash}},
            "template": template(name, image, pod_hash),
        },
        "status": {
            "replicas": replicas,
            "fullyLabeledReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "observedGeneration": 1,
        },
    }


def pod(rs: dict[str, Any], suffix: str, created: str, *, restarts: int = 0) -> dict[str, Any]:
    labels = dict(rs["metadata"]["labels"])
    container = copy.deepcopy(rs["spec"]["template"]["spec"]["containers"][0])
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{rs['metadata']['name']}-{suffix}",
            "namespace": rs["metadata"]["namespace"],
            "uid": f"pod-{suffix}",
            "creationTimestamp": created,
            "labels": labels,
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": rs["metadata"]["name"],
                    "uid": rs["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"containers": [container], "nodeName": "rollout-lab"},
        "status": {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [
                {
                    "name": "agent",
                    "image": container["image"],
                    "ready": True,
                    "started": True,
                    "restartCount": restarts,
                    "state": {"running": {"startedAt": created}},
                }
            ],
        },
    }


def analysis_run(
    rollout: dict[str, Any], name: str, revision: int, phase: str, created: str, **counts: int
) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {
            "name": name,
            "namespace": rollout["metadata"]["namespace"],
            "uid": f"ar-{name}",
            "creationTimestamp": created,
            "annotations": {"rollout.argoproj.io/revision": str(revision)},
            "ownerReferences": [
                {
                    "apiVersion": "argoproj.io/v1alpha1",
                    "kind": "Rollout",
                    "name": rollout["metadata"]["name"],
                    "uid": rollout["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"metrics": [{"name": "error-rate", "provider": {"prometheus": {}}}]},
        "status": {
            "phase": phase,
            "metricResults": [{"name": "error-rate", "phase": phase, **counts}],
        },
    }


def paused_canary_objects() -> dict[str, Any]:
    """Paused at step 1/4: stable v1 with 4 pods, canary v2 with 1 pod, a running run."""
    rollout = canary_rollout()
    stable = replicaset(rollout, HASH_V1, 1, IMAGE_V1, 4, "2026-03-30T11:20:00Z")
    canary = replicaset(rollout, HASH_V2, 2, IMAGE_V2, 1, "2026-03-30T11:58:00Z")
    pods = [pod(stable, s, "2026-03-30T11:20:05Z") for s in ("2xk7p", "8fq2m", "c9v4d", "tw5zn")]
    pods.append(pod(canary, "h6r8s", "2026-03-30T11:58:02Z", restarts=1))
    run = analysis_run(
        rollout, f"agent-{HASH_V2}-2", 2, "Running", "2026-03-30T11:58:05Z", successful=3
    )
    return {"rollout": rollout, "replicasets": [stable, canary], "pods": pods, "runs": [run]}


def bluegreen_objects() -> dict[str, Any]:
    """Active v1 (3 pods), preview v2 (3 pods), an older revision scaled down with a delay."""
    rollout = bluegreen_rollout()
    active = replicaset(rollout, HASH_V1, 1, IMAGE_V1, 3, "2026-03-30T11:20:00Z")
    preview = replicaset(rollout, HASH_V2, 2, IMAGE_V2, 3, "2026-03-30T11:57:00Z")
    pods = [pod(active, s, "2026-03-30T11:20:04Z") for s in ("4hjkl", "9mnbv", "qwe7r")]
    pods += [pod(preview, s, "2026-03-30T11:57:03Z") for s in ("7zxcv", "b8nm2", "p0o9i")]
    return {"rollout": rollout, "replicasets": [active, preview], "pods": pods, "runs": []}
