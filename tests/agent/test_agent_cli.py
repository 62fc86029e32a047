"""The command-line entry points other parts of the lab call: serve, check and traffic."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from agent.__main__ import main as agent_main
from agent.mix import standard_mix


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _send_mix(url: str, count: int) -> None:
    with httpx.Client(base_url=url) as client:
        for body in standard_mix(0)[:count]:
            client.post("/v1/plan", json=body)


def test_check_passes_a_healthy_agent(serve_agent, capsys):
    server = serve_agent("v1")
    _send_mix(server.url, 20)
    code = agent_main(["check", "--url", server.url, "--max-error-rate", "0.01"])
    line = capsys.readouterr().out.strip()
    assert code == 0
    assert line.startswith("PASS version=v1 ")
    assert "requests=20 errors=0" in line


def test_check_fails_a_loud_failure(serve_agent, capsys):
    server = serve_agent("v4")
    _send_mix(server.url, 40)
    code = agent_main(["check", "--url", server.url + "/stats", "--max-error-rate", "0.01"])
    line = capsys.readouterr().out.strip()
    assert code == 1
    assert line.startswith("FAIL error_rate ")
    assert "> 0.01" in line


def test_check_catches_the_subtle_regression_only_with_an_urgent_bound(serve_agent, capsys):
    server = serve_agent("v3")
    _send_mix(server.url, 40)
    assert agent_main(["check", "--url", server.url, "--max-error-rate", "0.01"]) == 0
    bounded = [
        "check",
        "--url",
        server.url,
        "--max-error-rate",
        "0.01",
        "--max-urgent-ratio",
        "0.2",
    ]
    assert agent_main(bounded) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("PASS")
    assert lines[1].startswith("FAIL urgent_ratio ")


def test_check_min_requests_fails_an_idle_agent(serve_agent, capsys):
    server = serve_agent("v1")
    argv = ["check", "--url", server.url, "--max-error-rate", "0.01", "--min-requests", "5"]
    assert agent_main(argv) == 1
    assert "requests 0 < 5" in capsys.readouterr().out


def test_check_exits_2_when_the_agent_cannot_be_reached(capsys):
    url = f"http://127.0.0.1:{_free_port()}"
    code = agent_main(["check", "--url", url, "--max-error-rate", "0.01", "--timeout", "2"])
    line = capsys.readouterr().out.strip()
    assert code == 2
    assert line.startswith(f"ERROR cannot reach {url}/stats")


def test_check_exits_2_when_the_answer_is_not_stats(serve_agent, capsys):
    server = serve_agent("v1")
    assert agent_main(["check", "--url", server.url + "/version/", "--max-error-rate", "1"]) == 2
    assert "answered HTTP 404" in capsys.readouterr().out
    healthz_as_stats = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": 1}))
    from agent.check import run_check

    code, line = run_check("http://agent", 0.01, transport=healthz_as_stats)
    assert (code, line) == (2, "ERROR http://agent/stats has no numeric 'requests' field")


def test_check_runs_as_a_process(serve_agent):
    server = serve_agent("v4")
    _send_mix(server.url, 40)
    result = subprocess.run(
        [sys.executable, "-m", "agent", "check", "--url", server.url, "--max-error-rate", "0.01"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout.startswith("FAIL ") and result.stdout.count("\n") == 1


def _wait_ready(url: str, process: subprocess.Popen[str], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    pytest.fail("agent did not start")


def test_serve_honours_env_logs_requests_and_stops_on_sigterm():
    port = _free_port()
    env = {**os.environ, "AGENT_VERSION": "v3", "PORT": str(port), "POD_NAME": "task-agent-x1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "serve", "--host", "127.0.0.1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        assert httpx.get(url + "/version").json()["version"] == "v3"
        assert httpx.post(url + "/v1/plan", json=standard_mix(0)[0]).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "v3 task-agent-x1 POST /v1/plan 200 " in out
    assert "v3 task-agent-x1 GET /healthz 200 " in out


def test_serve_flag_overrides_env_and_unknown_versions_exit_2():
    port = _free_port()
    env = {**os.environ, "AGENT_VERSION": "v3"}
    argv = [sys.executable, "-m", "agent", "serve", "--version", "v2", "--host", "127.0.0.1"]
    process = subprocess.Popen(
        [*argv, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process)
        assert httpx.get(f"http://127.0.0.1:{port}/version").json()["version"] == "v2"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)
    bad = subprocess.run(
        [sys.executable, "-m", "agent", "serve", "--version", "v9"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert bad.returncode == 2
    assert "unknown agent version 'v9'" in bad.stderr
    assert "v1, v2, v3, v4, v5" in bad.stderr


def test_traffic_cli_reports_per_version_counts_as_json(serve_agent):
    server = serve_agent("v4")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.traffic",
            "--target",
            server.url,
            "--rps",
            "40",
            "--duration",
            "1.5",
            "--seed",
            "3",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["sent"] == summary["completed"] == 60
    assert list(summary["by_version"]) == ["v4"]
    v4 = summary["by_version"]["v4"]
    assert v4["requests"] == 60
    assert v4["errors"] == summary["errors"] > 0
    assert 0.0 < v4["urgent_ratio"] < 1.0
    live = [line for line in result.stderr.splitlines() if line.startswith("t=")]
    assert live and "v4: " in live[0]
    stats = httpx.get(server.url + "/stats").json()
    assert (stats["requests"], stats["errors"]) == (60, v4["errors"])


def test_traffic_cli_prints_live_lines_and_a_final_line(serve_agent):
    server = serve_agent("v1")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.traffic",
            "--target",
            server.url,
            "--rps",
            "20",
            "--duration",
            "1.2",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("t=")
    assert lines[-1].startswith("final: ") and "v1: 24 req, 0 err" in lines[-1]


def test_traffic_cli_exits_2_when_nothing_answers():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.traffic",
            "--target",
            f"http://127.0.0.1:{_free_port()}",
            "--rps",
            "10",
            "--duration",
            "0.3",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "got an HTTP answer" in result.stderr


def test_traffic_cli_rejects_unbounded_runs():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent.traffic",
            "--target",
            "http://127.0.0.1:1",
            "--rps",
            "5000",
            "--duration",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "rps must be in" in result.stderr
