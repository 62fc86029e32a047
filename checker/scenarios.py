"""Recorded-shape scenarios for the canary-analysis exercise: snapshots and timelines built with
the controller's own status fields, reasons and messages. Tests, the benchmark and demos use them
where a live cluster is not available; each rollback path is its own scenario.
"""

from __future__ import annotations

import copy
from typing import Any

from checker.snapshot import Snapshot
from checker.timeline import Timeline, TimelineEntry, rollout_entry_data

__all__ = ["ROLLBACK_PATHS", "WRONG_PATHS", "canary_timeline", "rollout_object", "settled_snapshot"]

GOOD, BAD = "rollout-lab/task-agent:v1", "rollout-lab/task-agent:v4"
QUIET = "rollout-lab/task-agent:v3"  # no errors, ~4x the P0 tasks: the urgent-ratio metric fails it
H1, H4, H3 = "6c779b88b6", "7d5f8c9b4d", "5b8d9f6c7a"
STEPS = 5
ROLLBACK_PATHS = (
    "abort_then_undo",
    "abort_then_set_image",
    "abort_then_reapply",
    "undo_while_paused",
)
WRONG_PATHS = (
    "abort_only",
    "promote_full",
    "no_release",
    "manual_abort_then_undo",
    "rollback_then_bad_again",
)


def _condition(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


def rollout_object(
    image: str,
    *,
    pod_hash: str,
    stable: str,
    phase: str,
    step: int = STEPS,
    revision: int = 1,
    generation: int = 1,
    observed: int | None = None,
    abort: bool = False,
    message: str = "",
    progressing: tuple[str, str, str] = ("True", "NewReplicaSetAvailable", ""),
    pause: bool = False,
    name: str = "agent",
) -> dict[str, Any]:
    """A Rollout as the API returns it (status names and shapes from the controller)."""
    status: dict[str, Any] = {
        "phase": phase,
        "observedGeneration": str(generation if observed is None else observed),
        "currentPodHash": pod_hash,
        "stableRS": stable,
        "currentStepIndex": step,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "canary": {},
        "blueGreen": {},
        "conditions": [
            _condition("Progressing", progressing[0], progressing[1], progressing[2]),
            _condition("Available", "True", "AvailableReason", "Rollout has minimum availability"),
            _condition(
                "Completed", str(pod_hash == stable), "RolloutCompleted", "RolloutCompleted"
            ),
        ],
    }
    if message:
        status["message"] = message
    if abort:
        status["abort"] = True
        status["abortedAt"] = "2026-11-26T10:00:40Z"
    if pause:
        status["pauseConditions"] = [
            {"reason": "CanaryPauseStep", "startTime": "2026-11-26T10:00:20Z"}
        ]
        status["controllerPause"] = True
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {
            "name": name,
            "namespace": "lab-canary",
            "generation": generation,
            "annotations": {"rollout.argoproj.io/revision": str(revision)},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": image}]},
            },
        },
        "status": status,
    }


def _healthy(image: str, pod_hash: str, revision: int, generation: int) -> dict[str, Any]:
    return rollout_object(
        image,
        pod_hash=pod_hash,
        stable=pod_hash,
        phase="Healthy",
        revision=revision,
        generation=generation,
        progressing=(
            "True",
            "NewReplicaSetAvailable",
            f'ReplicaSet "agent-{pod_hash}" has successfully progressed.',
        ),
    )


_ABORT_TEXT = (
    'Rollout aborted update to revision 2: Metric "error-rate" assessed Failed due to '
    "failed (2) > failureLimit (1)"
)


def canary_timeline(path: str, start: float = 1_764_150_000.0) -> Timeline:
    """The exercise as a recorder would see it, ending with `path` (see ROLLBACK/WRONG_PATHS).

    The analysis-driven rollback paths then also release the quiet v3, aborted the same way."""
    timeline = Timeline(namespace="lab-canary", started_at=start, time_scale=1.0)
    t = start

    def add(kind: str, name: str, data: dict[str, Any], dt: float = 5.0) -> None:
        nonlocal t
        t += dt
        timeline.entries.append(TimelineEntry(t, kind, name, data))

    def rollout(obj: dict[str, Any], dt: float = 5.0) -> None:
        add("rollout", "agent", rollout_entry_data(obj), dt)

    def event(reason: str, message: str, kind: str = "Normal") -> None:
        data = {
            "reason": reason,
            "message": message,
            "eventType": kind,
            "involvedKind": "Rollout",
            "involvedName": "agent",
            "count": 1,
        }
        add("event", f"agent.{reason.lower()}.{len(timeline.entries)}", data, 0.5)

    run = f"agent-{H4}-2"

    def analysis(phase: str) -> None:
        add(
            "analysisrun",
            run,
            {
                "phase": phase,
                "message": "",
                "rollout": "agent",
                "labels": {"rollout-type": "Background"},
            },
            1.0,
        )

    rollout(
        rollout_object(
            GOOD,
            pod_hash=H1,
            stable=H1,
            phase="Progressing",
            progressing=("True", "NewReplicaSetCreated", ""),
        )
    )
    event("RolloutCompleted", f"Rollout completed update to revision 1 ({H1}): Initial deploy")
    rollout(_healthy(GOOD, H1, 1, 1))
    if path == "no_release":
        return timeline
    # Right after the edit the status still describes the old spec (observedGeneration lags).
    stale = _healthy(BAD, H1, 1, 2)
    stale["status"]["observedGeneration"] = "1"
    rollout(stale, dt=60)
    rollout(
        rollout_object(
            BAD,
            pod_hash=H4,
            stable=H1,
            phase="Progressing",
            step=0,
            revision=2,
            generation=2,
            progressing=("True", "ReplicaSetUpdated", ""),
        ),
        dt=1,
    )
    event("RolloutUpdated", "Rollout updated to revision 2")
    rollout(
        rollout_object(
            BAD,
            pod_hash=H4,
            stable=H1,
            phase="Paused",
            step=1,
            revision=2,
            generation=2,
            pause=True,
            message="CanaryPauseStep",
            progressing=("Unknown", "RolloutPaused", "Rollout is paused"),
        )
    )
    event("RolloutPaused", "Rollout is paused (CanaryPauseStep)")
    analysis("Running")
    if path == "promote_full":
        rollout(
            rollout_object(BAD, pod_hash=H4, stable=H4, phase="Healthy", revision=2, generation=2)
        )
        event(
            "RolloutCompleted",
            f"Rollout completed update to revision 2 ({H4}): Full promotion requested",
        )
        return timeline
    if path == "undo_while_paused":
        rollout(_healthy(GOOD, H1, 3, 3), dt=20)
        event("SkipSteps", "Rollback to stable ReplicaSets")
        return timeline
    aborted = rollout_object(
        BAD,
        pod_hash=H4,
        stable=H1,
        phase="Degraded",
        step=0,
        revision=2,
        generation=2,
        abort=True,
        message=f"RolloutAborted: {_ABORT_TEXT}",
        progressing=("False", "RolloutAborted", _ABORT_TEXT),
    )
    if path == "manual_abort_then_undo":
        manual = "Rollout aborted update to revision 2"
        aborted["status"]["message"] = f"RolloutAborted: {manual}"
        aborted["status"]["conditions"][0]["message"] = manual
        rollout(aborted, dt=10)
        event("RolloutAborted", manual, "Warning")
        analysis("Successful")
        rollout(_healthy(GOOD, H1, 3, 3), dt=30)
        return timeline
    analysis("Failed")
    event(
        "AnalysisRunFailed",
        f"Background Analysis Run '{run}' Status New: 'Failed' Previous: 'Running'",
        "Warning",
    )
    rollout(aborted, dt=2)
    event("RolloutAborted", _ABORT_TEXT, "Warning")
    if path == "abort_only":
        return timeline
    if path in (
        "abort_then_undo",
        "abort_then_set_image",
        "abort_then_reapply",
        "rollback_then_bad_again",
    ):
        if path == "abort_then_undo":
            event("RolloutUpdated", "Rollout updated to revision 3")
        reverted = copy.deepcopy(aborted)  # template back on v1, status not yet caught up
        reverted["spec"]["template"]["spec"]["containers"][0]["image"] = GOOD
        reverted["metadata"]["generation"] = 3
        rollout(reverted, dt=35)
        rollout(_healthy(GOOD, H1, 3, 3), dt=5)
        event(
            "RolloutCompleted",
            f"Rollout completed update to revision 3 ({H1}): Rollback within window",
        )
    if path in ("abort_then_undo", "abort_then_set_image", "abort_then_reapply"):
        # Then the quiet regression: v3 released, its urgent-ratio metric fails, aborted, undone.
        quiet_run = f"agent-{H3}-4"
        quiet_text = (
            'Rollout aborted update to revision 4: Metric "urgent-ratio" assessed Failed due to '
            "failed (2) > failureLimit (1)"
        )
        rollout(
            rollout_object(
                QUIET,
                pod_hash=H3,
                stable=H1,
                phase="Paused",
                step=1,
                revision=4,
                generation=4,
                pause=True,
                message="CanaryPauseStep",
                progressing=("Unknown", "RolloutPaused", "Rollout is paused"),
            ),
            dt=30,
        )
        add("analysisrun", quiet_run, {"phase": "Failed", "message": "", "rollout": "agent"}, 10)
        event(
            "AnalysisRunFailed",
            f"Background Analysis Run '{quiet_run}' Status New: 'Failed' Previous: 'Running'",
            "Warning",
        )
        rollout(
            rollout_object(
                QUIET,
                pod_hash=H3,
                stable=H1,
                phase="Degraded",
                step=0,
                revision=4,
                generation=4,
                abort=True,
                message=f"RolloutAborted: {quiet_text}",
                progressing=("False", "RolloutAborted", quiet_text),
            ),
            dt=2,
        )
        event("RolloutAborted", quiet_text, "Warning")
        rollout(_healthy(GOOD, H1, 5, 5), dt=20)
        event("RolloutCompleted", f"Rollout completed update to revision 5 ({H1})")
    if path == "rollback_then_bad_again":
        rollout(
            rollout_object(
                BAD, pod_hash=H4, stable=H1, phase="Progressing", step=0, revision=4, generation=4
            ),
            dt=30,
        )
    return timeline


def settled_snapshot(
    image: str = GOOD, *, canary_pods: int = 0, phase: str = "Healthy"
) -> Snapshot:
    """The lab namespace after the exercise: the Rollout, its ReplicaSets, pods and Services."""
    stable = H1 if image == GOOD else H4
    other = H4 if stable == H1 else H1
    rollout = _healthy(image, stable, 3, 3)
    rollout["status"]["phase"] = phase
    owner = [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "name": "agent",
            "controller": True,
        }
    ]

    def replica_set(pod_hash: str, replicas: int) -> dict[str, Any]:
        return {
            "metadata": {
                "name": f"agent-{pod_hash}",
                "labels": {"app": "agent", "rollouts-pod-template-hash": pod_hash},
                "ownerReferences": owner,
            },
            "spec": {"replicas": replicas},
            "status": {"replicas": replicas},
        }

    def pod(pod_hash: str, index: int) -> dict[str, Any]:
        return {
            "metadata": {
                "name": f"agent-{pod_hash}-{index:05d}",
                "labels": {"app": "agent", "rollouts-pod-template-hash": pod_hash},
                "ownerReferences": [{"kind": "ReplicaSet", "name": f"agent-{pod_hash}"}],
            },
            "status": {"phase": "Running"},
        }

    pods = [pod(stable, i) for i in range(3)] + [pod(other, i) for i in range(canary_pods)]
    services = [
        {
            "metadata": {"name": name},
            "spec": {"selector": {"app": "agent", "rollouts-pod-template-hash": stable}},
        }
        for name in ("agent-stable", "agent-canary")
    ]
    run = {
        "metadata": {
            "name": f"agent-{H4}-2",
            "ownerReferences": owner,
            "labels": {"rollouts-pod-template-hash": H4},
        },
        "status": {"phase": "Failed", "message": 'Metric "error-rate" assessed Failed'},
    }
    return Snapshot(
        namespace="lab-canary",
        objects={
            "rollouts": [rollout],
            "replicasets": [replica_set(stable, 3), replica_set(other, canary_pods)],
            "pods": pods,
            "services": services,
            "analysisruns": [run],
            "deployments": [],
            "analysistemplates": [],
            "events": [],
        },
        taken_at="2026-11-26T10:05:00+00:00",
        backend="fixture",
        versions={"kubernetes": "v1.34.0", "rollouts": "v1.9.1"},
    )
