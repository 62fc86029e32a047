"""Given / When / Then for Rollout conformance scenarios on a real embedded cluster.

`lab.scenario("name").given(*manifests).when(set_image(...)).then(phase="Paused", step=1)`:
`given` applies manifests with real kubectl, `when` performs user actions (the requests
`kubectl argo rollouts` sends; see test_rollouts_actions.py), and `then` waits until the
observable state matches.
ReplicaSets are named by creation order: H(1) is the first RS of the rollout, H(2) the next.
A watch records every status the rollout goes through, so `saw(...)` can assert brief states.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch

from clusters.embedded.cluster import EmbeddedCluster

HASH = "rollouts-pod-template-hash"
MANAGED_BY = "argo-rollouts.argoproj.io/managed-by-rollouts"
ARGO = ("argoproj.io", "v1alpha1")
_names = itertools.count(1)


READINESS = {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 2}


def agent_container(version: str = "v1", crash: bool = False) -> dict[str, Any]:
    """The task agent behind a /readyz probe; `crash` passes an unknown --version so the
    process exits at start (CrashLoopBackOff, never ready)."""
    container: dict[str, Any] = {
        "name": "agent",
        "image": f"rollout-lab/task-agent:{version}",
        "ports": [{"containerPort": 8080, "name": "http"}],
        "readinessProbe": READINESS,
    }
    if crash:
        container["args"] = ["serve", "--version", "v9"]
    return container


def agent_template(name: str, version: str = "v1", crash: bool = False) -> dict[str, Any]:
    return {
        "metadata": {"labels": {"app": name}},
        "spec": {"containers": [agent_container(version, crash)]},
    }


def rollout(name: str, strategy: dict[str, Any], replicas: int | None = 1, **spec: Any) -> dict:
    body: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": agent_template(name),
            "strategy": strategy,
            **spec,
        },
    }
    if replicas is not None:
        body["spec"]["replicas"] = replicas
    return body


def service(name: str, app: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": app}, "ports": [{"port": 80, "targetPort": "http"}]},
    }


def web_template(name: str, url: str, **metric: Any) -> dict[str, Any]:
    """An AnalysisTemplate with one web metric reading `{"ok": ...}` from `url`: true passes,
    false fails, anything else is inconclusive."""
    body = {"name": "web", "provider": {"web": {"url": url, "jsonPath": "{$.ok}"}}}
    body.update(
        {"successCondition": "result == true", "failureCondition": "result == false", **metric}
    )
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": name},
        "spec": {"metrics": [body]},
    }


class Verdicts:
    """A local HTTP endpoint answering `{"ok": <bool>}` per path: the web metric's target."""

    def __init__(self) -> None:
        answers: dict[str, Any] = {}
        self.answers = answers

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server names it so
                body = json.dumps({"ok": answers.get(self.path, True)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, ok: Any) -> str:
        self.answers[path] = ok
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class RolloutLab:
    """One embedded cluster (workloads on, time-warped) shared by a test module."""

    def __init__(self, cluster: EmbeddedCluster, workdir: Path) -> None:
        self.cluster = cluster
        self.workdir = workdir
        self.api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
        self.core = k8s.CoreV1Api(self.api)
        self.apps = k8s.AppsV1Api(self.api)
        self.custom = k8s.CustomObjectsApi(self.api)
        self.kubectl_path = str(Path(sys.executable).parent / "kubectl")
        self.verdicts = Verdicts()
        self.scenarios: list[Scenario] = []

    def kubectl(self, *args: str, input: str | None = None) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env["HOME"] = str(self.workdir)
        command = [
            self.kubectl_path,
            "--kubeconfig",
            str(self.cluster.kubeconfig_path),
            "--cache-dir",
            str(self.workdir / "kube-cache"),
            *args,
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=60, env=env, input=input, check=False
        )
        if result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def scenario(self, title: str, name: str = "ro") -> Scenario:
        namespace = f"{title}-{next(_names)}"
        self.core.create_namespace({"metadata": {"name": namespace}})
        scenario = Scenario(self, namespace, name)
        self.scenarios.append(scenario)
        return scenario

    def close(self) -> None:
        for scenario in self.scenarios:
            scenario.stop()
        self.verdicts.close()
        self.api.close()


class Scenario:
    """One rollout in its own namespace, driven through the API only."""

    def __init__(self, lab: RolloutLab, namespace: str, name: str) -> None:
        self.lab, self.ns, self.name = lab, namespace, name
        self.history: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._recorder = threading.Thread(target=self._record, daemon=True)
        self._recorder.start()

    # -- recording -----------------------------------------------------------------------
    def _record(self) -> None:
        while not self._stop.is_set():
            watcher = k8s_watch.Watch()
            try:
                for event in watcher.stream(
                    self.lab.custom.list_namespaced_custom_object,
                    *ARGO,
                    self.ns,
                    "rollouts",
                    timeout_seconds=5,
                ):
                    obj = event["object"]
                    if obj.get("metadata", {}).get("name") == self.name:
                        self.history.append(obj.get("status") or {})
                    if self._stop.is_set():
                        watcher.stop()
                        return
            except Exception:  # a dropped watch is simply reopened
                time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()

    # -- reading -------------------------------------------------------------------------
    def get(self) -> dict[str, Any]:
        obj: dict[str, Any] = self.lab.custom.get_namespaced_custom_object(
            *ARGO, self.ns, "rollouts", self.name
        )
        return obj

    def status(self) -> dict[str, Any]:
        return self.get().get("status") or {}

    def replicasets(self) -> list[Any]:
        items = self.lab.apps.list_namespaced_replica_set(self.ns).items
        owned = [
            rs
            for rs in items
            if any(
                ref.kind == "Rollout" and ref.name == self.name
                for ref in rs.metadata.owner_references or []
            )
        ]
        return sorted(owned, key=_first_revision)

    def H(self, n: int) -> str:  # reads like the spec's H1, H2
        """The pod-template hash of the n-th ReplicaSet the rollout created."""
        return str(self.replicasets()[n - 1].metadata.labels[HASH])

    def rs(self, n: int) -> Any:
        return self.replicasets()[n - 1]

    def runs(self) -> list[dict[str, Any]]:
        items = self.lab.custom.list_namespaced_custom_object(*ARGO, self.ns, "analysisruns")
        return sorted(items["items"], key=lambda r: r["metadata"]["creationTimestamp"])

    def service(self, name: str) -> Any:
        return self.lab.core.read_namespaced_service(name, self.ns)

    def events(self) -> list[tuple[str, str, int]]:
        items = self.lab.core.list_namespaced_event(self.ns).items
        mine = [e for e in items if e.involved_object.kind == "Rollout"]
        mine.sort(key=lambda e: (e.first_timestamp or e.event_time, e.metadata.resource_version))
        return [(e.reason, e.message, e.count or 1) for e in mine]

    # -- given / when / then -------------------------------------------------------------
    def given(self, *documents: dict[str, Any]) -> Scenario:
        path = self.lab.workdir / f"{self.ns}-{time.monotonic_ns()}.yaml"
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
        self.lab.kubectl("apply", "-n", self.ns, "-f", str(path))
        return self

    def when(self, *actions: Callable[[Scenario], None]) -> Scenario:
        for action in actions:
            action(self)
        return self

    def then(self, timeout: float = 90.0, **expect: Any) -> Scenario:
        deadline = time.monotonic() + timeout
        problems: list[str] = []
        while time.monotonic() < deadline:
            problems = self._mismatches(expect)
            if not problems:
                return self
            time.sleep(0.1)
        status = self.status()
        pytest.fail(
            f"[{self.ns}] not reached in {timeout}s: {'; '.join(problems)} "
            f"(phase {status.get('phase')!r}, message {status.get('message')!r})\n"
            f"status={json.dumps(self.status(), indent=1)[:3000]}"
        )

    def saw(self, timeout: float = 30.0, **fields: Any) -> Scenario:
        """Some recorded status had all these top-level fields (brief states included)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for status in list(self.history):
                if all(_field(status, key) == value for key, value in fields.items()):
                    return self
            time.sleep(0.1)
        pytest.fail(f"[{self.ns}] never saw {fields}; last: {self.history[-3:]}")

    def _mismatches(self, expect: dict[str, Any]) -> list[str]:
        status = self.status()
        rollout = self.get()
        out = []
        for key, wanted in expect.items():
            got = self._observe(key, wanted, rollout, status)
            if callable(wanted) and not isinstance(wanted, type):
                if not wanted(got):
                    out.append(f"{key}: {got!r} fails the check")
            elif got != wanted:
                out.append(f"{key}: {got!r} != {wanted!r}")
        return out

    def _observe(
        self, key: str, wanted: Any, rollout: dict[str, Any], status: dict[str, Any]
    ) -> Any:
        if key == "phase":
            return status.get("phase")
        if key == "message":
            return status.get("message", "")
        if key == "step":
            return status.get("currentStepIndex")
        if key in ("stable", "current"):
            field = "stableRS" if key == "stable" else "currentPodHash"
            return self._index(status.get(field))
        if key == "abort":
            return bool(status.get("abort"))
        if key == "pauses":
            return [p["reason"] for p in status.get("pauseConditions") or []]
        if key == "pods":
            rss = self.replicasets()
            return {
                n: rs.spec.replicas
                for n, rs in enumerate(rss, 1)
                if n in wanted and (rs.status.replicas or 0) == rs.spec.replicas
            }
        if key == "counts":
            spec = rollout["spec"].get("replicas")
            return (
                spec,
                status.get("replicas", 0),
                status.get("updatedReplicas", 0),
                status.get("readyReplicas", 0),
                status.get("availableReplicas", 0),
            )
        if key == "runs":
            return len(self.runs())
        if key in ("active", "preview"):
            return self._index((status.get("blueGreen") or {}).get(f"{key}Selector"))
        if key == "conditions":
            conds = {c["type"]: (c["status"], c["reason"]) for c in status.get("conditions") or []}
            return {k: conds.get(k) for k in wanted}
        if key == "check":
            return self
        return _field(status, key)

    def _index(self, pod_hash: str | None) -> int | None:
        if not pod_hash:
            return None
        for n, rs in enumerate(self.replicasets(), 1):
            if rs.metadata.labels.get(HASH) == pod_hash:
                return n
        return -1


def _first_revision(rs: Any) -> int:
    """The revision an RS was created with (creation order; reused RSs are renumbered)."""
    annotations = rs.metadata.annotations or {}
    numbers = [annotations.get("rollout.argoproj.io/revision", "0")]
    numbers += [
        n for n in annotations.get("rollout.argoproj.io/revision-history", "").split(",") if n
    ]
    return min(int(n) for n in numbers)


def _field(status: dict[str, Any], dotted: str) -> Any:
    value: Any = status
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
