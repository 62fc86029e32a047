"""Deployment rules (all-or-nothing lab): the manifest, the live state, and the release history
from recorded ScalingReplicaSet Events or, without them, from ReplicaSet revisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checker import Snapshot, Status, Timeline, load_manifests
from checker.rules import RULES, RuleInputs
from checker.timeline import TimelineEntry

V1, V3 = "rollout-lab/task-agent:v1", "rollout-lab/task-agent:v3"
START = 1_764_150_000.0
SOLUTION = (
    Path(__file__).resolve().parents[3] / "labs" / "all-or-nothing" / "solution" / "deployment.yaml"
).read_text(encoding="utf-8")
SPEC = {"deployment": "agent", "replicas": 3, "image": V1, "port": 8080}


def _spec(text: str) -> tuple[Status, str]:
    inputs = RuleInputs(manifests=load_manifests({"deployment.yaml": text}), namespace="lab")
    outcome = RULES["manifest.deployment_spec"].fn(inputs, dict(SPEC))
    return outcome.status, outcome.observed


def test_manifest_spec_passes_and_each_mistake_is_named() -> None:
    assert _spec(SOLUTION) == (Status.PASSED, "Deployment 'agent': 3 replica(s) of " + V1)
    cases = {
        SOLUTION.replace("replicas: 3", "replicas: 2"): "spec.replicas is 2; the task asks",
        SOLUTION.replace("  replicas: 3\n", ""): "spec.replicas is absent (defaults to 1)",
        SOLUTION.replace(
            "app: agent\n  template", "app: web\n  template"
        ): "selector label(s) app=web",
        SOLUTION.replace(":v1", ":v2"): "runs rollout-lab/task-agent:v2, not the release",
        SOLUTION.replace("8080", "9090"): "container ports declared: 9090",
        SOLUTION.replace("kind: Deployment", "kind: StatefulSet"): "no Deployment named 'agent'",
    }
    for text, phrase in cases.items():
        status, observed = _spec(text)
        assert status is Status.FAILED and phrase in observed, observed


def _deployment(
    image: str, updated: int = 3, available: int = 3, total: int = 3, **cond: str
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "observedGeneration": 2,
        "replicas": total,
        "updatedReplicas": updated,
        "availableReplicas": available,
    }
    if cond:
        status["conditions"] = [{"type": "Progressing", **cond}]
    return {
        "metadata": {"name": "agent", "generation": 2},
        "spec": {
            "replicas": 3,
            "template": {"spec": {"containers": [{"name": "agent", "image": image}]}},
        },
        "status": status,
    }


def _rs(pod_hash: str, image: str, revision: int, replicas: int = 0) -> dict[str, Any]:
    return {
        "metadata": {
            "name": f"agent-{pod_hash}",
            "annotations": {"deployment.kubernetes.io/revision": str(revision)},
            "ownerReferences": [{"kind": "Deployment", "name": "agent"}],
        },
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "agent", "image": image}]}},
        },
    }


UNDONE = [_rs("h1", V1, 3, 3), _rs("h3", V3, 2)]


def _snapshot(deployment: dict[str, Any] | None, replicasets: list[dict[str, Any]]) -> Snapshot:
    return Snapshot(
        namespace="lab",
        objects={"deployments": [deployment] if deployment else [], "replicasets": replicasets},
    )


def _scaled(*moves: tuple[float, str]) -> Timeline:
    timeline = Timeline(namespace="lab", started_at=START)
    for t, message in moves:
        data = {
            "reason": "ScalingReplicaSet",
            "message": message,
            "involvedKind": "Deployment",
            "involvedName": "agent",
            "count": 1,
        }
        timeline.entries.append(TimelineEntry(START + t, "event", f"agent.{t}", data))
    return timeline


UNDO_EVENTS = _scaled(
    (1, "Scaled up replica set agent-h1 from 0 to 3"),
    (10, "Scaled up replica set agent-h3 from 0 to 1"),
    (11, "Scaled down replica set agent-h1 from 3 to 2"),
    (12, "Scaled up replica set agent-h3 from 1 to 2"),
    (20, "Scaled up replica set agent-h1 from 0 to 1"),
    (21, "Scaled down replica set agent-h3 from 3 to 2"),
)


def _run(
    name: str, snapshot: Snapshot | None, timeline: Timeline | None = None
) -> tuple[Status, str]:
    params: dict[str, Any] = {"deployment": "agent"}
    params |= {"image": V3} if name == "timeline.deployment_released" else {}
    params |= {"good_image": V1, "bad_image": V3} if name.endswith("recovered") else {}
    params |= {"image": V1} if name == "state.deployment_available" else {}
    outcome = RULES[name].fn(
        RuleInputs(snapshot=snapshot, timeline=timeline, namespace="lab"), params
    )
    return outcome.status, outcome.observed


def test_release_and_undo_from_recorded_events() -> None:
    snapshot = _snapshot(_deployment(V1), UNDONE)
    assert _run("timeline.deployment_released", snapshot, UNDO_EVENTS) == (
        Status.PASSED,
        f"{V3} rolled out at +10s",
    )
    status, observed = _run("timeline.deployment_recovered", snapshot, UNDO_EVENTS)
    assert status is Status.PASSED
    assert observed.startswith(f"back on {V1} at +20s after {V3} at +10s")


def test_without_events_the_revisions_order_the_versions() -> None:
    snapshot = _snapshot(_deployment(V1), UNDONE)
    status, observed = _run("timeline.deployment_recovered", snapshot, Timeline())
    assert status is Status.PASSED
    assert observed.startswith(f"back on {V1} at revision 3 after {V3} at revision 2")


def test_not_released_still_on_new_or_released_again() -> None:
    only_v1 = _snapshot(_deployment(V1), [_rs("h1", V1, 1, 3)])
    assert _run("timeline.deployment_released", only_v1, Timeline())[0] is Status.PENDING
    assert _run("timeline.deployment_recovered", only_v1, Timeline())[0] is Status.PENDING
    on_v3 = _snapshot(_deployment(V3), [_rs("h1", V1, 1), _rs("h3", V3, 2, 3)])
    status, observed = _run("timeline.deployment_recovered", on_v3, Timeline())
    assert status is Status.PENDING and observed.startswith("not recovered yet")
    again = _scaled(
        (1, "Scaled up replica set agent-h1 from 0 to 3"),
        (10, "Scaled up replica set agent-h3 from 0 to 1"),
        (20, "Scaled up replica set agent-h1 from 0 to 1"),
        (30, "Scaled up replica set agent-h3 from 0 to 1"),
    )
    status, observed = _run("timeline.deployment_recovered", on_v3, again)
    assert status is Status.FAILED
    assert (
        "recovered at +20s, but the Deployment now runs rollout-lab/task-agent:v3 again" in observed
    )


def test_recovery_waits_for_the_rollout_to_finish() -> None:
    rolling = _snapshot(_deployment(V1, updated=2, available=2, total=4), UNDONE)
    status, observed = _run("timeline.deployment_recovered", rolling, UNDO_EVENTS)
    assert (status, observed) == (
        Status.PENDING,
        "recovering: 2 of 3 updated, 2 available, 4 pod(s) in total",
    )


def test_available_state() -> None:
    assert (
        _run("state.deployment_available", _snapshot(_deployment(V1), UNDONE))[0] is Status.PASSED
    )
    assert (
        _run("state.deployment_available", _snapshot(_deployment(V1, updated=1), []))[0]
        is Status.PENDING
    )
    status, observed = _run("state.deployment_available", _snapshot(_deployment(V3), []))
    assert status is Status.FAILED and "not the release this exercise ends on" in observed
    stalled = _deployment(V1, updated=1, reason="ProgressDeadlineExceeded")
    assert _run("state.deployment_available", _snapshot(stalled, []))[0] is Status.FAILED
    assert _run("state.deployment_available", _snapshot(None, []))[0] is Status.PENDING
    assert _run("state.deployment_available", None)[0] is Status.ERROR
