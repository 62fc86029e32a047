"""Spec §13 cases 49 and 50: protobuf generator commands fail with a clear pointer to
`kubectl apply -f`; an older kubectl (1.32, classic LIST+WATCH) works when one is installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from conftest import KubectlRunner, kubectl_binary, run_kubectl
from e2e_manifests import configmap, deployment, object_path

from clusters.embedded.cluster import EmbeddedCluster

Writer = Callable[..., Path]


def test_case49_generator_commands_explain_the_protobuf_limitation(
    kubectl: KubectlRunner, namespace: str
) -> None:
    result = kubectl("create", "namespace", f"{namespace}-gen", check=False)
    assert result.returncode == 1
    assert "UnsupportedMediaType" in result.stderr
    assert "kubectl apply -f" in result.stderr
    cm = kubectl("create", "configmap", "gen", "--from-literal=a=b", "-n", namespace, check=False)
    assert cm.returncode == 1 and "kubectl apply -f" in cm.stderr


def _older_kubectl() -> tuple[str | None, str]:
    """A kubectl other than the venv's 1.37 (e.g. a distro 1.32), or why there is none."""
    ours = Path(kubectl_binary()).resolve()
    venv_bin = str(Path(kubectl_binary()).parent)
    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != venv_bin
    )
    other = shutil.which("kubectl", path=path)
    if other is None or Path(other).resolve() == ours:
        return None, "no second kubectl on PATH (case 50 needs e.g. a distro kubectl 1.32)"
    try:
        output = subprocess.run(
            [other, "version", "--client", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout
        minor = json.loads(output)["clientVersion"]["minor"]
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as error:
        return None, f"the second kubectl ({other}) does not report its version: {error}"
    if re.sub(r"\D", "", minor) == "37":
        return None, f"the second kubectl ({other}) is also 1.37"
    return other, ""


def test_case50_older_kubectl_apply_get_wide_and_finalizer_delete(
    cluster: EmbeddedCluster,
    raw: httpx.Client,
    namespace: str,
    write_manifest: Writer,
    tmp_path: Path,
) -> None:
    binary, reason = _older_kubectl()
    if binary is None:
        pytest.skip(reason)

    def old(*args: str, **options: object) -> subprocess.CompletedProcess[str]:
        return run_kubectl(binary, cluster.kubeconfig_path, tmp_path, *args, **options)  # type: ignore[arg-type]

    applied = old("apply", "-f", str(write_manifest("d.yaml", deployment(namespace))))
    assert "deployment.apps/web created" in applied.stdout
    header = old("get", "deploy", "-n", namespace, "-o", "wide").stdout.splitlines()[0].split()
    assert header[:2] == ["NAME", "READY"] and "SELECTOR" in header
    cm = configmap(namespace)
    cm["metadata"]["finalizers"] = ["example.com/hold"]
    assert raw.post(object_path(cm, collection=True), json=cm).status_code == 201
    command = [
        binary,
        "--kubeconfig",
        str(cluster.kubeconfig_path),
        "--cache-dir",
        str(tmp_path),
        "delete",
        "cm",
        "cfg",
        "-n",
        namespace,
        "--timeout=20s",
    ]
    started = time.monotonic()
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as deleting:
        time.sleep(1.5)
        assert deleting.poll() is None
        raw.patch(
            object_path(cm),
            content=b'{"metadata":{"finalizers":null}}',
            headers={"Content-Type": "application/merge-patch+json"},
        )
        out, err = deleting.communicate(timeout=25)
    assert deleting.returncode == 0, err
    assert 'configmap "cfg" deleted' in out
    assert time.monotonic() - started < 10
