"""The three views render one model as text and HTML with the same words; no colour-only signal."""

from __future__ import annotations

from typing import Any

import pytest

from checker import CheckResult, LabResult, Status, Visibility
from clusters.rollouts_client import build_rollout_info
from labs.runtime.traffic import TrafficPoint, VersionRates
from labs.widgets import check_view, rollout_view, traffic_view


def meta(name: str, uid: str = "", owner: str = "", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": name, "namespace": "lab", "uid": uid or f"uid-{name}"}
    if owner:
        data["ownerReferences"] = [{"uid": owner, "kind": "Rollout"}]
    data.update(extra)
    return data


def paused_canary() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list]:
    rollout = {
        "metadata": meta("agent", generation=2),
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {"spec": {"containers": [{"name": "agent", "image": "task-agent:v2"}]}},
            "strategy": {
                "canary": {"steps": [{"setWeight": 20}, {"pause": {}}, {"setWeight": 100}]}
            },
        },
        "status": {
            "phase": "Paused",
            "message": "CanaryPauseStep",
            "currentStepIndex": 1,
            "stableRS": "aaa",
            "currentPodHash": "bbb",
            "observedGeneration": "2",
            "pauseConditions": [{"reason": "CanaryPauseStep"}],
            "replicas": 3,
            "availableReplicas": 3,
        },
    }

    def rs(hash_: str, image: str, revision: str, count: int) -> dict[str, Any]:
        return {
            "metadata": meta(
                f"agent-{hash_}",
                owner="uid-agent",
                labels={"rollouts-pod-template-hash": hash_},
                annotations={"rollout.argoproj.io/revision": revision},
            ),
            "spec": {"replicas": count, "template": {"spec": {"containers": [{"image": image}]}}},
            "status": {"replicas": count, "availableReplicas": count},
        }

    def pod(name: str, owner: str) -> dict[str, Any]:
        return {
            "metadata": meta(name, owner=owner),
            "status": {
                "phase": "Running",
                "containerStatuses": [{"ready": True, "restartCount": 0, "state": {"running": {}}}],
            },
            "spec": {"containers": [{"name": "agent"}]},
        }

    replicasets = [rs("aaa", "task-agent:v1", "1", 2), rs("bbb", "task-agent:v2", "2", 1)]
    pods = [pod("p1", "uid-agent-aaa"), pod("p2", "uid-agent-aaa"), pod("p3", "uid-agent-bbb")]
    runs = [
        {
            "metadata": meta(
                "agent-bbb-2",
                owner="uid-agent",
                annotations={"rollout.argoproj.io/revision": "2"},
            ),
            "status": {
                "phase": "Running",
                "metricResults": [
                    {
                        "name": "error-rate",
                        "successful": 2,
                        "measurements": [
                            {"value": "0", "phase": "Successful"},
                            {"value": "0.004", "phase": "Successful"},
                        ],
                    }
                ],
            },
        }
    ]
    return rollout, replicasets, pods, runs


def test_rollout_view_marks_the_current_step_and_counts_pods_per_revision():
    rollout, replicasets, pods, runs = paused_canary()
    info = build_rollout_info(rollout, replicasets, pods, runs)
    model = rollout_view.build_view_model(info, rollout, runs)
    assert [(s.text, s.state) for s in model.steps] == [
        ("setWeight 20%", "done"),
        ("pause (until promoted)", "current"),
        ("setWeight 100%", "next"),
    ]
    text = rollout_view.render_text(model)
    assert "Status: Paused - CanaryPauseStep" in text
    assert "[>] 1: pause (until promoted)   <- current" in text
    assert "revision 2 (canary) task-agent:v2: 1/1 pods ready" in text
    assert "revision 1 (stable) task-agent:v1: 2/2 pods ready" in text
    assert "error-rate = 0.004 (Successful)" in text
    page = rollout_view.render_html(model)
    assert '<li data-state="current"><b>pause (until promoted)</b> <i>(current step)</i>' in page
    assert "<td>2</td><td>canary</td><td>task-agent:v2</td><td>1/1</td>" in page


def test_rollout_view_says_what_is_missing():
    model = rollout_view.RolloutViewModel.missing("agent", "lab", 'rollouts "agent" not found')
    assert rollout_view.render_text(model) == (
        'Rollout agent (namespace lab): rollouts "agent" not found'
    )


def test_traffic_view_numbers_match_the_plot_lines():
    def point(t: float, **versions: tuple[int, int, int, int]) -> TrafficPoint:
        rates = {}
        for version, (req, err, tasks, urgent) in versions.items():
            rates[version] = VersionRates(req, err, tasks, urgent, seconds=2.0)
        return TrafficPoint(t, rates)

    points = [
        point(96.0, v1=(20, 0, 90, 6)),
        point(98.0, v1=(16, 0, 72, 5), v3=(4, 0, 18, 6)),
        point(100.0, v1=(16, 0, 72, 4), v3=(4, 0, 18, 5)),
    ]
    model = traffic_view.build_traffic_model(points, running=True, target="svc", now=100.0)
    by_version = {v.version: v for v in model.versions}
    assert by_version["v1"].rps == pytest.approx(52 / 6)  # the last three 2-second buckets
    assert by_version["v3"].share == pytest.approx(8 / 60)
    assert by_version["v3"].urgent_ratio == pytest.approx(11 / 36)
    text = traffic_view.render_text(model)
    assert "v3: 1.3 req/s (13% of traffic), errors 0.0%, urgent_ratio 0.306" in text
    page = traffic_view.render_html(model)
    # One line per version per plot, told apart by dash pattern and a text label.
    assert page.count('data-version="v1"') == 2 and page.count('data-version="v3"') == 2
    assert 'stroke-dasharray=""' in page and 'stroke-dasharray="6 3"' in page
    assert "<td>v3</td><td>1.3</td><td>13%</td><td>0.0%</td><td>0.306</td>" in page
    idle = traffic_view.build_traffic_model([], running=False, target="", now=100.0)
    assert traffic_view.render_text(idle) == (
        "Traffic stopped\n  no answers in the last few seconds"
    )


def result(*checks: CheckResult) -> LabResult:
    return LabResult("lab", "Canary lab", list(checks), "cluster", "0.1.0", "sha256:x")


def check(cid: str, status: Status, score: float, points: float, **extra: Any) -> CheckResult:
    visibility = extra.pop("visibility", Visibility.VISIBLE)
    return CheckResult(cid, cid.title(), "manifest", status, score, points, visibility, **extra)


def test_check_view_shows_what_failed_and_keeps_hidden_checks_back():
    model = check_view.build_check_model(
        result(
            check("steps", Status.PASSED, 3, 3),
            check(
                "services",
                Status.FAILED,
                0,
                2,
                observed="canaryService is empty",
                where="rollout.yaml:20",
                hint="compare the Service names",
                hint_level=1,
                hints_total=2,
                evidence="kubectl get svc -n lab",
            ),
            check("healthy", Status.PENDING, 0, 2, observed="still Progressing"),
            check("time", Status.PASSED, 1, 1, visibility=Visibility.HIDDEN),
        )
    )
    text = check_view.render_text(model)
    assert text.splitlines()[0] == "Canary lab [cluster]   public checks: 3 / 7"
    assert " FAIL  Services   0/2" in text
    assert "       saw: canaryService is empty" in text
    assert "       hint 1 of 2: compare the Service names" in text
    assert "       look: kubectl get svc -n lab" in text
    assert " WAIT  Healthy   –/2" in text
    assert "1 hidden check(s) are scored after you submit." in text
    assert "re-check shortly" in text and "Full marks" not in text
    page = check_view.render_html(model)
    assert '<tr data-status="FAIL"><td><b>FAIL</b></td>' in page
    assert "<code>kubectl get svc -n lab</code>" in page


def test_check_view_full_marks_only_when_every_visible_check_passed():
    model = check_view.build_check_model(result(check("steps", Status.PASSED, 3, 3)))
    assert model.full_marks
    assert check_view.render_text(model).endswith("Full marks on the checks you can see.")
