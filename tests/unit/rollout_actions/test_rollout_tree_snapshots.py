"""`get rollout` text for a paused canary and a paused blue-green, against committed
snapshots (ages frozen at a fixed `now`; objects shaped like real API answers)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rollout_fixtures import bluegreen_objects, paused_canary_objects

from clusters.rollouts_client import build_rollout_info, render_rollout

SNAPSHOTS = Path(__file__).parent / "snapshots"
NOW = datetime(2026, 3, 30, 12, 0, 0, tzinfo=UTC)


def _render(objects: dict[str, Any], color: bool = False) -> str:
    info = build_rollout_info(
        objects["rollout"], objects["replicasets"], objects["pods"], objects["runs"]
    )
    return render_rollout(info, NOW, color=color)


@pytest.mark.parametrize(
    ("snapshot", "objects"),
    [
        ("paused_canary.txt", paused_canary_objects),
        ("bluegreen_preview.txt", bluegreen_objects),
    ],
)
def test_get_rollout_matches_snapshot(snapshot: str, objects: Any) -> None:
    expected = (SNAPSHOTS / snapshot).read_text(encoding="utf-8")
    assert _render(objects()) == expected


def test_paused_canary_reads_like_the_plugin() -> None:
    text = _render(paused_canary_objects())
    assert "Status:          ॥ Paused\n" in text
    assert "Message:         CanaryPauseStep\n" in text
    assert "  Step:          1/4\n" in text
    assert "  SetWeight:     25\n" in text
    # 1 of 5 available pods is canary: 20 %.
    assert "  ActualWeight:  20\n" in text
    assert "rollout-lab/task-agent:v1 (stable)" in text
    assert "rollout-lab/task-agent:v2 (canary)" in text


def test_colour_never_replaces_the_status_word() -> None:
    coloured = _render(paused_canary_objects(), color=True)
    assert "\x1b[" in coloured
    assert "Paused" in coloured and "Running" in coloured and "Healthy" in coloured
    plain = _render(paused_canary_objects())
    assert "\x1b[" not in plain


def test_aborted_rollout_shows_failed_run_and_its_job() -> None:
    objects = paused_canary_objects()
    status = objects["rollout"]["status"]
    status.update(abort=True, currentStepIndex=0, pauseConditions=None, controllerPause=None)
    status.update(phase="Degraded", message="RolloutAborted: Rollout aborted update to revision 2")
    run = objects["runs"][0]
    run["status"] = {
        "phase": "Failed",
        "metricResults": [
            {
                "name": "error-rate",
                "phase": "Failed",
                "successful": 1,
                "failed": 2,
                "measurements": [
                    {
                        "phase": "Failed",
                        "startedAt": "2026-03-30T11:59:00Z",
                        "metadata": {"job-name": "agent-5bd9f48d5c-2-probe"},
                    }
                ],
            }
        ],
    }
    text = _render(objects)
    assert "Status:          ✖ Degraded\n" in text
    assert "  SetWeight:     0\n" in text
    run_row = next(line for line in text.splitlines() if "AnalysisRun" in line)
    assert run_row.split("AnalysisRun")[1].split() == ["✖", "Failed", "115s", "✔", "1,✖", "2"]
    job_row = next(line for line in text.splitlines() if " Job " in line)
    assert "⊞ agent-5bd9f48d5c-2-probe" in job_row and "✖ Failed" in job_row
    assert job_row.startswith("│     └──")
