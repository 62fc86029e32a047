"""Spec §13 cases 25-33: describe (defaulting, events, owner references) and every way
kubectl patches: merge, JSON, strategic, scale, set image, restart, label, annotate."""

from __future__ import annotations

import re

import httpx
from conftest import KubectlRunner
from e2e_manifests import (
    configmap,
    create,
    deployment,
    event,
    merge_status,
    object_path,
    pod,
    rollout,
    running_status,
    service,
)


def _get(raw: httpx.Client, obj: dict) -> dict:
    response = raw.get(object_path(obj))
    assert response.status_code == 200, response.text
    return dict(response.json())


def _replicaset_of(raw: httpx.Client, deploy: dict, namespace: str) -> dict:
    rs = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": "web-5d4f8c",
            "namespace": namespace,
            "labels": {"app": "web"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "web",
                    "uid": deploy["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": deploy["spec"]["template"],
        },
    }
    return create(raw, rs)


def test_case25_describe_deployment(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    deploy = create(raw, deployment(namespace))
    _replicaset_of(raw, deploy, namespace)
    create(raw, event(namespace, deploy, "web.1", "Scaled up replica set web-5d4f8c to 2"))
    out = kubectl("describe", "deploy", "web", "-n", namespace).stdout
    assert "2 desired" in out
    assert "80/TCP" in out
    assert re.search(r"^StrategyType:\s+RollingUpdate$", out, re.M)
    assert "Scaled up replica set web-5d4f8c to 2" in out
    assert "NewReplicaSet:" in out and "web-5d4f8c" in out


def test_case26_describe_running_pod(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    created = create(raw, pod(namespace))
    merge_status(raw, created, running_status())
    create(raw, event(namespace, created, "web-abc12.1", "Started container app"))
    out = kubectl("describe", "pod", "web-abc12", "-n", namespace).stdout
    assert re.search(r"^Status:\s+Running$", out, re.M)
    assert re.search(r"^\s+State:\s+Running$", out, re.M)
    assert re.search(r"^\s+Ready:\s+True$", out, re.M)
    assert "Started container app" in out


def test_case27_describe_service_namespace_and_custom_resource(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, service(namespace))
    svc = kubectl("describe", "svc", "web", "-n", namespace).stdout
    assert re.search(r"^Type:\s+ClusterIP$", svc, re.M) and "80/TCP" in svc
    assert re.search(r"^IP:\s+10\.(9[6-9]|1[01][0-9])\.", svc, re.M)
    described = kubectl("describe", "ns", namespace).stdout
    assert re.search(rf"^Name:\s+{namespace}$", described, re.M)
    ro = create(raw, rollout(namespace))
    merge_status(raw, ro, {"phase": "Healthy", "replicas": 5})
    out = kubectl("describe", "ro", "ro1", "-n", namespace).stdout
    assert re.search(r"^Kind:\s+Rollout$", out, re.M)
    assert "Set Weight:  20" in out
    assert "Phase:" in out and "Healthy" in out


def test_case28_merge_patch(kubectl: KubectlRunner, raw: httpx.Client, namespace: str) -> None:
    create(raw, configmap(namespace))
    result = kubectl(
        "patch",
        "cm",
        "cfg",
        "-n",
        namespace,
        "--type",
        "merge",
        "-p",
        '{"data":{"c":"3","a":null}}',
    )
    assert "configmap/cfg patched" in result.stdout
    assert _get(raw, configmap(namespace))["data"] == {"b": "2", "c": "3"}


def test_case29_json_patch_and_bad_path(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, configmap(namespace))
    ops = '[{"op":"add","path":"/data/d","value":"4"},{"op":"remove","path":"/data/b"}]'
    kubectl("patch", "cm", "cfg", "-n", namespace, "--type", "json", "-p", ops)
    assert _get(raw, configmap(namespace))["data"] == {"a": "1", "d": "4"}
    bad = kubectl(
        "patch",
        "cm",
        "cfg",
        "-n",
        namespace,
        "--type",
        "json",
        "-p",
        '[{"op":"remove","path":"/data/zzz"}]',
        check=False,
    )
    assert bad.returncode == 1
    assert "The request is invalid" in bad.stderr


def test_case30_strategic_patch_merges_containers_by_name(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, deployment(namespace))
    patch = '{"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:9"}]}}}}'
    kubectl("patch", "deploy", "web", "-n", namespace, "-p", patch)
    containers = _get(raw, deployment(namespace))["spec"]["template"]["spec"]["containers"]
    assert [(c["name"], c["image"]) for c in containers] == [
        ("app", "nginx:9"),
        ("sidecar", "busybox:1.36"),
    ]


def test_case31_strategic_patch_on_rollout_is_refused(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, rollout(namespace))
    result = kubectl(
        "patch", "ro", "ro1", "-n", namespace, "-p", '{"spec":{"replicas":2}}', check=False
    )
    assert result.returncode == 1
    assert (
        "application/strategic-merge-patch+json is not supported by argoproj.io/v1alpha1, "
        "Kind=Rollout" in result.stderr
    )


def test_case32_scale_deployment_and_rollout(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, deployment(namespace))
    create(raw, rollout(namespace))
    assert "scaled" in kubectl("scale", "deploy", "web", "-n", namespace, "--replicas=4").stdout
    assert "scaled" in kubectl("scale", "ro", "ro1", "-n", namespace, "--replicas=2").stdout
    assert _get(raw, deployment(namespace))["spec"]["replicas"] == 4
    out = kubectl("get", "ro", "-n", namespace).stdout.splitlines()[1].split()
    assert out[:2] == ["ro1", "2"]
    scale = raw.get(object_path(rollout(namespace), "scale")).json()
    assert scale["kind"] == "Scale" and scale["spec"]["replicas"] == 2


def test_case33_set_image_restart_label_annotate(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, deployment(namespace))
    create(raw, pod(namespace, "x"))
    create(raw, rollout(namespace))
    kubectl("set", "image", "deploy/web", "app=nginx:1.27", "-n", namespace)
    kubectl("rollout", "restart", "deploy/web", "-n", namespace)
    kubectl("label", "pod", "x", "a=b", "-n", namespace)
    kubectl("annotate", "ro", "ro1", "a=b", "-n", namespace)
    live = _get(raw, deployment(namespace))
    template = live["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert template["spec"]["containers"][1]["image"] == "busybox:1.36"
    assert "kubectl.kubernetes.io/restartedAt" in template["metadata"]["annotations"]
    assert _get(raw, pod(namespace, "x"))["metadata"]["labels"]["a"] == "b"
    assert _get(raw, rollout(namespace))["metadata"]["annotations"]["a"] == "b"
