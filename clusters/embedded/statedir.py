"""The embedded cluster's state directory layout, shared by the server and its launcher.

Kept free of server imports so `EmbeddedCluster` (used by labs and tests) stays cheap to import.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["HOST", "read_port", "state_files"]

HOST = "127.0.0.1"


def state_files(state_dir: Path) -> dict[str, Path]:
    """Where `serve` keeps its files inside the state directory."""
    state_dir = Path(state_dir)
    return {
        "port": state_dir / "port",
        "pid": state_dir / "server.pid",
        "log": state_dir / "server.log",
        "db": state_dir / "store.db",
        "kubeconfig": state_dir / "kubeconfig",
        "ca": state_dir / "tls" / "ca.crt",
    }


def read_port(state_dir: Path) -> int | None:
    """The port persisted by an earlier start, if any."""
    try:
        return int(state_files(state_dir)["port"].read_text().strip())
    except (OSError, ValueError):
        return None
