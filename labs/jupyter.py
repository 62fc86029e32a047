"""Start JupyterLab for the learner: bound to 127.0.0.1, opened on the welcome notebook.

The server's root is the source tree, so the notebooks (`notebooks/`) and the learner's
workspace files (`workspace/<lab>/`, opened in JupyterLab's editor) are both reachable.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["WELCOME_NOTEBOOK", "JupyterLaunch", "free_port", "jupyter_command", "repo_root"]

WELCOME_NOTEBOOK = "notebooks/00-welcome.ipynb"


def repo_root() -> Path:
    """The source tree this package runs from (the lab is used from a clone)."""
    return Path(__file__).resolve().parent.parent


def free_port(preferred: int = 8888) -> int:
    """Return `preferred` when it is free on loopback, else any free port."""
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise OSError("no free TCP port on 127.0.0.1")


@dataclass(frozen=True)
class JupyterLaunch:
    """Everything needed to start JupyterLab and tell the learner where it is."""

    argv: list[str]
    env: dict[str, str]
    url: str
    port: int
    token: str


def jupyter_command(
    root: Path | None = None,
    port: int | None = None,
    token: str | None = None,
    extra_env: dict[str, str] | None = None,
) -> JupyterLaunch:
    """Build the JupyterLab command line; loopback only, with a fresh token unless given."""
    root = root or repo_root()
    port = port or free_port()
    token = token or secrets.token_hex(24)
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.default_url=/lab/tree/{WELCOME_NOTEBOOK}",
        f"--IdentityProvider.token={token}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Containers and CI run as root; JupyterLab refuses that unless told it is intended.
        argv.append("--allow-root")
    env = dict(os.environ)
    env.update(extra_env or {})
    url = f"http://127.0.0.1:{port}/lab/tree/{WELCOME_NOTEBOOK}?token={token}"
    return JupyterLaunch(argv=argv, env=env, url=url, port=port, token=token)


def run_jupyter(launch: JupyterLaunch) -> int:
    """Run JupyterLab in the foreground until the learner stops it (Ctrl-C)."""
    process = subprocess.Popen(launch.argv, env=launch.env)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()
