"""`rollout-lab up / status / down` on the embedded backend, as a learner runs them.

Given a lab started with `rollout-lab up`, when pods run and the learner runs `down`, then no
process of the lab is left (checked by process group). When the cluster process dies instead,
its pods die with it and the next `up` resumes from the persisted state.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from clusters.embedded.backend import server_pid

pytestmark = pytest.mark.slow


def cli(state_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labs.cli", *args, "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def deployment(replicas: int = 2) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "agent"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {
                    "containers": [
                        {
                            "name": "agent",
                            "image": "rollout-lab/task-agent:v1",
                            "ports": [{"containerPort": 8080}],
                            "readinessProbe": {
                                "httpGet": {"path": "/readyz", "port": 8080},
                                "periodSeconds": 1,
                            },
                        }
                    ]
                },
            },
        },
    }


def ready_pod_pids(core: k8s.CoreV1Api, want: int, timeout: float = 90) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pods = core.list_namespaced_pod("rollout-lab", label_selector="app=agent").items
        ready = [
            int(status.container_id.split("://")[1])
            for pod in pods
            for status in (pod.status.container_statuses or [])
            if status.ready and status.container_id
        ]
        if len(ready) == want:
            return ready
        time.sleep(0.3)
    pytest.fail(f"{want} agent pods did not become ready")


def test_up_is_idempotent_and_down_leaves_no_process(tmp_path: Path):
    state = tmp_path / "lab"
    first = cli(state, "up", "--backend", "embedded", "--time-scale", "10")
    assert first.returncode == 0, first.stdout + first.stderr
    kubeconfig = state / "embedded" / "kubeconfig"
    assert f"export KUBECONFIG={kubeconfig}" in first.stdout
    again = cli(state, "up", "--backend", "embedded", "--time-scale", "10")
    assert again.returncode == 0
    assert "already running" in again.stdout and "nothing to do" in again.stdout
    status = cli(state, "status")
    assert status.returncode == 0 and "state: running" in status.stdout

    api = k8s_config.new_client_from_config(config_file=str(kubeconfig))
    core = k8s.CoreV1Api(api)
    k8s.AppsV1Api(api).create_namespaced_deployment("rollout-lab", deployment())
    pods = ready_pod_pids(core, 2)
    server = server_pid(state / "embedded")
    assert server is not None
    groups = [server, *(os.getpgid(pid) for pid in pods)]
    api.close()

    down = cli(state, "down")
    assert down.returncode == 0, down.stderr
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(group_alive(g) for g in groups):
        time.sleep(0.2)
    assert not [g for g in groups if group_alive(g)], "lab processes survived `rollout-lab down`"
    stopped = cli(state, "status")
    assert stopped.returncode != 0


def test_a_crashed_cluster_takes_its_pods_along_and_up_resumes(tmp_path: Path):
    state = tmp_path / "lab"
    assert cli(state, "up", "--backend", "embedded", "--time-scale", "10").returncode == 0
    kubeconfig = state / "embedded" / "kubeconfig"
    api = k8s_config.new_client_from_config(config_file=str(kubeconfig))
    core = k8s.CoreV1Api(api)
    k8s.AppsV1Api(api).create_namespaced_deployment("rollout-lab", deployment(1))
    (pid,) = ready_pod_pids(core, 1)
    pod_group = os.getpgid(pid)
    api.close()

    server = server_pid(state / "embedded")
    assert server is not None
    os.kill(server, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and group_alive(pod_group):
        time.sleep(0.2)
    assert not group_alive(pod_group), "a pod process outlived its cluster"

    resumed = cli(state, "up", "--backend", "embedded", "--time-scale", "10")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    api = k8s_config.new_client_from_config(config_file=str(kubeconfig))
    core = k8s.CoreV1Api(api)
    assert k8s.AppsV1Api(api).read_namespaced_deployment("agent", "rollout-lab")
    ready_pod_pids(core, 1)  # the persisted Deployment runs again
    api.close()
    assert cli(state, "down").returncode == 0
