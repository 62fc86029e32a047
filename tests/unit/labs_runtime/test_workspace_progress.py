"""Workspace files and progress history: what a learner keeps across restarts and resets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labs.catalog import LabNotFound
from labs.runtime.progress import ProgressStore
from labs.runtime.workspace import Workspace


@pytest.fixture
def labs_root(tmp_path: Path) -> Path:
    lab = tmp_path / "labs" / "demo-lab"
    (lab / "starter").mkdir(parents=True)
    (lab / "solution").mkdir()
    (lab / "lab.yaml").write_text("id: demo-lab\n")
    (lab / "starter" / "rollout.yaml").write_text("kind: Rollout  # starter\n")
    (lab / "solution" / "rollout.yaml").write_text("kind: Rollout  # solution\n")
    (lab / "solution" / "template.yaml").write_text("kind: AnalysisTemplate\n")
    return tmp_path / "labs"


def workspace(labs_root: Path, tmp_path: Path) -> Workspace:
    return Workspace.for_lab("demo-lab", tmp_path / "ws", labs_root)


def test_ensure_copies_starter_once_and_keeps_learner_edits(labs_root: Path, tmp_path: Path):
    ws = workspace(labs_root, tmp_path)
    assert [p.name for p in ws.ensure()] == ["rollout.yaml"]
    (ws.path / "rollout.yaml").write_text("kind: Rollout  # my edit\n")
    assert ws.ensure() == []  # a second open never overwrites the learner's work
    assert "my edit" in (ws.path / "rollout.yaml").read_text()
    assert ws.progress_dir.is_dir()


def test_manifest_files_leave_out_runtime_and_checker_state(labs_root: Path, tmp_path: Path):
    ws = workspace(labs_root, tmp_path)
    ws.ensure()
    (ws.progress_dir / "old.yaml").write_text("x: 1\n")
    ws.checker_dir.mkdir()
    (ws.checker_dir / "state.yml").write_text("x: 1\n")
    assert [p.name for p in ws.manifest_files()] == ["rollout.yaml"]


def test_reset_archives_edits_and_timeline_and_restores_starter(labs_root: Path, tmp_path: Path):
    ws = workspace(labs_root, tmp_path)
    ws.ensure()
    (ws.path / "rollout.yaml").write_text("kind: Rollout  # my edit\n")
    (ws.path / "extra.yaml").write_text("kind: Service\n")
    ws.checker_dir.mkdir()
    (ws.checker_dir / "timeline.jsonl").write_text('{"schema": "x"}\n')
    (ws.checker_dir / "attempts.json").write_text('{"canary-steps": 2}')
    archive = ws.reset_files()
    assert archive is not None
    assert "starter" in (ws.path / "rollout.yaml").read_text()
    assert not (ws.path / "extra.yaml").exists()
    assert "my edit" in (archive / "rollout.yaml").read_text()
    assert (archive / "timeline.jsonl").is_file()
    assert not (ws.checker_dir / "timeline.jsonl").exists()
    # The hint ladder is history: it stays.
    assert json.loads((ws.checker_dir / "attempts.json").read_text()) == {"canary-steps": 2}


def test_use_solution_writes_every_solution_file(labs_root: Path, tmp_path: Path):
    ws = workspace(labs_root, tmp_path)
    ws.ensure()
    written = ws.use_solution()
    assert sorted(p.name for p in written) == ["rollout.yaml", "template.yaml"]
    assert "solution" in (ws.path / "rollout.yaml").read_text()


def test_unknown_lab_names_the_labs_that_exist(labs_root: Path, tmp_path: Path):
    with pytest.raises(LabNotFound, match="demo-lab"):
        Workspace.for_lab("nope", tmp_path, labs_root)


def test_progress_summary_folds_the_history(tmp_path: Path):
    ticks = iter(range(100, 200))
    store = ProgressStore(tmp_path / ".progress", clock=lambda: float(next(ticks)))
    assert store.summary().checks_run == 0
    assert "not checked yet" in store.summary().line()
    store.record("check", mode="cluster", score=10, max_score=29, checks={})
    store.record("hint", check="canary-steps", level=1)
    store.record("check", mode="cluster", score=29, max_score=29, checks={})
    store.record("check", mode="cluster", score=20, max_score=29, checks={})
    store.answer("q1", "canary", correct=False)
    store.answer("q1", "blue-green", correct=True)
    store.record("reset", archive=None)
    with store.path.open("a") as handle:
        handle.write("not json\n[1, 2]\n")
    summary = store.summary()
    assert (summary.checks_run, summary.last_score, summary.best_score) == (3, 20.0, 29.0)
    assert summary.full_marks
    assert summary.hints_used == 1
    assert summary.quiz_answers == {"q1": "blue-green"}  # the latest answer counts
    assert summary.resets == 1
    assert summary.last_activity == 106.0
    assert summary.line() == "last 20/29, best 29, 3 check(s), 1 hint(s), 1 answer(s), 1 reset(s)"
    # A fresh store over the same folder (a restarted kernel) reads the same history.
    assert ProgressStore(tmp_path / ".progress").summary().best_score == 29.0
