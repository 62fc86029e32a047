"""`%%lab_step` runs the learner's step, and is skipped (saying so) on the solve path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

from labs.runtime import notebook


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    instance = InteractiveShell.instance()
    notebook._register_magic()
    yield instance
    InteractiveShell.clear_instance()


def test_a_learner_step_runs(shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ROLLOUT_LAB_SOLVE", raising=False)
    shell.run_cell("%%lab_step\nsteps_done = 41 + 1\n")
    assert shell.user_ns["steps_done"] == 42


def test_the_solve_path_skips_learner_steps(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
):
    monkeypatch.setenv("ROLLOUT_LAB_SOLVE", "1")
    shell.run_cell("%%lab_step\nskipped_step = True\n")
    assert "skipped_step" not in shell.user_ns
    assert "solve path: this learner step is skipped" in capsys.readouterr().out
