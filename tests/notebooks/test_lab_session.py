"""The learner runtime against the embedded cluster: reset, hints, and `rollout-lab demo`.

Given the session-wide embedded cluster (time-scale 30), a lab session applies, checks, gives
hints and resets exactly as the notebook cells do; and the terminal demo runs lab 3 end to end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT

from checker import Status
from labs.runtime import LabSession, reset_lab

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@pytest.fixture
def session(kernel_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[LabSession]:
    for key in (
        "KUBECONFIG",
        "ROLLOUT_LAB_HOME",
        "ROLLOUT_LAB_WORKSPACE",
        "ROLLOUT_LAB_TIME_SCALE",
    ):
        monkeypatch.setenv(key, kernel_env[key])
    lab = LabSession.open("canary-analysis")
    yield lab
    lab.stop_traffic()
    lab.close()


def test_hints_escalate_and_are_recorded(session: LabSession):
    first = session.check(static=True)
    steps = next(c for c in first.checks if c.id == "canary-steps")
    assert steps.status is Status.FAILED and steps.hint_level == 1
    title, hint = session.next_hint(first) or ("", "")
    assert title == steps.title
    assert hint.startswith("hint 2 of 2:")  # one failed check already showed hint 1
    assert session.progress.summary().hints_used == 1
    assert session.progress.summary().checks_run == 1


def test_reset_puts_cluster_and_files_back_and_keeps_history(session: LabSession):
    session.workspace.use_solution()
    assert session.apply().ok
    session.wait_phase("Healthy", timeout=120)
    assert "agent" in session.kubectl("get", "rollouts", "-o", "name").stdout
    archive = reset_lab(session)
    assert archive is not None and (archive / "rollout.yaml").is_file()
    assert "canary: {}" in (session.workspace.path / "rollout.yaml").read_text()
    left = ""
    for _ in range(40):
        left = session.kubectl("get", "rollouts,services", "-o", "name").stdout
        if not left.strip():
            break
        time.sleep(0.25)
    assert left.strip() == ""
    kinds = [e["type"] for e in session.progress.entries()]
    assert kinds.count("apply") == 1 and kinds[-1] == "reset"


def test_demo_runs_lab_three_end_to_end(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBE", "ROLLOUT_LAB_"))}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["COLUMNS"] = "120"
    done = subprocess.run(
        [sys.executable, "-m", "labs.cli", "demo", "--keep", str(tmp_path / "demo")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
        check=False,
    )
    out = done.stdout
    assert "release v4, the loud failure" in out
    assert "RolloutAborted" in out
    assert "rollout 'agent' undo" in out
    assert "v1:" in out and "req/s" in out
    assert "PASS" in out and "public checks:" in out
    assert done.returncode == 0, out[-4000:] + done.stderr[-2000:]
    # The demo used its own cluster and stopped it.
    assert not (tmp_path / "demo" / "cluster" / "server.pid").exists()


def test_cli_traffic_and_a_restarted_kernel_continue_the_same_lab(
    session: LabSession, capsys: pytest.CaptureFixture
):
    from labs.cli import main

    session.workspace.use_solution()
    assert session.apply().ok
    session.wait_phase("Healthy", timeout=120)
    assert main(["traffic", "start", "canary-analysis", "--rps", "8"]) == 0
    assert "traffic started: 8 requests/s to Service agent-traffic" in capsys.readouterr().out
    assert session.traffic() is not None  # the notebook sees what the terminal started
    assert session.wait_for_traffic()
    recorded = len(session.recorder.timeline.entries) if session.recorder else 0
    assert recorded > 0
    session.close()  # the kernel goes away; the traffic process does not

    reopened = LabSession.open("canary-analysis")
    try:
        assert reopened.recorder is not None
        assert len(reopened.recorder.timeline.entries) >= recorded  # the timeline continues
        assert reopened.traffic() is not None
        assert main(["traffic", "status"]) == 0
        assert "v1:" in capsys.readouterr().out
    finally:
        assert main(["traffic", "stop"]) == 0
        reopened.close()
    assert "traffic stopped" in capsys.readouterr().out
    assert reopened.traffic() is None
