"""The whole exercise live on the embedded cluster (real Rollouts and AnalysisRun controllers,
process kubelet running the agent): release the faulty v4 and then the quiet v3 under traffic,
let the analysis abort each, roll back by each valid path, and grade with the live snapshot and
the recorded timeline."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from agent.mix import standard_mix
from checker import (
    GradeRequest,
    Snapshot,
    Status,
    TimelineRecorder,
    grade,
    load_manifest_dir,
    load_rubric,
    take_snapshot,
)
from checker.views import RolloutView
from clusters.embedded.cluster import EmbeddedCluster

pytestmark = pytest.mark.slow

LAB = Path(__file__).resolve().parents[2] / "labs" / "canary-analysis"
NS = "lab-canary"
ROLLOUTS = ("argoproj.io", "v1alpha1", NS, "rollouts")
GOOD, BAD = "rollout-lab/task-agent:v1", "rollout-lab/task-agent:v4"
QUIET = "rollout-lab/task-agent:v3"  # no errors, ~4x the P0 tasks: only urgent_ratio fails it
SCALE = 10  # a 5m pause lasts 30 s; a 30s analysis interval 3 s


class Lab:
    """The learner's side: kubectl, the API, traffic to every agent pod (as the lab's tool)."""

    def __init__(self, cluster: EmbeddedCluster, api: k8s.ApiClient) -> None:
        self.cluster, self.api = cluster, api
        self.custom = k8s.CustomObjectsApi(api)
        self.kubectl_bin = (
            shutil.which("kubectl", path=str(Path(sys.executable).parent)) or "kubectl"
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._traffic, daemon=True)

    def kubectl(self, *args: str) -> None:
        command = [self.kubectl_bin, "--kubeconfig", str(self.cluster.kubeconfig_path), *args]
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=60)

    def snapshot(self) -> Snapshot:
        return take_snapshot(self.api, NS, backend="embedded")

    def wait(self, ready: Callable[[RolloutView], bool], what: str, limit: float = 90) -> None:
        deadline = time.monotonic() + limit
        view = None
        while time.monotonic() < deadline:
            view = self.snapshot().rollout("agent")
            if view is not None and ready(view):
                return
            time.sleep(0.3)
        pytest.fail(f"timed out waiting for {what}: {view.summary() if view else 'no rollout'}")

    def set_image(self, image: str) -> None:
        """What `kubectl argo rollouts set image` does: GET, change the image, PUT."""
        obj = self.custom.get_namespaced_custom_object(*ROLLOUTS, "agent")
        obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
        self.custom.replace_namespaced_custom_object(*ROLLOUTS, "agent", obj)

    def undo(self) -> None:
        """What `kubectl argo rollouts undo` does: the previous revision's template, applied."""
        sets = [
            rs
            for rs in self.snapshot().items("replicasets")
            if rs["metadata"]["name"].startswith("agent-")
        ]
        sets.sort(key=lambda rs: int(rs["metadata"]["annotations"]["rollout.argoproj.io/revision"]))
        template: dict[str, Any] = sets[-2]["spec"]["template"]
        template["metadata"]["labels"].pop("rollouts-pod-template-hash", None)
        obj = self.custom.get_namespaced_custom_object(*ROLLOUTS, "agent")
        obj["spec"]["template"] = template
        self.custom.replace_namespaced_custom_object(*ROLLOUTS, "agent", obj)

    def _traffic(self) -> None:
        mix, sent = standard_mix(0), 0
        core = k8s.CoreV1Api(self.api)
        with httpx.Client(timeout=2) as http:
            while not self._stop.is_set():
                try:
                    pods = core.list_namespaced_pod(NS, label_selector="app=agent").items
                    for pod in pods:
                        if pod.status and pod.status.pod_ip and pod.status.phase == "Running":
                            for _ in range(5):
                                sent += 1
                                http.post(
                                    f"http://{pod.status.pod_ip}:8080/v1/plan",
                                    json=mix[sent % len(mix)],
                                )
                except Exception:  # pods come and go during a rollout; keep sending
                    time.sleep(0.05)

    def start_traffic(self) -> None:
        self._thread.start()

    def stop_traffic(self) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("checker-rollback"), time_scale=SCALE)
    cluster.start()
    api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
    k8s.CoreV1Api(api).create_namespace({"metadata": {"name": NS}})
    session = Lab(cluster, api)
    session.kubectl("apply", "-n", NS, "-f", str(LAB / "solution"))
    session.wait(lambda v: v.phase == "Healthy", "the first deploy")
    session.start_traffic()
    yield session
    session.stop_traffic()
    api.close()
    cluster.stop()


def _healthy_on_good(view: RolloutView) -> bool:
    return (
        view.phase == "Healthy"
        and view.images == [GOOD]
        and not view.aborted
        and view.fully_promoted
        and view.observed_current
    )


@pytest.mark.parametrize("path", ["abort_then_undo", "abort_then_set_image", "abort_then_reapply"])
def test_every_rollback_path_gets_full_marks_live(lab: Lab, path: str):
    rubric = load_rubric(LAB)
    recorder = TimelineRecorder(NS, api_client=lab.api, time_scale=SCALE)
    recorder.start()
    try:
        time.sleep(0.5)
        for faulty in (BAD, QUIET):  # the loud v4 (errors), then the quiet v3 (urgent ratio)
            lab.set_image(faulty)
            lab.wait(
                lambda v: v.aborted and v.phase == "Degraded", f"the analysis to abort {faulty}"
            )
            if path == "abort_then_undo":
                lab.undo()
            elif path == "abort_then_set_image":
                lab.set_image(GOOD)
            else:
                lab.kubectl("apply", "-n", NS, "-f", str(LAB / "solution" / "rollout.yaml"))
            lab.wait(_healthy_on_good, "the rollback")
            time.sleep(0.5)
    finally:
        timeline = recorder.stop(timeout=5)
    result = grade(
        GradeRequest(
            rubric=rubric,
            mode="cluster",
            manifests=load_manifest_dir(LAB / "solution"),
            snapshot_source=lab.snapshot,
            timeline_source=lambda: timeline,
            deadline_seconds=5,
        )
    )
    not_passed = [
        (c.id, c.status, c.observed) for c in result.checks if c.status is not Status.PASSED
    ]
    assert not_passed == []
    assert result.score == result.points_possible
