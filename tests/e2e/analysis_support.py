"""Shared pieces of the analysis e2e tests: the cluster, Given/When/Then helpers, fake servers.

Scenarios that need an exact response body (a JSON bool, a 503, a Prometheus answer) point
their metric at a small HTTP server the test runs on 127.0.0.1: the embedded cluster's
controller reaches it by URL exactly as it would reach any address outside the cluster.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client as k8s
from kubernetes import config as k8s_config

from clusters.embedded.cluster import EmbeddedCluster

TIME_SCALE = 60
GROUP, VERSION = "argoproj.io", "v1alpha1"
COMPLETED = ("Successful", "Failed", "Error", "Inconclusive")
Reply = tuple[int, str]


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout test) is expected; do not print its broken pipe."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None


class FakeServer:
    """An HTTP server answering from a script (the last reply repeats) or a handler."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [(200, "{}")]
        self.handler: Callable[[str, str], Reply] | None = None
        self.requests: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, body = owner.reply(self.command, self.path)
                payload = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def script(self, *replies: Reply | dict[str, Any]) -> None:
        with self._lock:
            self.replies = [(200, json.dumps(r)) if isinstance(r, dict) else r for r in replies]

    def reply(self, method: str, path: str) -> Reply:
        with self._lock:
            self.requests.append((method, path, time.monotonic()))
            if self.handler is not None:
                return self.handler(method, path)
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def prometheus_vector(*values: str) -> dict[str, Any]:
    result = [{"metric": {"pod": f"p{i}"}, "value": [1700000000, v]} for i, v in enumerate(values)]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


class AnalysisLab:
    """The test's view of the embedded cluster: Python client, kubectl and small helpers."""

    def __init__(self, cluster: EmbeddedCluster, workdir: Path) -> None:
        self.cluster = cluster
        self.workdir = workdir
        self.api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
        self.core = k8s.CoreV1Api(self.api)
        self.apps = k8s.AppsV1Api(self.api)
        self.batch = k8s.BatchV1Api(self.api)
        self.custom = k8s.CustomObjectsApi(self.api)
        self._namespaces = 0

    def namespace(self, hint: str) -> str:
        self._namespaces += 1
        name = f"{hint}-{self._namespaces}"
        self.core.create_namespace({"metadata": {"name": name}})
        return name

    def kubectl(self, *args: str, check: bool = True) -> Any:
        import os
        import subprocess
        import sys

        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
        env["HOME"] = str(self.workdir)
        binary = str(Path(sys.executable).parent / "kubectl")
        result = subprocess.run(
            [binary, "--kubeconfig", str(self.cluster.kubeconfig_path), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        if check and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)}: {result.stdout}{result.stderr}")
        return result

    # -- Given ---------------------------------------------------------------------------------
    def given_run(
        self, namespace: str, metrics: list[dict[str, Any]], name: str = "run", **spec: Any
    ):
        body = {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "AnalysisRun",
            "metadata": {"name": name},
            "spec": {"metrics": metrics, **spec},
        }
        return self.custom.create_namespaced_custom_object(
            GROUP, VERSION, namespace, "analysisruns", body
        )

    # -- When ----------------------------------------------------------------------------------
    def run(self, namespace: str, name: str = "run") -> dict[str, Any]:
        return self.custom.get_namespaced_custom_object(
            GROUP, VERSION, namespace, "analysisruns", name
        )

    def terminate(self, namespace: str, name: str = "run") -> None:
        self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, namespace, "analysisruns", name, {"spec": {"terminate": True}}
        )

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30, what: str = "it") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        pytest.fail(f"timed out waiting for {what}")

    # -- Then ----------------------------------------------------------------------------------
    def completed_run(
        self, namespace: str, name: str = "run", timeout: float = 30
    ) -> dict[str, Any]:
        def done() -> dict[str, Any] | None:
            run = self.run(namespace, name)
            return run if (run.get("status") or {}).get("phase") in COMPLETED else None

        return self.wait_for(done, timeout, f"AnalysisRun {namespace}/{name} to complete")

    def events(self, namespace: str) -> list[tuple[str, str, str]]:
        items = self.core.list_namespaced_event(namespace).items
        return [(e.type, e.reason, e.message) for e in items]


def metric_result(run: dict[str, Any], name: str = "m") -> dict[str, Any]:
    (found,) = [r for r in run["status"].get("metricResults") or [] if r["name"] == name]
    return found


def phases(run: dict[str, Any], name: str = "m") -> list[str]:
    return [m["phase"] for m in metric_result(run, name).get("measurements") or []]


def offsets(run: dict[str, Any], name: str = "m") -> list[float]:
    """Cluster seconds from the first measurement's finish to each measurement's finish."""
    from clusters.embedded.clock import parse_timestamp

    stamps = [parse_timestamp(m["finishedAt"]) for m in metric_result(run, name)["measurements"]]
    return [round((s - stamps[0]).total_seconds() * TIME_SCALE, 1) for s in stamps]


def lab_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalysisLab]:
    """Body of a module-scoped `lab` fixture: one embedded cluster at time-scale 60."""
    cluster = EmbeddedCluster(tmp_path_factory.mktemp("analysis"), time_scale=TIME_SCALE)
    cluster.start()
    try:
        yield AnalysisLab(cluster, tmp_path_factory.mktemp("kubectl"))
    finally:
        cluster.stop()


def fake_server() -> Iterator[FakeServer]:
    """Body of a `server` fixture: a FakeServer closed afterwards."""
    fake = FakeServer()
    try:
        yield fake
    finally:
        fake.close()


def assert_spacing(actual: list[float], expected: tuple[float, ...]) -> None:
    """Measurement gaps are never shorter than upstream's (1 s of stamp rounding) and at most
    half a real second longer (a loaded machine is late, never early)."""
    assert len(actual) == len(expected), actual
    for index in range(1, len(actual)):
        gap, wanted = actual[index] - actual[index - 1], expected[index] - expected[index - 1]
        assert wanted - 1 <= gap <= wanted + 0.5 * TIME_SCALE, (actual, expected)
