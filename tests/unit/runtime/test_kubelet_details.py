"""Kubelet details beyond the basic life cycle: orphans, init containers, binding, updates."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from runtime_helpers import READY_PROBE, env, make_pod, pid_of, typed_status
from runtime_helpers import run_kubelet as run

from clusters.embedded.clock import Clock
from clusters.embedded.kubelet import ProcessKubelet
from clusters.embedded.proxy import ServiceProxy


def test_a_new_kubelet_kills_pod_processes_a_crashed_one_left_behind(reporter, tmp_path):
    def leave(uid: str, argv: list[str]) -> subprocess.Popen:
        process = subprocess.Popen(argv, start_new_session=True)
        folder = tmp_path / "pods" / uid / "app"
        folder.mkdir(parents=True)
        (folder / "pid").write_text(str(process.pid))
        return process

    sleeper = "import time; time.sleep(60)"
    orphan = leave(
        "u1",
        [sys.executable, "-m", "clusters.embedded.podexec", "--resolver", "x", "--", "-c", sleeper],
    )
    stranger = leave("u2", [sys.executable, "-c", sleeper])  # its pid is not a pod process
    cmdline = Path(f"/proc/{orphan.pid}/cmdline")
    deadline = time.monotonic() + 10
    while b"podexec" not in cmdline.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)  # Popen may return before the child's exec shows in /proc
    try:
        kubelet = ProcessKubelet(clock=Clock(1), state_dir=tmp_path, reporter=reporter)
        asyncio.run(kubelet.shutdown())
        assert orphan.wait(timeout=10) == -signal.SIGKILL
        assert stranger.poll() is None
    finally:
        for process in (orphan, stranger):
            process.kill()
            process.wait()


def test_init_containers_run_to_completion_before_the_app(catalog, reporter, tmp_path):
    init = {"name": "setup", "image": "test/app:v1", "env": env(EXIT_AFTER="0.2", EXIT_CODE="0")}
    stuck_init = {**init, "env": env(EXIT_AFTER="0", EXIT_CODE="1")}
    pod, stuck = make_pod("with-init"), make_pod("stuck")
    failed = make_pod("failed-init", restart_policy="Never")
    for each, first in ((pod, init), (stuck, stuck_init), (failed, stuck_init)):
        each["spec"]["initContainers"] = [first]

    async def scenario(kubelet):
        for each in (pod, stuck, failed):
            await kubelet.sync_pod(each)
        await reporter.wait(
            lambda: (
                reporter.statuses.get("with-init")
                and reporter.latest("with-init")["phase"] == "Running"
                and reporter.statuses.get("failed-init")
                and reporter.latest("failed-init")["phase"] == "Failed"
                and reporter.latest("stuck")["initContainerStatuses"][0]["restartCount"] >= 2
            )
        )

    run(scenario, catalog, reporter, tmp_path)
    first = reporter.statuses["with-init"][0]
    assert first["phase"] == "Pending"
    assert first["conditions"][0] == {
        "type": "Initialized",
        "status": "False",
        "lastProbeTime": None,
        "lastTransitionTime": first["conditions"][0]["lastTransitionTime"],
        "reason": "ContainersNotInitialized",
        "message": "containers with incomplete status: [setup]",
    }
    assert first["containerStatuses"][0]["state"] == {"waiting": {"reason": "PodInitializing"}}
    done = typed_status(reporter.latest("with-init")).init_container_statuses[0]
    assert done.state.terminated.reason == "Completed" and done.ready is True
    assert reporter.latest("stuck")["phase"] == "Pending"
    assert reporter.latest("stuck")["containerStatuses"][0]["restartCount"] == 0
    assert reporter.container("failed-init")["state"] == {"waiting": {"reason": "PodInitializing"}}


def test_only_pods_bound_to_this_node_run(catalog, reporter, tmp_path):
    unbound, elsewhere = make_pod("unbound"), make_pod("elsewhere")
    del unbound["spec"]["nodeName"]
    elsewhere["spec"]["nodeName"] = "other-node"

    async def scenario(kubelet):
        await kubelet.sync_pod(unbound)
        await kubelet.sync_pod(elsewhere)
        assert kubelet.running_pods() == []
        unbound["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        await kubelet.sync_pod(unbound)

    run(scenario, catalog, reporter, tmp_path)
    assert reporter.statuses == {} and reporter.terminated == ["unbound"]


def test_changing_a_pods_image_restarts_that_container(catalog, reporter, tmp_path):
    pod = make_pod("web", readinessProbe=READY_PROBE)

    async def scenario(kubelet):
        await kubelet.sync_pod(pod)
        await reporter.wait(
            lambda: reporter.statuses.get("web") and reporter.container("web")["ready"]
        )
        old_pid = pid_of(reporter, "web")
        pod["spec"]["containers"][0]["image"] = "test/app:v2"
        await kubelet.sync_pod(pod)
        await reporter.wait(
            lambda: (
                reporter.container("web")["image"] == "test/app:v2"
                and reporter.container("web")["ready"]
            )
        )
        assert pid_of(reporter, "web") != old_pid

    run(scenario, catalog, reporter, tmp_path)
    container = reporter.container("web")
    assert container["restartCount"] == 1 and "terminated" in container["lastState"]
    assert ("web", "Normal", "Killing", "Container app definition changed, will be restarted") in (
        reporter.events
    )


def test_a_never_ready_pod_reports_repeated_probe_failures_sparingly(catalog, reporter, tmp_path):
    pod = make_pod("never", env=env(READY="0"), readinessProbe=READY_PROBE)

    async def scenario(kubelet):
        await kubelet.sync_pod(pod)
        await reporter.wait(lambda: "statuscode: 503" in " ".join(e[3] for e in reporter.events))
        await asyncio.sleep(1.5)  # about 15 failed probes at the 0.1 s floor

    run(scenario, catalog, reporter, tmp_path)
    failures = [e for e in reporter.events if e[3].endswith("statuscode: 503")]
    assert 1 <= len(failures) <= 3
    assert failures[0][1:] == (
        "Warning",
        "Unhealthy",
        "Readiness probe failed: HTTP probe failed with statuscode: 503",
    )
    assert reporter.container("never")["ready"] is False
    assert reporter.latest("never")["phase"] == "Running"


def test_port_mapped_pods_share_a_port_on_127_0_0_1_behind_their_pod_ips(
    catalog, reporter, tmp_path
):
    pods = [make_pod(f"mapped-{i}", readinessProbe=READY_PROBE) for i in range(2)]

    async def scenario():
        kubelet = ProcessKubelet(
            clock=Clock(100), state_dir=tmp_path, reporter=reporter, catalog=catalog,
            port_mapped=True,
        )  # fmt: skip
        proxy = ServiceProxy(tmp_path)
        try:
            for pod in pods:
                await kubelet.sync_pod(pod)
            names = [p["metadata"]["name"] for p in pods]
            await reporter.wait(
                lambda: all(
                    reporter.statuses.get(n) and reporter.container(n)["ready"] for n in names
                )
            )  # the readiness probes found the mapped ports
            ips = [reporter.latest(n)["podIP"] for n in names]
            with pytest.raises(OSError):
                await asyncio.open_connection(ips[0], 8080)  # nothing on the pod IP itself
            service = {
                "metadata": {"name": "web", "namespace": "demo"},
                "spec": {"ports": [{"port": 80}]},
            }
            endpoints = {
                "metadata": {"name": "web", "namespace": "demo"},
                "subsets": [{"addresses": [{"ip": ip} for ip in ips], "ports": [{"port": 8080}]}],
            }
            await proxy.sync([service], [endpoints])
            host, port = proxy.service_address("demo", "web", 80)
            async with httpx.AsyncClient(trust_env=False) as client:
                answers = {(await client.get(f"http://{host}:{port}/who")).text for _ in range(4)}
            assert answers == set(names)
        finally:
            await proxy.close()
            await kubelet.shutdown()

    asyncio.run(scenario())


def test_a_late_deletion_event_does_not_touch_a_new_pod_of_the_same_name(
    catalog, reporter, tmp_path
):
    old, new = make_pod("web"), make_pod("web")

    async def scenario(kubelet):
        await kubelet.sync_pod(old)
        await reporter.wait(lambda: reporter.statuses.get("web"))
        old["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
        await kubelet.sync_pod(old)
        await reporter.wait(lambda: reporter.terminated == ["web"])
        await kubelet.sync_pod(new)
        await reporter.wait(lambda: "running" in reporter.container("web")["state"])
        await kubelet.sync_pod(old)  # a late MODIFIED event of the old object
        assert reporter.terminated == ["web"]
        assert (tmp_path / "logs" / "demo" / "web" / "app" / "0.log").exists()

    run(scenario, catalog, reporter, tmp_path)
