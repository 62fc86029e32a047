"""Spec §13 cases 1-3, 23 and 40: discovery, versions, unknown types, explain."""

from __future__ import annotations

from conftest import KubectlRunner


def test_case01_version_reports_server_1_37(kubectl: KubectlRunner) -> None:
    result = kubectl("version")
    assert "Server Version: v1.37" in result.stdout


def test_case02_api_resources_lists_kinds_with_short_names_and_scope(
    kubectl: KubectlRunner,
) -> None:
    rows = {line.split()[0]: line.split() for line in kubectl("api-resources").stdout.splitlines()}
    assert rows["rollouts"][1:] == ["ro", "argoproj.io/v1alpha1", "true", "Rollout"]
    assert rows["clusteranalysistemplates"][1:] == [
        "cat",
        "argoproj.io/v1alpha1",
        "false",
        "ClusterAnalysisTemplate",
    ]
    assert rows["namespaces"][1:] == ["ns", "v1", "false", "Namespace"]
    assert rows["deployments"][1:] == ["deploy", "apps/v1", "true", "Deployment"]
    assert rows["analysisruns"][1] == "ar"
    assert rows["analysistemplates"][1] == "at"
    for plural in ("pods", "services", "endpoints", "events", "configmaps", "replicasets"):
        assert plural in rows


def test_case03_api_versions(kubectl: KubectlRunner) -> None:
    versions = kubectl("api-versions").stdout.split()
    assert {"apps/v1", "argoproj.io/v1alpha1", "v1"} <= set(versions)


def test_case23_unknown_type_and_missing_object(kubectl: KubectlRunner, namespace: str) -> None:
    unknown = kubectl("get", "foos", check=False)
    assert unknown.returncode == 1
    assert 'the server doesn\'t have a resource type "foos"' in unknown.stderr
    missing = kubectl("get", "ro", "nope", "-n", namespace, check=False)
    assert missing.returncode == 1
    assert 'Error from server (NotFound): rollouts.argoproj.io "nope" not found' in missing.stderr


def test_case40_explain_rollouts_and_deployment_spec(kubectl: KubectlRunner) -> None:
    rollouts = kubectl("explain", "rollouts").stdout
    assert "GROUP:      argoproj.io" in rollouts
    assert "KIND:       Rollout" in rollouts
    assert "VERSION:    v1alpha1" in rollouts
    assert "FIELDS:" in rollouts
    spec = kubectl("explain", "deployment.spec").stdout
    assert "KIND:       Deployment" in spec
    assert "replicas" in spec and "FIELDS:" in spec
