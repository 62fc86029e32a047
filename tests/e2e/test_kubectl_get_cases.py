"""Spec §13 cases 15-22 and 24: `kubectl get` through server-side Tables, output formats,
selectors, sorting and watching."""

from __future__ import annotations

import json
import subprocess
import time

import httpx
from conftest import KubectlRunner, kubectl_binary
from e2e_manifests import (
    analysis_run,
    analysis_template,
    cluster_analysis_template,
    create,
    deployment,
    merge_status,
    object_path,
    pod,
    rollout,
    running_status,
    service,
)

from clusters.embedded.cluster import EmbeddedCluster


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def test_case15_rollout_columns_blank_then_filled_by_status(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    ro = create(raw, rollout(namespace))
    header, row = _rows(kubectl("get", "rollouts", "-n", namespace).stdout)
    assert header == ["NAME", "DESIRED", "CURRENT", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert row[:2] == ["ro1", "5"] and len(row) == 3  # blank CURRENT/UP-TO-DATE/AVAILABLE
    merge_status(
        raw, ro, {"replicas": 5, "updatedReplicas": 5, "availableReplicas": 5, "readyReplicas": 5}
    )
    _, row = _rows(kubectl("get", "rollouts", "-n", namespace).stdout)
    assert row[:5] == ["ro1", "5", "5", "5", "5"]


def test_case16_wide_and_multi_kind_all_namespaces(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, rollout(namespace))
    wide = _rows(kubectl("get", "ro", "-n", namespace, "-o", "wide").stdout)
    assert wide[0][:6] == ["NAME", "DESIRED", "CURRENT", "UP-TO-DATE", "AVAILABLE", "AGE"]
    ar = create(raw, analysis_run(namespace))
    merge_status(raw, ar, {"phase": "Running"})
    create(raw, analysis_template(namespace))
    create(raw, cluster_analysis_template(f"{namespace}-cat"))
    out = kubectl("get", "ar,at,cat", "-A").stdout
    assert "NAMESPACE" in out.splitlines()[0]
    ar_header = next(line for line in out.splitlines() if "STATUS" in line)
    assert ar_header.split()[:3] == ["NAMESPACE", "NAME", "STATUS"]
    assert any(
        line.split()[:3] == [namespace, "analysisrun.argoproj.io/ar1", "Running"]
        for line in out.splitlines()
    )
    assert f"clusteranalysistemplate.argoproj.io/{namespace}-cat" in out


def test_case17_pods_all_namespaces_wide_with_labels(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    merge_status(raw, create(raw, pod(namespace)), running_status(ip="10.244.0.17"))
    out = kubectl("get", "pods", "-A", "-o", "wide", "--show-labels").stdout
    header, *rows = _rows(out)
    assert header[:4] == ["NAMESPACE", "NAME", "READY", "STATUS"]
    assert {"IP", "NODE", "LABELS"} <= set(header)
    row = next(r for r in rows if r[0] == namespace)
    assert row[1:4] == ["web-abc12", "1/1", "Running"]
    assert "10.244.0.17" in row and "e2e-node" in row and row[-1] == "app=web"


def test_case18_deployments_wide_with_label_column(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, deployment(namespace))
    header, row = _rows(kubectl("get", "deploy", "-n", namespace, "-o", "wide", "-L", "app").stdout)
    assert header == [
        "NAME",
        "READY",
        "UP-TO-DATE",
        "AVAILABLE",
        "AGE",
        "CONTAINERS",
        "IMAGES",
        "SELECTOR",
        "APP",
    ]
    assert row[0] == "web" and row[1] == "0/2"
    assert row[-4:] == ["app,sidecar", "nginx:1.25,busybox:1.36", "app=web", "web"]


def test_case19_get_all_uses_the_all_category(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, pod(namespace))
    create(raw, service(namespace))
    create(raw, deployment(namespace))
    create(raw, rollout(namespace))
    out = kubectl("get", "all", "-n", namespace).stdout
    assert "pod/web-abc12" in out
    assert "service/web" in out
    assert "deployment.apps/web" in out
    assert "rollout" not in out


def test_case20_output_formats(kubectl: KubectlRunner, raw: httpx.Client, namespace: str) -> None:
    create(raw, rollout(namespace))
    as_yaml = kubectl("get", "ro", "ro1", "-n", namespace, "-o", "yaml").stdout
    assert "kind: Rollout" in as_yaml and "setWeight: 20" in as_yaml
    as_json = json.loads(kubectl("get", "ro", "ro1", "-n", namespace, "-o", "json").stdout)
    assert as_json["spec"]["replicas"] == 5
    jsonpath = kubectl("get", "ro", "ro1", "-n", namespace, "-o", "jsonpath={.spec.replicas}")
    assert jsonpath.stdout == "5"
    name = kubectl("get", "ro", "ro1", "-n", namespace, "-o", "name").stdout.strip()
    assert name == "rollout.argoproj.io/ro1"


def test_case21_label_and_field_selectors(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    running = create(raw, pod(namespace, "p-web", {"app": "web"}))
    merge_status(raw, running, running_status())
    create(raw, pod(namespace, "p-x", {"app": "x", "tier": "front"}))
    create(raw, pod(namespace, "p-other", {"app": "other"}))

    def names(*selector: str) -> list[str]:
        out = kubectl("get", "pods", "-n", namespace, "-o", "name", *selector).stdout
        return sorted(line.split("/")[1] for line in out.split())

    assert names("-l", "app=web") == ["p-web"]
    assert names("-l", "app in (web,x)") == ["p-web", "p-x"]
    assert names("-l", "!tier") == ["p-other", "p-web"]
    assert names("--field-selector", "status.phase=Running") == ["p-web"]


def test_case22_sort_by_requests_full_objects(
    kubectl: KubectlRunner, raw: httpx.Client, namespace: str
) -> None:
    create(raw, pod(namespace, "first"))
    create(raw, pod(namespace, "second"))
    result = kubectl(
        "get", "pods", "-n", namespace, "--sort-by=.metadata.creationTimestamp", "-v=6"
    )
    assert "includeObject=Object" in result.stderr
    assert [r[0] for r in _rows(result.stdout)[1:]] == ["first", "second"]


def test_case24_get_watch_prints_new_rows_until_killed(
    cluster: EmbeddedCluster, raw: httpx.Client, namespace: str, tmp_path: object
) -> None:
    create(raw, rollout(namespace))
    command = [
        kubectl_binary(),
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        "--cache-dir",
        str(tmp_path),
        "get",
        "ro",
        "-n",
        namespace,
        "-w",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as watcher:
        try:
            assert watcher.stdout is not None
            assert watcher.stdout.readline().split()[0] == "NAME"
            assert watcher.stdout.readline().split()[:2] == ["ro1", "5"]
            patched = raw.patch(
                object_path(rollout(namespace)),
                content=b'{"spec":{"replicas":7}}',
                headers={"Content-Type": "application/merge-patch+json"},
            )
            assert patched.status_code == 200
            assert watcher.stdout.readline().split()[:2] == ["ro1", "7"]
            time.sleep(1.0)
            assert watcher.poll() is None  # the stream stays open
        finally:
            watcher.terminate()
            watcher.wait(10)
