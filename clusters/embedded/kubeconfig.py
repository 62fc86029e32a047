"""The embedded cluster's bearer token and the kubeconfig that kubectl and Python clients use.

The token is generated once with `secrets`, kept owner-readable only in the state directory,
and never printed; the kubeconfig embeds the CA so clients verify the server's certificate.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any

import yaml

__all__ = ["CONTEXT_NAME", "ensure_token", "kubeconfig_document", "write_kubeconfig"]

CONTEXT_NAME = "rollout-lab"
_TOKEN_FILE = "token"


def _write_private_text(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def ensure_token(state_dir: Path) -> str:
    """The cluster's bearer token: read from `state_dir/token`, created (0600) on first use."""
    path = Path(state_dir) / _TOKEN_FILE
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    _write_private_text(path, token + "\n")
    return token


def kubeconfig_document(api_url: str, ca_pem: bytes, token: str) -> dict[str, Any]:
    """A kubeconfig with one cluster, user and context, all named `rollout-lab`."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [
            {
                "name": CONTEXT_NAME,
                "cluster": {
                    "server": api_url,
                    "certificate-authority-data": base64.b64encode(ca_pem).decode("ascii"),
                },
            }
        ],
        "users": [{"name": CONTEXT_NAME, "user": {"token": token}}],
        "contexts": [
            {
                "name": CONTEXT_NAME,
                "context": {"cluster": CONTEXT_NAME, "user": CONTEXT_NAME, "namespace": "default"},
            }
        ],
        "current-context": CONTEXT_NAME,
    }


def write_kubeconfig(state_dir: Path, api_url: str, ca_cert: Path) -> Path:
    """Write `state_dir/kubeconfig` (0600, it holds the token) and return its path."""
    token = ensure_token(state_dir)
    document = kubeconfig_document(api_url, Path(ca_cert).read_bytes(), token)
    path = Path(state_dir) / "kubeconfig"
    _write_private_text(path, yaml.safe_dump(document, sort_keys=False))
    return path
