"""Print the embedded API server's latency as real clients see it.

Run: `.venv/bin/python bench/bench_api.py [--objects 200] [--rounds 200]`. Starts an API-only
embedded cluster in a temp dir, then measures through the official Python client (TLS, token):
GET of one object, LIST of `--objects` ConfigMaps, and watch event delivery (patch sent -> event
received); plus the wall time of `kubectl get pods` as a user runs it (process start included).
Figures depend on the machine, printed first; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes import watch as k8s_watch

from clusters.embedded.cluster import EmbeddedCluster

NAMESPACE = "bench"


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _timed(action: Callable[[], object], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _report(label: str, samples: list[float]) -> None:
    p50, p95 = _percentiles(samples)
    print(f"{label:<40} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   (n={len(samples)})")


def _watch_latency(core: k8s.CoreV1Api, kubeconfig: Path, rounds: int) -> list[float]:
    """Time from sending a patch to receiving its MODIFIED event on a typed watch."""
    sent: dict[str, float] = {}
    received: list[float] = []
    ready = threading.Event()
    done = threading.Event()

    def consume() -> None:
        watcher_api = k8s.CoreV1Api(k8s_config.new_client_from_config(config_file=str(kubeconfig)))
        watcher = k8s_watch.Watch()
        for event in watcher.stream(
            watcher_api.list_namespaced_config_map,
            NAMESPACE,
            field_selector="metadata.name=cm-0",
            timeout_seconds=120,
        ):
            ready.set()
            marker = (event["object"].metadata.annotations or {}).get("bench")
            if event["type"] == "MODIFIED" and marker in sent:
                received.append((time.perf_counter() - sent[marker]) * 1000)
                if len(received) >= rounds:
                    watcher.stop()
        done.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    ready.wait(30)
    for index in range(rounds):
        marker = str(index)
        sent[marker] = time.perf_counter()
        core.patch_namespaced_config_map(
            "cm-0", NAMESPACE, {"metadata": {"annotations": {"bench": marker}}}
        )
        while len(received) <= index and not done.is_set():
            time.sleep(0.0005)
    thread.join(10)
    return received


def _kubectl_wall(kubeconfig: Path, rounds: int) -> tuple[float, list[float]]:
    kubectl = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or "kubectl"
    cache = Path(tempfile.mkdtemp(prefix="bench-kubectl-"))
    command = [kubectl, "--kubeconfig", str(kubeconfig), "--cache-dir", str(cache)]
    command += ["get", "pods", "-n", NAMESPACE]

    def run() -> None:
        subprocess.run(command, capture_output=True, check=True, timeout=60)

    cold = _timed(run, 1)[0]
    return cold, _timed(run, rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--kubectl-rounds", type=int, default=10)
    args = parser.parse_args()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-api-") as state:
        cluster = EmbeddedCluster(Path(state), workloads=False)
        started = time.perf_counter()
        with cluster:
            print(
                f"cluster start (process to /readyz)        {time.perf_counter() - started:.2f} s"
            )
            api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
            core = k8s.CoreV1Api(api)
            core.create_namespace({"metadata": {"name": NAMESPACE}})
            create: list[float] = []
            for index in range(args.objects):
                begin = time.perf_counter()
                core.create_namespaced_config_map(
                    NAMESPACE,
                    {"metadata": {"name": f"cm-{index}"}, "data": {"index": str(index)}},
                )
                create.append((time.perf_counter() - begin) * 1000)
            for index in range(5):
                core.create_namespaced_pod(
                    NAMESPACE,
                    {
                        "metadata": {"name": f"pod-{index}"},
                        "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
                    },
                )
            _report("create ConfigMap (typed client)", create)
            _report(
                "get ConfigMap (typed client)",
                _timed(lambda: core.read_namespaced_config_map("cm-7", NAMESPACE), args.rounds),
            )
            _report(
                f"list {args.objects} ConfigMaps (typed client)",
                _timed(
                    lambda: core.list_namespaced_config_map(NAMESPACE),
                    max(10, args.rounds // 10),
                ),
            )
            _report(
                "watch event delivery (patch -> event)",
                _watch_latency(core, cluster.kubeconfig_path, min(args.rounds, 100)),
            )
            cold, warm = _kubectl_wall(cluster.kubeconfig_path, args.kubectl_rounds)
            print(f"{'kubectl get pods, cold discovery cache':<40} {cold:8.1f} ms")
            _report("kubectl get pods, warm cache (wall)", warm)
            api.close()


if __name__ == "__main__":
    main()
