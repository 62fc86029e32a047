"""Shared fixtures for the lab-content e2e tests (tests/e2e/test_lab_<id>.py).

Each test module starts its own time-warped embedded cluster and opens the lab the way a
learner does (`LabSession.open`), with the workspace and the runtime's state folder
(`ROLLOUT_LAB_HOME`: traffic process, records) under the test's temporary folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from checker import (
    LabResult,
    Learner,
    Status,
    Timeline,
    grade_bundle,
    take_snapshot,
    write_bundle,
)
from checker.timeline import WORKDIR_TIMELINE
from clusters.embedded.cluster import EmbeddedCluster
from labs.runtime.lifecycle import find_solver
from labs.runtime.session import LabSession

__all__ = ["LabHarness", "assert_full_marks", "bundle_result", "lab_harness", "statuses"]

TIME_SCALE = 60


class LabHarness:
    """One embedded cluster plus helpers to open sessions of a lab on it."""

    def __init__(self, cluster: EmbeddedCluster, root: Path, lab_id: str) -> None:
        self.cluster = cluster
        self.root = root
        self.lab_id = lab_id

    def open(self, name: str, *, record: bool = True) -> LabSession:
        """A fresh learner workspace (`<root>/<name>/<lab>`) made from starter/."""
        return LabSession.open(
            self.lab_id,
            workspace_root=self.root / name,
            kubeconfig=self.cluster.kubeconfig_path,
            time_scale=TIME_SCALE,
            record=record,
        )

    def solver(self) -> Callable[..., Any]:
        solver = find_solver(self.lab_id)
        assert solver is not None, f"labs/{self.lab_id}/solve.py has no solve()"
        return solver


@contextmanager
def lab_harness(tmp: Path, lab_id: str, *, workloads: bool = True) -> Iterator[LabHarness]:
    """Start a cluster (time-scale 60) with ROLLOUT_LAB_HOME under `tmp`; stop it after."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROLLOUT_LAB_HOME", str(tmp / "home"))
        patch.delenv("KUBECONFIG", raising=False)
        cluster = EmbeddedCluster(tmp / "cluster", time_scale=TIME_SCALE, workloads=workloads)
        cluster.start()
        try:
            yield LabHarness(cluster, tmp, lab_id)
        finally:
            cluster.stop()


def starter_statuses(harness: LabHarness) -> dict[str, tuple[Status, str]]:
    """Check the untouched starter once (live checks get one second) and return the statuses."""
    session = harness.open("starter")
    try:
        result = session.check(deadline=1)
    finally:
        session.close()
    return statuses(result)


def statuses(result: LabResult) -> dict[str, tuple[Status, str]]:
    """check id -> (status, observed) for assertions with readable failure output."""
    return {c.id: (c.status, c.observed) for c in result.checks}


def assert_full_marks(result: LabResult) -> None:
    """Every check passed and the score is the rubric's full points."""
    seen = statuses(result)
    failing = {k: v for k, v in seen.items() if v[0] is not Status.PASSED}
    assert not failing, failing
    assert result.score == result.points_possible
    assert result.gradable


def bundle_result(session: LabSession, folder: Path) -> LabResult:
    """Submit the session's work as a bundle (files, snapshot, timeline) and re-grade it
    offline, the way an instructor batch-grades a class."""
    assert session.cluster is not None
    workspace = session.workspace
    manifests = {
        p.relative_to(workspace.path).as_posix(): p.read_bytes() for p in workspace.manifest_files()
    }
    timeline = Timeline.from_jsonl((workspace.path / WORKDIR_TIMELINE).read_text(encoding="utf-8"))
    snapshot = take_snapshot(session.cluster.api_client(), session.namespace, backend="embedded")
    path = write_bundle(
        folder / f"{session.lab_id}.zip",
        lab=session.lab_id,
        learner=Learner(id="learner-1", name="Test Learner"),
        manifests=manifests,
        snapshot=snapshot,
        timeline=timeline,
    )
    return grade_bundle(session.rubric, path)
