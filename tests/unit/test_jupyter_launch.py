"""`make lab` runs `rollout-lab lab start`: JupyterLab on 127.0.0.1, token, welcome notebook."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from clusters.embedded.backend import server_pid
from labs.jupyter import free_port, jupyter_command, repo_root


def test_command_binds_loopback_with_token():
    launch = jupyter_command(port=18999, token="abc")
    assert "--ip=127.0.0.1" in launch.argv
    assert "--IdentityProvider.token=abc" in launch.argv
    # Opens on the welcome notebook; the root is the source tree so workspace/ files open too.
    assert launch.url == "http://127.0.0.1:18999/lab/tree/notebooks/00-welcome.ipynb?token=abc"
    assert f"--ServerApp.root_dir={repo_root()}" in launch.argv
    assert "--LabApp.default_url=/lab/tree/notebooks/00-welcome.ipynb" in launch.argv


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_lab_start_serves_jupyterlab(tmp_path: Path):
    port = free_port(0)
    home = tmp_path / "lab-home"
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "cfg"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"),
        JUPYTER_DATA_DIR=str(tmp_path / "data"),
        ROLLOUT_LAB_HOME=str(home),
    )
    command = ["lab", "start", "--backend", "embedded", "--port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "labs.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=2).status_code
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert process.poll() is None, "JupyterLab exited early"
        # Without the token the API refuses: the printed token is what lets the learner in.
        assert status == 403
        # The cluster is up before JupyterLab, with the lab namespace.
        kubeconfig = home / "embedded" / "kubeconfig"
        api = k8s_config.new_client_from_config(config_file=str(kubeconfig))
        names = [n.metadata.name for n in k8s.CoreV1Api(api).list_namespace().items]
        api.close()
        assert "rollout-lab" in names
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
    assert f"http://127.0.0.1:{port}/lab/tree/notebooks/00-welcome.ipynb?token=" in output
    assert f"export KUBECONFIG={kubeconfig}" in output
    assert "cluster stopped" in output
    assert server_pid(home / "embedded") is None
