"""`rollout-lab lab list|status|reset` and `rollout-lab traffic` without a cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from labs.cli import main
from labs.runtime.progress import ProgressStore


@pytest.fixture
def learner_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ROLLOUT_LAB_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.setenv("ROLLOUT_LAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return tmp_path


def test_list_shows_every_lab_and_progress(learner_home: Path, capsys: pytest.CaptureFixture):
    assert main(["lab", "list"]) == 0
    out = capsys.readouterr().out
    assert "canary-analysis" in out and "not started" in out
    store = ProgressStore(learner_home / "workspace" / "canary-analysis" / ".progress")
    store.record("check", mode="static", score=12, max_score=16, checks={})
    assert main(["lab", "list"]) == 0
    assert "last 12/16, best 12, 1 check(s), 0 hint(s)" in capsys.readouterr().out


def test_status_names_workspace_progress_and_traffic(
    learner_home: Path, capsys: pytest.CaptureFixture
):
    assert main(["lab", "status", "canary-analysis"]) == 0
    out = capsys.readouterr().out
    assert f"workspace: {learner_home / 'workspace' / 'canary-analysis'} (not created)" in out
    assert "traffic: not running" in out
    assert main(["lab", "status", "no-such-lab"]) == 2
    assert "labs available" in capsys.readouterr().err


def test_reset_files_only_restores_starter_and_keeps_history(
    learner_home: Path, capsys: pytest.CaptureFixture
):
    folder = learner_home / "workspace" / "canary-analysis"
    assert main(["lab", "reset", "canary-analysis", "--files-only"]) == 0
    (folder / "rollout.yaml").write_text("kind: Rollout  # my broken attempt\n")
    ProgressStore(folder / ".progress").record("hint", check="replicas", level=1)
    assert main(["lab", "reset", "canary-analysis", "--files-only"]) == 0
    out = capsys.readouterr().out
    assert "your previous files and timeline are kept in" in out
    assert "strategy:" in (folder / "rollout.yaml").read_text()
    summary = ProgressStore(folder / ".progress").summary()
    assert summary.hints_used == 1 and summary.resets == 2


def test_reset_with_cluster_needs_one(learner_home: Path, capsys: pytest.CaptureFixture):
    assert main(["lab", "reset", "canary-analysis"]) == 2
    assert "no lab cluster found" in capsys.readouterr().err


def test_traffic_stop_and_status_when_nothing_runs(
    learner_home: Path, capsys: pytest.CaptureFixture
):
    assert main(["traffic", "stop"]) == 0
    assert "no traffic was running" in capsys.readouterr().out
    assert main(["traffic", "status"]) == 1
    assert main(["traffic", "start", "canary-analysis"]) == 2
    assert "start it with `make lab`" in capsys.readouterr().err
