"""Spec §13 cases 4-14, 41 and 42: client- and server-side apply, validation, dry runs,
replace and diff with kubectl 1.37."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
from conftest import KubectlRunner
from e2e_manifests import (
    analysis_template,
    cluster_analysis_template,
    configmap,
    deployment,
    deployment_v2,
    object_path,
    rollout,
    rollout_v2,
)

Writer = Callable[..., Path]
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _get(raw: httpx.Client, obj: dict) -> dict:
    response = raw.get(object_path(obj))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_case04_apply_namespace_stores_last_applied(
    kubectl: KubectlRunner, write_manifest: Writer, raw: httpx.Client, namespace: str
) -> None:
    name = f"{namespace}-x"
    path = write_manifest(
        "ns.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    )
    assert kubectl("apply", "-f", str(path)).stdout.strip() == f"namespace/{name} created"
    stored = raw.get(f"/api/v1/namespaces/{name}").json()
    assert json.loads(stored["metadata"]["annotations"][LAST_APPLIED])["metadata"]["name"] == name


def test_case05_06_07_apply_create_unchanged_configure(
    kubectl: KubectlRunner, write_manifest: Writer, raw: httpx.Client, namespace: str
) -> None:
    first = write_manifest("deploy.yaml", deployment(namespace))
    created = kubectl("apply", "-f", str(first), "-v=6")
    assert "deployment.apps/web created" in created.stdout
    assert "fieldValidation=Strict" in created.stderr
    again = kubectl("apply", "-f", str(first), "-v=6")
    assert "deployment.apps/web unchanged" in again.stdout
    assert "PATCH" not in again.stderr
    second = write_manifest("deploy2.yaml", deployment_v2(namespace))
    assert "deployment.apps/web configured" in kubectl("apply", "-f", str(second)).stdout
    live = _get(raw, deployment(namespace))
    containers = live["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["app"]
    assert [e["name"] for e in containers[0]["env"]] == ["A"]
    assert [p["containerPort"] for p in containers[0]["ports"]] == [80, 443]
    assert containers[0]["image"] == "nginx:1.26"
    assert live["metadata"]["generation"] == 2
    assert live["spec"]["replicas"] == 3


def test_case08_apply_rollout_replaces_steps_by_merge_patch(
    kubectl: KubectlRunner, write_manifest: Writer, raw: httpx.Client, namespace: str
) -> None:
    first = write_manifest("ro.yaml", rollout(namespace))
    assert "rollout.argoproj.io/ro1 created" in kubectl("apply", "-f", str(first)).stdout
    second = write_manifest("ro2.yaml", rollout_v2(namespace))
    assert "rollout.argoproj.io/ro1 configured" in kubectl("apply", "-f", str(second)).stdout
    live = _get(raw, rollout(namespace))
    assert live["spec"]["strategy"]["canary"]["steps"] == [{"setWeight": 50}]
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"


def test_case09_apply_two_documents_one_cluster_scoped(
    kubectl: KubectlRunner, write_manifest: Writer, namespace: str
) -> None:
    cat_name = f"{namespace}-cat"
    path = write_manifest(
        "at.yaml", analysis_template(namespace), cluster_analysis_template(cat_name)
    )
    out = kubectl("apply", "-f", str(path)).stdout
    assert "analysistemplate.argoproj.io/success-rate created" in out
    assert f"clusteranalysistemplate.argoproj.io/{cat_name} created" in out
    assert cat_name in kubectl("get", "cat").stdout
    assert "success-rate" in kubectl("get", "at", "-n", namespace).stdout


def test_case10_server_side_apply_creates_with_201(
    kubectl: KubectlRunner, write_manifest: Writer, raw: httpx.Client, namespace: str
) -> None:
    path = write_manifest("cm2.yaml", configmap(namespace, "cfg-ssa", {"k": "v"}))
    result = kubectl("apply", "--server-side", "-f", str(path), "-v=6")
    assert "configmap/cfg-ssa serverside-applied" in result.stdout
    assert "201 Created" in result.stderr
    stored = raw.get(f"/api/v1/namespaces/{namespace}/configmaps/cfg-ssa").json()
    assert stored["data"] == {"k": "v"}
    assert any(m["manager"] == "kubectl" for m in stored["metadata"]["managedFields"])


def test_case11_server_side_force_over_client_side_apply_keeps_spec(
    kubectl: KubectlRunner, write_manifest: Writer, raw: httpx.Client, namespace: str
) -> None:
    path = write_manifest("ro.yaml", rollout(namespace))
    kubectl("apply", "-f", str(path))
    kubectl("apply", "--server-side", "--force-conflicts", "-f", str(path))
    live = _get(raw, rollout(namespace))
    assert live["spec"]["replicas"] == 5
    assert (
        live["spec"]["strategy"]["canary"]["steps"]
        == rollout(namespace)["spec"]["strategy"]["canary"]["steps"]
    )
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.25"


def test_case12_unknown_field_is_a_strict_decoding_error(
    kubectl: KubectlRunner, write_manifest: Writer, namespace: str
) -> None:
    bad = {**configmap(namespace, "bad"), "bogusField": 1}
    result = kubectl("apply", "-f", str(write_manifest("bad.yaml", bad)), check=False)
    assert result.returncode == 1
    assert 'strict decoding error: unknown field "bogusField"' in result.stderr


def test_case13_missing_namespace(kubectl: KubectlRunner, write_manifest: Writer) -> None:
    path = write_manifest("cm.yaml", configmap("nope-missing-ns", "cfg"))
    result = kubectl("apply", "-f", str(path), check=False)
    assert result.returncode == 1
    assert 'namespaces "nope-missing-ns" not found' in result.stderr


def test_case14_server_dry_run_changes_nothing(
    kubectl: KubectlRunner, write_manifest: Writer, raw: httpx.Client, namespace: str
) -> None:
    kubectl("apply", "-f", str(write_manifest("d.yaml", deployment(namespace))))
    before = _get(raw, deployment(namespace))
    result = kubectl(
        "apply", "--dry-run=server", "-f", str(write_manifest("d2.yaml", deployment_v2(namespace)))
    )
    assert "deployment.apps/web configured (server dry run)" in result.stdout
    after = _get(raw, deployment(namespace))
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert after["spec"] == before["spec"]


def test_case41_replace_then_stale_put_conflicts(
    kubectl: KubectlRunner, write_manifest: Writer, raw: httpx.Client, namespace: str
) -> None:
    kubectl("apply", "-f", str(write_manifest("ro.yaml", rollout(namespace))))
    stale = _get(raw, rollout(namespace))
    result = kubectl("replace", "-f", str(write_manifest("ro2.yaml", rollout_v2(namespace))))
    assert "rollout.argoproj.io/ro1 replaced" in result.stdout
    assert _get(raw, rollout(namespace))["spec"]["strategy"]["canary"]["steps"] == [
        {"setWeight": 50}
    ]
    path = object_path(stale)
    response = raw.put(path, json=stale)
    assert response.status_code == 409
    assert response.json()["reason"] == "Conflict"
    assert "the object has been modified" in response.json()["message"]


def test_case42_diff_shows_changes_and_stores_nothing(
    kubectl: KubectlRunner, write_manifest: Writer, raw: httpx.Client, namespace: str
) -> None:
    kubectl("apply", "-f", str(write_manifest("d.yaml", deployment(namespace))))
    before = _get(raw, deployment(namespace))
    result = kubectl(
        "diff", "-f", str(write_manifest("d2.yaml", deployment_v2(namespace))), check=False
    )
    assert result.returncode == 1, result.stderr
    assert "-        image: nginx:1.25" in result.stdout
    assert "+        image: nginx:1.26" in result.stdout
    after = _get(raw, deployment(namespace))
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
