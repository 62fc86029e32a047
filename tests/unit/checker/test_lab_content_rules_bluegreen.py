"""timeline.preview_checked and state.bluegreen_active (blue-green lab) over recorded-shape
timelines and snapshots."""

from __future__ import annotations

from typing import Any

from checker import Snapshot, Status, Timeline
from checker.rules import RULES, RuleInputs
from checker.scenarios import rollout_object
from checker.timeline import TimelineEntry, rollout_entry_data

V1, V2, V3 = (f"rollout-lab/task-agent:{v}" for v in ("v1", "v2", "v3"))
H1, H2, H3 = "hash1111", "hash2222", "hash3333"
START = 1_764_150_000.0
HASH = "rollouts-pod-template-hash"


def _bg(image: str, pod_hash: str, stable: str, phase: str, **extra: Any) -> dict[str, Any]:
    obj = rollout_object(image, pod_hash=pod_hash, stable=stable, phase=phase, **extra)
    obj["spec"]["strategy"] = {
        "blueGreen": {"activeService": "agent-active", "previewService": "agent-preview"}
    }
    return obj


def _timeline(*entries: tuple[float, str, dict[str, Any]]) -> Timeline:
    timeline = Timeline(namespace="lab", started_at=START)
    for t, kind, data in entries:
        if kind == "rollout":
            timeline.entries.append(
                TimelineEntry(START + t, kind, "agent", rollout_entry_data(data))
            )
        else:
            timeline.entries.append(TimelineEntry(START + t, kind, data["service"], data))
    return timeline


def _probe(service: str = "agent-preview") -> dict[str, Any]:
    return {"service": service, "versions": {"v2": 5}}


RELEASE = (
    (0, "rollout", _bg(V1, H1, H1, "Healthy")),
    (10, "rollout", _bg(V2, H2, H1, "Progressing", generation=2)),
    (12, "rollout", _bg(V2, H2, H1, "Paused", generation=2, pause=True)),
)
PROMOTED = (20, "rollout", _bg(V2, H2, H2, "Healthy", generation=2))


def _checked(*entries: tuple[float, str, dict[str, Any]]) -> tuple[Status, str]:
    outcome = RULES["timeline.preview_checked"].fn(
        RuleInputs(timeline=_timeline(*entries), namespace="lab"),
        {"rollout": "agent", "preview_service": "agent-preview", "image": V2},
    )
    return outcome.status, outcome.observed


def test_a_probe_between_arrival_and_promotion_passes() -> None:
    status, observed = _checked(*RELEASE, (13, "probe", _probe()), PROMOTED)
    assert status is Status.PASSED
    assert observed == "preview Service probed at +13s (answers by version: v2=5), promoted at +20s"


def test_promotion_without_a_preview_probe_fails() -> None:
    unanswered = {"service": "agent-preview", "versions": {}}
    early, elsewhere = (5, "probe", _probe()), (13, "probe", _probe("agent-active"))
    for extra in (early, elsewhere, (13, "probe", unanswered)):
        status, observed = _checked(*RELEASE, extra, PROMOTED)
        assert status is Status.FAILED
        assert "came up at +10s and was promoted at +20s with no request" in observed


def test_before_promotion_a_probe_passes_and_none_waits() -> None:
    assert _checked(*RELEASE, (13, "probe", _probe()))[0] is Status.PASSED
    assert _checked(*RELEASE)[0] is Status.PENDING
    assert _checked(RELEASE[0])[0] is Status.PENDING  # not released yet


def _snapshot(rollout: dict[str, Any], active_hash: str | None) -> Snapshot:
    selector = {"app": "agent"} | ({HASH: active_hash} if active_hash else {})
    replicasets = [
        {
            "metadata": {"name": f"agent-{h}", "labels": {"app": "agent", HASH: h}},
            "spec": {"template": {"spec": {"containers": [{"name": "agent", "image": image}]}}},
        }
        for h, image in ((H1, V1), (H2, V2), (H3, V3))
    ]
    services = [{"metadata": {"name": "agent-active"}, "spec": {"selector": selector}}]
    return Snapshot(
        namespace="lab",
        objects={"rollouts": [rollout], "replicasets": replicasets, "services": services},
    )


def _active(snapshot: Snapshot) -> tuple[Status, str]:
    outcome = RULES["state.bluegreen_active"].fn(
        RuleInputs(snapshot=snapshot, namespace="lab"), {"rollout": "agent", "image": V2}
    )
    return outcome.status, outcome.observed


def test_active_on_the_approved_release_passes_even_while_aborted() -> None:
    healthy = _active(_snapshot(_bg(V2, H2, H2, "Healthy"), H2))
    assert healthy == (
        Status.PASSED,
        "the active Service serves rollout-lab/task-agent:v2 (ReplicaSet hash hash2222; "
        "Rollout Healthy)",
    )
    aborted = _bg(V3, H3, H2, "Degraded", abort=True, generation=3)
    status, observed = _active(_snapshot(aborted, H2))
    assert status is Status.PASSED and "abort flag set" in observed


def test_switched_to_the_next_release_fails_without_naming_the_target() -> None:
    status, observed = _active(_snapshot(_bg(V3, H3, H3, "Healthy"), H3))
    assert status is Status.FAILED
    assert observed == (
        "the active Service serves rollout-lab/task-agent:v3, not the release this exercise ends on"
    )


def test_still_deciding_or_not_wired_is_pending() -> None:
    paused = _bg(V2, H2, H1, "Paused", pause=True, generation=2)
    assert _active(_snapshot(paused, H1))[0] is Status.PENDING
    assert _active(_snapshot(paused, None)) == (
        Status.PENDING,
        "Service 'agent-active' is not pinned to a ReplicaSet yet",
    )
    empty = Snapshot(namespace="lab", objects={})
    assert _active(empty)[0] is Status.PENDING
    assert (
        RULES["state.bluegreen_active"].fn(RuleInputs(), {"rollout": "agent", "image": V2}).status
        is Status.ERROR
    )
