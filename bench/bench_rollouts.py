"""Print how fast the embedded Rollout controller reacts to a cause.

Run: `.venv/bin/python bench/bench_rollouts.py [--rounds 10] [--time-scale 10]`. Starts an
embedded cluster with workloads in a temp dir and drives one canary Rollout with steps
`[pause {}, pause {duration: 20s}, analysis]` through `--rounds` updates, measuring (wall
clock, via watches of the official Python client):

* promote: `/status` merge patch sent -> the status showing the next step index;
* pause expiry: the pause's startTime + its (warped) duration -> the status showing the next step;
* analysis result: the AnalysisRun's status turning Successful -> the rollout status recording it.

Figures depend on the machine (printed first); nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch

from clusters.embedded.cluster import EmbeddedCluster

NS = "bench"
ARGO = ("argoproj.io", "v1alpha1")
PAUSE_SECONDS = 20


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # http.server's naming
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


class Watcher:
    """Timestamps every rollout status and every AnalysisRun phase as the client receives it."""

    def __init__(self, custom: k8s.CustomObjectsApi) -> None:
        self.custom = custom
        self.statuses: list[tuple[float, dict[str, Any]]] = []
        self.run_phases: list[tuple[float, str, str]] = []
        self.stop = threading.Event()
        for plural, sink in (("rollouts", self._rollout), ("analysisruns", self._run)):
            threading.Thread(target=self._loop, args=(plural, sink), daemon=True).start()

    def _loop(self, plural: str, sink: Any) -> None:
        while not self.stop.is_set():
            try:
                for event in k8s_watch.Watch().stream(
                    self.custom.list_namespaced_custom_object, *ARGO, NS, plural, timeout_seconds=5
                ):
                    sink(time.time(), event["object"])
            except Exception:  # a dropped watch is reopened
                time.sleep(0.1)

    def _rollout(self, at: float, obj: dict[str, Any]) -> None:
        self.statuses.append((at, obj.get("status") or {}))

    def _run(self, at: float, obj: dict[str, Any]) -> None:
        phase = (obj.get("status") or {}).get("phase") or ""
        self.run_phases.append((at, obj["metadata"]["name"], phase))

    def first_status(self, since: float, check: Any, timeout: float = 120) -> tuple[float, dict]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for at, status in list(self.statuses):
                if at >= since and check(status):
                    return at, status
            time.sleep(0.005)
        raise TimeoutError("the rollout never reached the expected status")


def _rollout(url: str) -> dict[str, Any]:
    steps = [
        {"pause": {}},
        {"pause": {"duration": PAUSE_SECONDS}},
        {"analysis": {"templates": [{"templateName": "ok"}]}},
    ]
    container = {"name": "agent", "image": "rollout-lab/task-agent:v1"}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "bench"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "bench"}},
            "template": {
                "metadata": {"labels": {"app": "bench"}},
                "spec": {"containers": [container]},
            },
            "strategy": {"canary": {"steps": steps}},
        },
    }


def _template(url: str) -> dict[str, Any]:
    metric = {
        "name": "ok",
        "provider": {"web": {"url": url, "jsonPath": "{$.ok}"}},
        "successCondition": "result == true",
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "ok"},
        "spec": {"metrics": [metric]},
    }


def _step_run_name(watcher: Watcher, since: float) -> str | None:
    """The step AnalysisRun the rollout recorded after `since`."""
    for at, status in list(watcher.statuses):
        entry = (status.get("canary") or {}).get("currentStepAnalysisRunStatus") or {}
        if at >= since and entry.get("name"):
            return str(entry["name"])
    return None


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(
        f"{label:<44} p50 {statistics.median(ordered):8.1f} ms   p95 {p95:8.1f} ms   "
        f"(n={len(ordered)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--time-scale", type=float, default=10.0)
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, {os.cpu_count()} cpus, python {sys.version.split()[0]}")
    print(f"time scale {args.time_scale:g}: the {PAUSE_SECONDS} s pause lasts "
          f"{PAUSE_SECONDS / args.time_scale:g} s")  # fmt: skip
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/ok"
    with tempfile.TemporaryDirectory() as tmp:
        cluster = EmbeddedCluster(Path(tmp) / "cluster", time_scale=args.time_scale)
        cluster.start()
        try:
            api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
            core, custom = k8s.CoreV1Api(api), k8s.CustomObjectsApi(api)
            core.create_namespace({"metadata": {"name": NS}})
            custom.create_namespaced_custom_object(*ARGO, NS, "analysistemplates", _template(url))
            watcher = Watcher(custom)
            custom.create_namespaced_custom_object(*ARGO, NS, "rollouts", _rollout(url))
            watcher.first_status(0, lambda s: s.get("phase") == "Healthy")
            promote, expiry, analysis = [], [], []
            for round_ in range(args.rounds):
                obj = custom.get_namespaced_custom_object(*ARGO, NS, "rollouts", "bench")
                version = "v2" if round_ % 2 == 0 else "v1"
                obj["spec"]["template"]["spec"]["containers"][0]["image"] = (
                    f"rollout-lab/task-agent:{version}"
                )
                started = time.time()
                custom.replace_namespaced_custom_object(*ARGO, NS, "rollouts", "bench", obj)
                watcher.first_status(
                    started,
                    lambda s: s.get("currentStepIndex") == 0 and bool(s.get("pauseConditions")),
                )
                sent = time.time()
                custom.patch_namespaced_custom_object_status(
                    *ARGO, NS, "rollouts", "bench", {"status": {"pauseConditions": None}}
                )
                at, status = watcher.first_status(sent, lambda s: s.get("currentStepIndex") == 1)
                promote.append((at - sent) * 1000)
                at, status = watcher.first_status(
                    sent,
                    lambda s: s.get("currentStepIndex") == 1 and bool(s.get("pauseConditions")),
                )
                start = _stamp(status["pauseConditions"][0]["startTime"])
                due = start + PAUSE_SECONDS / args.time_scale
                at, _ = watcher.first_status(sent, lambda s: (s.get("currentStepIndex") or 0) >= 2)
                expiry.append((at - due) * 1000)
                at, status = watcher.first_status(
                    sent,
                    lambda s: (
                        ((s.get("canary") or {}).get("currentStepAnalysisRunStatus") or {}).get(
                            "status"
                        )
                        == "Successful"
                        or (s.get("currentStepIndex") or 0) >= 3
                    ),
                )
                run = _step_run_name(watcher, sent)
                done = [
                    t
                    for t, name, phase in watcher.run_phases
                    if phase == "Successful" and name == run and t >= sent
                ]
                if done:
                    analysis.append((at - min(done)) * 1000)
                watcher.first_status(sent, lambda s: s.get("phase") == "Healthy")
            watcher.stop.set()
            _report("promote patch -> next step in status", promote)
            _report("pause expiry -> next step in status", expiry)
            if analysis:
                _report("AnalysisRun Successful -> rollout status", analysis)
            api.close()
        finally:
            cluster.stop()
            server.shutdown()


if __name__ == "__main__":
    main()
