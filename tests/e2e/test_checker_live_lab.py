"""The reference solution on a live embedded cluster (real Rollouts controller, process kubelet):
applied with real kubectl, then checked through the official client, the way
`rollout-lab check` does. Manifest and state checks pass; the exercise's timeline checks wait
(pending), never fail, because the faulty release has not been run."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from checker import (
    GradeRequest,
    Status,
    TimelineRecorder,
    grade,
    load_manifest_dir,
    load_rubric,
    take_snapshot,
)
from clusters.embedded.cluster import EmbeddedCluster

pytestmark = pytest.mark.slow

LAB = Path(__file__).resolve().parents[2] / "labs" / "canary-analysis"


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EmbeddedCluster, k8s.ApiClient]]:
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("checker-lab"), time_scale=60, workloads=True)
    cluster.start()
    api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    k8s.CoreV1Api(api).create_namespace({"metadata": {"name": "lab-canary"}})
    yield cluster, api
    api.close()
    cluster.stop()


def test_reference_solution_live(live, tmp_path):
    cluster, api = live
    kubectl = shutil.which("kubectl", path=str(Path(sys.executable).parent))
    assert kubectl, "kubectl is not installed in the venv"
    rubric = load_rubric(LAB)
    recorder = TimelineRecorder("lab-canary", api_client=api, time_scale=60)
    recorder.start()
    subprocess.run(
        [
            kubectl,
            "--kubeconfig",
            str(cluster.kubeconfig_path),
            "apply",
            "-n",
            "lab-canary",
            "-f",
            str(LAB / "solution"),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the learner waits for Healthy before checking
        view = take_snapshot(api, "lab-canary").rollout("agent")
        if view is not None and view.phase == "Healthy":
            break
        time.sleep(0.5)
    request = GradeRequest(
        rubric=rubric,
        mode="cluster",
        manifests=load_manifest_dir(LAB / "solution"),
        snapshot_source=lambda: take_snapshot(api, "lab-canary", backend="embedded"),
        timeline_source=lambda: recorder.timeline,
        deadline_seconds=3,  # the timeline checks stay pending: no need to wait long
    )
    started = time.monotonic()
    result = grade(request, sleep=lambda s: time.sleep(min(s, 0.5)))
    recorder.stop(timeout=5)
    statuses = {c.id: (c.status, c.observed) for c in result.checks}
    for check in rubric.checks:
        if check.family in ("manifest", "state"):
            assert statuses[check.id][0] is Status.PASSED, (check.id, statuses[check.id])
        else:
            assert statuses[check.id][0] is Status.PENDING, (check.id, statuses[check.id])
            assert "faulty release has not been applied" in statuses[check.id][1]
    assert result.environment["backend"] == "embedded"
    assert result.environment["kubernetes_version"].startswith("v1.")
    assert time.monotonic() - started < 90
    phases = [v.phase for _, v in recorder.timeline.rollout_states("agent")]
    assert phases[-1] == "Healthy"
