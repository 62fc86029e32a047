"""The process kubelet runs pods as real processes: readiness, restarts, back-off, deletion."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import httpx
from runtime_helpers import (
    READY_PROBE,
    env,
    make_pod,
    pid_of,
    typed_status,
)
from runtime_helpers import run_kubelet as run

from clusters.embedded.kubelet import current_and_previous


async def get_when_listening(client: httpx.AsyncClient, url: str) -> httpx.Response:
    """GET, retrying while nothing listens yet: without a readiness probe a container is
    Ready once started, which may be before its server binds."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return await client.get(url)
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


def test_pod_becomes_ready_on_its_own_ip_and_reports_a_typed_status(catalog, reporter, tmp_path):
    pods = [make_pod("web-a", readinessProbe=READY_PROBE), make_pod("web-b")]

    async def scenario(kubelet):
        for pod in pods:
            await kubelet.sync_pod(pod)
        await reporter.wait(
            lambda: all(
                reporter.statuses.get(p["metadata"]["name"])
                and reporter.latest(p["metadata"]["name"])["conditions"][1]["status"] == "True"
                for p in pods
            )
        )
        ips = [kubelet.pod_address(p["metadata"]["uid"]) for p in pods]
        assert len(set(ips)) == 2 and all(ip.startswith("127.") and ip[4] != "0" for ip in ips)
        async with httpx.AsyncClient(trust_env=False) as client:
            for pod, ip in zip(pods, ips, strict=True):
                answer = await get_when_listening(client, f"http://{ip}:8080/who")
                assert answer.text == pod["metadata"]["name"]  # both on port 8080

    run(scenario, catalog, reporter, tmp_path)
    status = reporter.latest("web-a")
    assert status["phase"] == "Running" and status["hostIP"] == "127.0.0.1"
    typed = typed_status(status)
    container = typed.container_statuses[0]
    assert container.ready is True and container.started is True
    assert container.restart_count == 0 and container.image_id
    assert {c.type: c.status for c in typed.conditions} == {
        "Initialized": "True",
        "Ready": "True",
        "ContainersReady": "True",
        "PodScheduled": "True",
    }
    assert reporter.statuses["web-a"][0]["conditions"][1]["status"] == "False"
    assert {"Pulled", "Created", "Started"} <= set(reporter.reasons("web-a"))
    log = tmp_path / "logs" / "demo" / "web-a" / "app" / "0.log"
    assert "request /who" in log.read_text()


def test_killed_process_restarts_then_crash_loop_backs_off(catalog, reporter, tmp_path):
    web = make_pod("web")
    crashing = make_pod("crash", env=env(EXIT_AFTER="0", EXIT_CODE="3"))

    async def scenario(kubelet):
        await kubelet.sync_pod(web)
        await kubelet.sync_pod(crashing)
        await reporter.wait(
            lambda: (
                "running"
                in reporter.statuses.get("web", [{}])[-1]
                .get("containerStatuses", [{}])[0]
                .get("state", {})
            )
        )
        first_pid = pid_of(reporter, "web")
        os.kill(first_pid, signal.SIGKILL)
        await reporter.wait(
            lambda: (
                reporter.container("web")["restartCount"] == 1
                and "running" in reporter.container("web")["state"]
            )
        )
        assert pid_of(reporter, "web") != first_pid
        await reporter.wait(lambda: reporter.container("crash")["restartCount"] >= 4)
        current, previous = current_and_previous(tmp_path, "demo", "web", "app")
        assert current is not None and current.name == "1.log"
        assert previous is not None and previous.name == "0.log"

    run(scenario, catalog, reporter, tmp_path)
    restarted = [s for s in reporter.statuses["web"] if s["containerStatuses"][0]["restartCount"]]
    terminated = restarted[-1]["containerStatuses"][0]["lastState"]["terminated"]
    assert terminated["exitCode"] == 137 and terminated["reason"] == "Error"
    assert terminated["startedAt"] <= terminated["finishedAt"]
    typed_status(restarted[-1])
    waits = [
        s["containerStatuses"][0]["state"]["waiting"]
        for s in reporter.statuses["crash"]
        if "waiting" in s["containerStatuses"][0]["state"]
    ]
    backoffs = [w["message"].split()[1] for w in waits if w["reason"] == "CrashLoopBackOff"]
    assert backoffs[:3] == ["10s", "20s", "40s"]
    last = next(
        s for s in reversed(reporter.statuses["crash"]) if s["containerStatuses"][0]["lastState"]
    )
    assert last["containerStatuses"][0]["lastState"]["terminated"]["exitCode"] == 3
    assert last["phase"] == "Running"
    assert "Back-off restarting failed container app in pod crash_demo(" in " ".join(
        m for p, _, r, m in reporter.events if r == "BackOff"
    )


def test_liveness_failure_kills_and_restarts(catalog, reporter, tmp_path):
    liveness = {
        "httpGet": {"path": "/healthz", "port": 8080},
        "periodSeconds": 5,
        "failureThreshold": 2,
    }
    startup = {
        "httpGet": {"path": "/who", "port": 8080},
        "periodSeconds": 1,
        "failureThreshold": 100000,
    }
    pod = make_pod("sick", env=env(HEALTHY_FOR="0.3"), livenessProbe=liveness, startupProbe=startup)

    async def scenario(kubelet):
        await kubelet.sync_pod(pod)
        await reporter.wait(lambda: reporter.container("sick")["restartCount"] >= 1)

    run(scenario, catalog, reporter, tmp_path)
    messages = [(r, m) for p, _, r, m in reporter.events]
    assert ("Killing", "Container app failed liveness probe, will be restarted") in messages
    assert (
        "Unhealthy",
        "Liveness probe failed: HTTP probe failed with statuscode: 500",
    ) in messages
    liveness_failures = [m for r, m in messages if m.startswith("Liveness probe failed")]
    assert all("statuscode: 500" in m for m in liveness_failures), "liveness waits for startup"
    started = [s["containerStatuses"][0]["started"] for s in reporter.statuses["sick"]]
    assert started[:2] == [False, False] and True in started


def test_unknown_image_waits_in_image_pull_back_off_with_the_runnable_images(
    catalog, reporter, tmp_path
):
    pod = make_pod("nginx", image="nginx:1.27")

    async def scenario(kubelet):
        await kubelet.sync_pod(pod)
        await reporter.wait(
            lambda: (
                [
                    s["containerStatuses"][0]["state"]["waiting"]["reason"]
                    for s in reporter.statuses.get("nginx", [])
                ].count("ImagePullBackOff")
                >= 2
            )
        )

    run(scenario, catalog, reporter, tmp_path)
    reasons = [s["containerStatuses"][0]["state"]["waiting"] for s in reporter.statuses["nginx"]]
    pulls = [w for w in reasons if w["reason"] in ("ErrImagePull", "ImagePullBackOff")]
    assert [w["reason"] for w in pulls[:3]] == ["ErrImagePull", "ImagePullBackOff", "ErrImagePull"]
    assert pulls[0]["message"].startswith(
        'image "nginx:1.27" is not available on the embedded cluster; it runs only: '
    )
    assert "rollout-lab/task-agent:v1" in pulls[0]["message"]
    assert "use the kind backend for other images" in pulls[0]["message"]
    assert reporter.latest("nginx")["phase"] == "Pending"
    typed_status(reporter.latest("nginx"))
    assert ("Warning", "Failed", "Error: ErrImagePull") in [e[1:] for e in reporter.events]


def test_job_pods_end_succeeded_or_failed_with_restart_policy_never(catalog, reporter, tmp_path):
    done = make_pod("done", restart_policy="Never", env=env(EXIT_AFTER="0", EXIT_CODE="0"))
    failed = make_pod("failed", restart_policy="OnFailure", env=env(EXIT_AFTER="0", EXIT_CODE="2"))
    failed["spec"]["restartPolicy"] = "Never"

    async def scenario(kubelet):
        await kubelet.sync_pod(done)
        await kubelet.sync_pod(failed)
        await reporter.wait(
            lambda: all(
                reporter.statuses.get(n) and reporter.latest(n)["phase"] in ("Succeeded", "Failed")
                for n in ("done", "failed")
            )
        )

    run(scenario, catalog, reporter, tmp_path)
    assert reporter.latest("done")["phase"] == "Succeeded"
    assert reporter.latest("failed")["phase"] == "Failed"
    finished = reporter.container("failed")
    assert finished["state"]["terminated"]["exitCode"] == 2 and finished["restartCount"] == 0
    ready = reporter.latest("done")["conditions"][1]
    assert ready["status"] == "False" and ready["reason"] == "PodCompleted"


def test_deletion_sends_sigterm_then_sigkill_after_the_warped_grace(catalog, reporter, tmp_path):
    marker = tmp_path / "got-sigterm"
    stubborn = make_pod(
        "stubborn", grace=50, env=env(TERM_MARKER=str(marker)), readinessProbe=READY_PROBE
    )
    polite = make_pod(
        "polite",
        grace=50,
        readinessProbe=READY_PROBE,
        lifecycle={"preStop": {"sleep": {"seconds": 20}}},
    )

    async def scenario(kubelet):
        for pod in (stubborn, polite):
            await kubelet.sync_pod(pod)
        await reporter.wait(
            lambda: all(
                reporter.statuses.get(n) and reporter.container(n)["ready"]
                for n in ("stubborn", "polite")
            )
        )
        pids = [pid_of(reporter, n) for n in ("stubborn", "polite")]
        started = time.monotonic()
        for pod in (stubborn, polite):
            pod["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
            await kubelet.sync_pod(pod)
        await reporter.wait(lambda: "polite" in reporter.terminated)
        assert time.monotonic() - started >= 0.2  # its preStop sleep (20 s) came first
        await reporter.wait(lambda: "stubborn" in reporter.terminated)
        assert time.monotonic() - started >= 0.5  # 50 s grace at scale 100
        for pid in pids:
            try:
                os.killpg(pid, 0)
                raise AssertionError(f"process group {pid} still alive")
            except ProcessLookupError:
                pass
        assert kubelet.running_pods() == []

    run(scenario, catalog, reporter, tmp_path)
    assert marker.read_text() == "SIGTERM"
    assert reporter.container("stubborn")["state"]["terminated"]["exitCode"] == 137
    # 143 = died of SIGTERM: the polite pod did not wait for the SIGKILL
    assert reporter.container("polite")["state"]["terminated"]["exitCode"] == 143
    assert ("stubborn", "Normal", "Killing", "Stopping container app") in reporter.events
    assert not (tmp_path / "logs" / "demo" / "stubborn").exists()


def test_shutdown_leaves_no_process_in_any_pod_group(catalog, reporter, tmp_path):
    pods = [make_pod(f"p{i}", env=env(TERM_MARKER=str(tmp_path / f"m{i}"))) for i in range(3)]
    pids: list[int] = []

    async def scenario(kubelet):
        for pod in pods:
            await kubelet.sync_pod(pod)
        await reporter.wait(
            lambda: all(
                reporter.statuses.get(p["metadata"]["name"])
                and reporter.container(p["metadata"]["name"]).get("containerID")
                for p in pods
            )
        )
        pids.extend(pid_of(reporter, p["metadata"]["name"]) for p in pods)

    run(scenario, catalog, reporter, tmp_path)
    for pid in pids:
        try:
            os.killpg(pid, 0)
            raise AssertionError(f"process group {pid} outlived shutdown")
        except ProcessLookupError:
            pass
