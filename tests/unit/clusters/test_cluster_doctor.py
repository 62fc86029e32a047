"""`rollout-lab doctor`: every check, its verdict and its fix."""

import json

from clusters.doctor import MachineFacts, kubectl_skew, port_is_free, run_doctor
from clusters.kind.docker import DockerStatus
from clusters.kind.pins import KIND_VERSION
from clusters.runner import CommandError, ScriptedRunner

GOOD_DOCKER = DockerStatus(
    True,
    "Docker daemon 27.3.1 answers",
    server_version="27.3.1",
    architecture="x86_64",
    cgroup_version="2",
)


def kubectl_json(minor):
    return json.dumps({"clientVersion": {"major": "1", "minor": str(minor)}})


def facts(**overrides):
    values = dict(
        machine="x86_64",
        system="Linux",
        free_memory_gb=lambda: 16.0,
        free_disk_gb=lambda path: 100.0,
        port_is_free=lambda host, port: True,
        which=lambda name: None,
        kubectl=lambda: "/venv/bin/kubectl",
    )
    values.update(overrides)
    return MachineFacts(**values)


def statuses(report):
    return {check.name: check.status for check in report.checks}


def test_healthy_machine_is_ready(tmp_path):
    runner = ScriptedRunner().on("kubectl", "version", answer=kubectl_json(37))
    report = run_doctor(runner, tmp_path, [30080], facts(), GOOD_DOCKER)
    assert statuses(report) == {
        "Docker": "ok",
        "architecture": "ok",
        "memory": "ok",
        "disk": "ok",
        "host ports": "ok",
        "kind": "warn",
        "kubectl": "ok",
    }
    assert report.kind_ready
    assert "kind backend: ready" in report.render()


def test_no_docker_is_reported_with_the_fix_and_the_fallback(tmp_path):
    runner = ScriptedRunner().on(
        "docker",
        "info",
        answer=CommandError(
            ["docker", "info"], 1, "", "Cannot connect to the Docker daemon at unix:///x"
        ),
    )
    runner.on("kubectl", "version", answer=kubectl_json(36))
    report = run_doctor(
        runner,
        tmp_path,
        [30080],
        facts(which=lambda name: f"/usr/bin/{name}" if name == "docker" else None),
    )
    text = report.render()
    assert not report.kind_ready
    assert "[FAIL] Docker: no Docker daemon answers" in text
    assert "fix: start Docker" in text
    assert "uses the embedded cluster" in text


def test_resource_and_port_failures(tmp_path):
    runner = ScriptedRunner().on("kubectl", "version", answer=kubectl_json(37))
    report = run_doctor(
        runner,
        tmp_path,
        [30080, 30081],
        facts(
            free_memory_gb=lambda: 1.5,
            free_disk_gb=lambda path: 3.0,
            port_is_free=lambda host, port: port != 30081,
        ),
        GOOD_DOCKER,
    )
    by_name = {check.name: check for check in report.checks}
    assert by_name["memory"].status == "fail" and "1.5 GB" in by_name["memory"].detail
    assert by_name["disk"].status == "fail" and "docker system prune" in by_name["disk"].fix
    assert by_name["host ports"].status == "fail" and "30081" in by_name["host ports"].detail
    assert "30080" not in by_name["host ports"].detail


def test_kind_version_on_path(tmp_path):
    runner = ScriptedRunner().on("kubectl", "version", answer=kubectl_json(37))
    runner.on("kind", "version", answer=f"kind {KIND_VERSION} go1.24 linux/amd64")
    with_kind = facts(which=lambda name: "/usr/local/bin/kind" if name == "kind" else None)
    check = {c.name: c for c in run_doctor(runner, tmp_path, [], with_kind, GOOD_DOCKER).checks}
    assert check["kind"].status == "ok"
    runner.on("kind", "version", answer="kind v0.20.0 go1.20 linux/amd64")
    check = {c.name: c for c in run_doctor(runner, tmp_path, [], with_kind, GOOD_DOCKER).checks}
    assert check["kind"].status == "warn" and "v0.20.0" in check["kind"].detail


def test_kubectl_skew(tmp_path):
    assert kubectl_skew((1, 37), (1, 36)) == 1
    assert kubectl_skew((1, 33), (1, 36)) == 3
    runner = ScriptedRunner().on("kubectl", "version", answer=kubectl_json(33))
    check = {c.name: c for c in run_doctor(runner, tmp_path, [], facts(), GOOD_DOCKER).checks}
    assert check["kubectl"].status == "fail" and "3 minor versions apart" in check["kubectl"].detail


def test_cgroup_v1_warns_and_rootless_v1_fails(tmp_path):
    runner = ScriptedRunner().on("kubectl", "version", answer=kubectl_json(36))
    v1 = DockerStatus(True, "Docker 20 answers", server_version="20", cgroup_version="1")
    assert statuses(run_doctor(runner, tmp_path, [], facts(), v1))["cgroups"] == "warn"
    rootless = DockerStatus(
        True, "Docker 20 answers", server_version="20", cgroup_version="1", rootless=True
    )
    assert statuses(run_doctor(runner, tmp_path, [], facts(), rootless))["cgroups"] == "fail"


def test_unsupported_architecture(tmp_path):
    runner = ScriptedRunner().on("kubectl", "version", answer=kubectl_json(36))
    report = run_doctor(runner, tmp_path, [], facts(machine="riscv64"), GOOD_DOCKER)
    assert statuses(report)["architecture"] == "fail"


def test_port_probe_sees_a_listener():
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
