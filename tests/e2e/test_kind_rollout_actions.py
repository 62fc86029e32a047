"""The learners' Rollout actions against kind and the REAL Argo Rollouts controller: the same
Python API (and `kubectl argo rollouts` via our plugin) drives promote, abort, retry, undo,
set image and restart, and the real controller reacts as the embedded one does.

Needs a Docker daemon (and internet for the node image and the Argo Rollouts manifest);
skipped with the reason otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clusters.kind.backend import KindBackend
from clusters.manifests import dump_manifests, render_lab_manifests
from clusters.progress import ConsoleProgress
from clusters.rollouts_client import (
    Connection,
    abort,
    connect,
    fetch_rollout_info,
    promote,
    restart,
    retry,
    set_image,
    undo,
)
from clusters.runner import SubprocessRunner

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1800)]

NAMESPACE = "actions"
ROLLOUT = "agent"
VENV_BIN = Path(sys.executable).parent


def canary_manifest() -> dict[str, Any]:
    labels = {"app": ROLLOUT}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": ROLLOUT},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "strategy": {"canary": {"steps": [{"setWeight": 50}, {"pause": {}}, {"pause": {}}]}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "agent",
                            "image": "rollout-lab/task-agent:v1",
                            "ports": [{"containerPort": 8080}],
                        }
                    ]
                },
            },
        },
    }


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KindBackend]:
    lab = KindBackend(
        state_dir=tmp_path_factory.mktemp("kind-actions"),
        cluster_name="rollout-lab-actions",
        lab_namespace=NAMESPACE,
        ports=(),  # no NodePorts needed; never collide with another kind test's host ports
        runner=SubprocessRunner(),
    )
    try:
        lab.up(ConsoleProgress())
        yield lab
    finally:
        lab.down()


@pytest.fixture(scope="module")
def conn(backend: KindBackend) -> Connection:
    documents = render_lab_manifests([canary_manifest()], backend.image_ref, backend.namespace)
    backend.kubectl()("apply", "-f", "-", input_text=dump_manifests(documents), timeout=120)
    return connect(backend.kubeconfig, backend.context, backend.namespace)


def wait_phase(conn: Connection, phase: str, step: int | None = None, timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        info = fetch_rollout_info(conn.api, conn.namespace, ROLLOUT)
        if info.status == phase and (step is None or info.step.startswith(f"{step}/")):
            return info
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {phase}: {info.status} - {info.message}")
        time.sleep(2)


def test_set_image_promote_abort_retry_undo_restart(backend: KindBackend, conn: Connection) -> None:
    wait_phase(conn, "Healthy")
    result = set_image(conn.api, conn.namespace, ROLLOUT, "agent", backend.image_ref("v2"))
    assert result.message == f'rollout "{ROLLOUT}" image updated'
    wait_phase(conn, "Paused", step=1)
    promote(conn.api, conn.namespace, ROLLOUT)
    wait_phase(conn, "Paused", step=2)

    abort(conn.api, conn.namespace, ROLLOUT)
    degraded = wait_phase(conn, "Degraded")
    assert degraded.message == "RolloutAborted: Rollout aborted update to revision 2"
    retry(conn.api, conn.namespace, ROLLOUT)
    wait_phase(conn, "Paused", step=1)
    promote(conn.api, conn.namespace, ROLLOUT, full=True)
    healthy = wait_phase(conn, "Healthy")
    assert any(rs.stable and rs.revision == 2 for rs in healthy.replicasets)

    assert undo(conn.api, conn.namespace, ROLLOUT).message == f"rollout '{ROLLOUT}' undo"
    wait_phase(conn, "Paused", step=1)
    promote(conn.api, conn.namespace, ROLLOUT, full=True)
    back = wait_phase(conn, "Healthy")
    stable = next(rs for rs in back.replicasets if rs.stable)
    assert stable.revision == 3 and stable.images == ("rollout-lab/task-agent:v1",)

    before = {pod.name for rs in back.replicasets for pod in rs.pods}
    restart(conn.api, conn.namespace, ROLLOUT)
    deadline = time.monotonic() + 300
    while True:
        now = fetch_rollout_info(conn.api, conn.namespace, ROLLOUT)
        pods = {pod.name for rs in now.replicasets for pod in rs.pods}
        if pods and not pods & before and now.status == "Healthy":
            break
        assert time.monotonic() < deadline, "pods were not replaced after restart"
        time.sleep(3)


def test_kubectl_plugin_reads_the_real_controllers_rollout(
    backend: KindBackend, conn: Connection
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update(
        KUBECONFIG=str(backend.kubeconfig),
        PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "")]),
        ROLLOUT_LAB_ARGO_PLUGIN="builtin",
    )
    shown = subprocess.run(
        [
            str(VENV_BIN / "kubectl"),
            "argo",
            "rollouts",
            "get",
            "rollout",
            ROLLOUT,
            "-n",
            NAMESPACE,
            "--context",
            backend.context,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert f"Name:            {ROLLOUT}" in shown.stdout and "⟳ agent" in shown.stdout
