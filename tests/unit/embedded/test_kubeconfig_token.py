"""kubeconfig and token files: one context `rollout-lab`, a stable 0600 token, the CA embedded."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import yaml

from clusters.embedded.certs import ensure_tls_files
from clusters.embedded.kubeconfig import ensure_token, write_kubeconfig


def test_token_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    token = ensure_token(tmp_path)
    assert len(token) >= 40
    assert ensure_token(tmp_path) == token
    assert stat.S_IMODE((tmp_path / "token").stat().st_mode) == 0o600
    assert ensure_token(tmp_path / "other") != token


def test_kubeconfig_points_kubectl_at_the_server_with_ca_and_token(tmp_path: Path) -> None:
    tls = ensure_tls_files(tmp_path)
    path = write_kubeconfig(tmp_path, "https://127.0.0.1:41234", tls.ca_cert)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    config = yaml.safe_load(path.read_text())
    assert config["current-context"] == "rollout-lab"
    (cluster,) = config["clusters"]
    assert cluster["name"] == "rollout-lab"
    assert cluster["cluster"]["server"] == "https://127.0.0.1:41234"
    ca = base64.b64decode(cluster["cluster"]["certificate-authority-data"])
    assert ca == tls.ca_cert.read_bytes()
    (user,) = config["users"]
    assert user["user"]["token"] == ensure_token(tmp_path)
    (context,) = config["contexts"]
    assert context["context"] == {
        "cluster": "rollout-lab",
        "user": "rollout-lab",
        "namespace": "default",
    }
