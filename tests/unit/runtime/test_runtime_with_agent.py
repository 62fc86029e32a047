"""The three runtime pieces together with the real agent: pods, a Service, Job pods by DNS."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from runtime_helpers import RecordingReporter, make_pod

from clusters.embedded.clock import Clock
from clusters.embedded.kubelet import ProcessKubelet, current_and_previous
from clusters.embedded.proxy import ServiceProxy

READY = {"httpGet": {"path": "/readyz", "port": 8080}, "periodSeconds": 1}
AGENTS = {"agent-a": "v1", "agent-b": "v1", "agent-c": "v2", "agent-d": "v5"}
SERVICE = {
    "metadata": {"name": "agent", "namespace": "demo"},
    "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
}


def endpoints_of(reporter: RecordingReporter) -> dict:
    """What the Endpoints controller would write: the Ready pods' IPs."""
    ready = [
        {"ip": reporter.latest(name)["podIP"]}
        for name in AGENTS
        if reporter.latest(name)["conditions"][1]["status"] == "True"
    ]
    return {
        "metadata": {"name": "agent", "namespace": "demo"},
        "subsets": [{"addresses": ready, "ports": [{"name": "http", "port": 8080}]}],
    }


def job_pod(name: str, image: str, args: list[str]) -> dict:
    pod = make_pod(name, image, restart_policy="Never", args=args)
    del pod["spec"]["containers"][0]["ports"]
    return pod


def test_traffic_and_check_jobs_reach_agent_pods_through_the_service(tmp_path: Path):
    reporter = RecordingReporter()

    def phase(name: str) -> str:
        return reporter.latest(name)["phase"] if reporter.statuses.get(name) else ""

    async def main() -> None:
        kubelet = ProcessKubelet(clock=Clock(50), state_dir=tmp_path, reporter=reporter)
        proxy = ServiceProxy(tmp_path)
        try:
            for name, version in AGENTS.items():
                pod = make_pod(name, f"rollout-lab/task-agent:{version}", readinessProbe=READY)
                await kubelet.sync_pod(pod)
            await reporter.wait(
                lambda: all(
                    reporter.statuses.get(n) and reporter.container(n)["ready"]
                    for n in ("agent-a", "agent-b", "agent-c")
                ),
                timeout=60,
            )
            assert reporter.container("agent-d")["ready"] is False  # v5 never becomes ready
            await proxy.sync([SERVICE], [endpoints_of(reporter)])
            traffic = job_pod(
                "traffic",
                "rollout-lab/traffic:latest",
                ["--target", "http://agent", "--rps", "30", "--duration", "1", "--json"],
            )
            await kubelet.sync_pod(traffic)
            await reporter.wait(lambda: phase("traffic") in ("Succeeded", "Failed"), timeout=60)
            log, _ = current_and_previous(tmp_path, "demo", "traffic", "app")
            assert phase("traffic") == "Succeeded", log.read_text()
            text = log.read_text()
            summary = json.loads(text[text.index("{\n") :])  # live lines, then the JSON
            check = job_pod(
                "check",
                "rollout-lab/task-agent:v1",
                ["check", "--url", "http://agent.demo.svc.cluster.local",
                 "--max-error-rate", "0.5", "--min-requests", "1"],
            )  # fmt: skip
            await kubelet.sync_pod(check)
            await reporter.wait(lambda: phase("check") in ("Succeeded", "Failed"), timeout=60)
            log, _ = current_and_previous(tmp_path, "demo", "check", "app")
            assert phase("check") == "Succeeded", log.read_text()
        finally:
            await proxy.close()
            await kubelet.shutdown()
        versions = summary["by_version"]
        assert set(versions) == {"v1", "v2"}, summary  # v5 got no traffic: it is not Ready
        assert versions["v1"]["requests"] > versions["v2"]["requests"] > 0

    asyncio.run(main())
