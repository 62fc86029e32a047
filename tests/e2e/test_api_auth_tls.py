"""Auth and transport: TLS with the kubeconfig's CA, bearer token required, loopback only."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from conftest import kubectl_binary, raw_client, run_kubectl

from clusters.embedded.cluster import EmbeddedCluster


def test_kubectl_reaches_the_server_over_tls_with_the_kubeconfig(
    kubectl: Callable[..., object], cluster: EmbeddedCluster
) -> None:
    assert cluster.api_url.startswith("https://127.0.0.1:")
    result = kubectl("get", "--raw", "/api/v1/namespaces")
    assert '"kind":"NamespaceList"' in result.stdout  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "token",
    [None, "wrong-token", "x" * 500],
    ids=["no-token", "wrong-token", "overlong-token"],
)
def test_requests_without_the_token_get_401(cluster: EmbeddedCluster, token: str | None) -> None:
    with raw_client(cluster, token=token) as session:
        response = session.get("/api/v1/namespaces")
    assert response.status_code == 401
    assert response.json()["reason"] == "Unauthorized"


def test_kubectl_with_a_wrong_token_is_refused(cluster: EmbeddedCluster, tmp_path: Path) -> None:
    config = cluster.kubeconfig_path.read_text()
    token = config.split("token: ", 1)[1].split()[0]
    bad = tmp_path / "bad-kubeconfig"
    bad.write_text(config.replace(token, "not-the-token"))
    result = run_kubectl(kubectl_binary(), bad, tmp_path, "get", "pods", check=False)
    assert result.returncode != 0
    assert "Unauthorized" in result.stderr or "provide credentials" in result.stderr


def test_plain_http_and_unknown_ca_are_refused(cluster: EmbeddedCluster) -> None:
    port = cluster.api_url.rsplit(":", 1)[1]
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"https://127.0.0.1:{port}/readyz", verify=ssl.create_default_context())


def _listening_addresses(port: int) -> list[str]:
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].split(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                found.append(address)
    return found


def test_server_socket_is_bound_to_loopback_only(cluster: EmbeddedCluster) -> None:
    port = int(cluster.api_url.rsplit(":", 1)[1])
    addresses = _listening_addresses(port)
    if not addresses and not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp on this platform")
    assert addresses == ["0100007F"]  # 127.0.0.1, little-endian hex; nothing on IPv6/any


def test_health_endpoints_answer_ok_without_credentials(cluster: EmbeddedCluster) -> None:
    with raw_client(cluster, token=None) as session:
        for path in ("/readyz", "/livez", "/healthz"):
            response = session.get(path)
            assert (response.status_code, response.text) == (200, "ok")
