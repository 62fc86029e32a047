"""Print how long the embedded cluster takes from `up` to 3 agent pods Ready, and the memory
(RSS) of the cluster process plus 6 agent pods.

Run: `.venv/bin/python bench/bench_workloads.py [--runs 3]`. Figures are wall time on this
machine (printed first); the ratio line compares pod start-up with the API-only start-up
measured in the same run, so noisy machines still give a meaningful number.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from kubernetes import client as k8s
from kubernetes import config as k8s_config

from clusters.embedded.cluster import EmbeddedCluster

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "agent"},
    "spec": {
        "replicas": 3,
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


def rss_kib(pid: int) -> int:
    """Resident set size of one process from /proc (KiB); 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def ready_pods(core: k8s.CoreV1Api) -> list[k8s.V1Pod]:
    pods = core.list_namespaced_pod("bench", label_selector="app=agent").items
    return [
        p
        for p in pods
        if p.status
        and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])
    ]


def one_run(replicas_for_memory: int = 6) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        cluster = EmbeddedCluster(Path(tmp) / "state")
        cluster.start()
        try:
            api_up = time.perf_counter() - started
            api = k8s_config.new_client_from_config(config_file=str(cluster.kubeconfig_path))
            core, apps = k8s.CoreV1Api(api), k8s.AppsV1Api(api)
            core.create_namespace({"metadata": {"name": "bench"}})
            apps.create_namespaced_deployment("bench", DEPLOYMENT)
            while len(ready_pods(core)) < 3:
                time.sleep(0.05)
            three_ready = time.perf_counter() - started
            apps.patch_namespaced_deployment_scale(
                "agent", "bench", {"spec": {"replicas": replicas_for_memory}}
            )
            while len(ready_pods(core)) < replicas_for_memory:
                time.sleep(0.05)
            time.sleep(1.0)  # let the processes settle
            pids = [
                int(c.container_id.split("://")[1])
                for p in ready_pods(core)
                for c in p.status.container_statuses
            ]
            server_rss = rss_kib(cluster.pid or 0)
            pods_rss = sum(rss_kib(pid) for pid in pids)
            api.close()
        finally:
            cluster.stop()
    return {
        "api_up_s": api_up,
        "three_ready_s": three_ready,
        "server_rss_mib": server_rss / 1024,
        "pods_rss_mib": pods_rss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    )
    runs = [one_run() for _ in range(args.runs)]

    def median(key: str) -> float:
        return statistics.median(run[key] for run in runs)

    print(f"runs: {args.runs} (median shown)")
    print(f"up -> API ready:             {median('api_up_s'):6.2f} s")
    print(f"up -> 3 agent pods Ready:    {median('three_ready_s'):6.2f} s")
    print(f"  ratio pods-ready / API-up: {median('three_ready_s') / median('api_up_s'):6.2f}x")
    total = median("server_rss_mib") + median("pods_rss_mib")
    print(f"RSS cluster process:         {median('server_rss_mib'):6.1f} MiB")
    print(f"RSS 6 agent pods:            {median('pods_rss_mib'):6.1f} MiB")
    print(f"RSS cluster + 6 pods:        {total:6.1f} MiB")


if __name__ == "__main__":
    main()
