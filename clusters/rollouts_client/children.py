"""Pods and AnalysisRuns as `get rollout` shows them (status word, icon, ready, counts).

Pod status follows the same reading as `kubectl get pods` (init containers, waiting and
terminated reasons, Terminating), as the plugin does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clusters.rollouts_client.icons import analysis_icon, pod_icon

__all__ = [
    "AnalysisRunInfo",
    "JobInfo",
    "PodInfo",
    "analysis_run_info",
    "owned_by",
    "pod_info",
    "pod_status",
]

_JOB_NAME = "job-name"


@dataclass(frozen=True)
class PodInfo:
    """One pod row: status word, icon, `ready:1/1` and restarts."""

    name: str
    created: str
    status: str
    icon: str
    ready: str
    restarts: int


@dataclass(frozen=True)
class JobInfo:
    """A Job an AnalysisRun measurement started."""

    name: str
    created: str
    status: str
    icon: str


@dataclass(frozen=True)
class AnalysisRunInfo:
    """One AnalysisRun row: phase plus measurement tallies (✔ n, ✖ n, ? n, ⚠ n)."""

    name: str
    created: str
    revision: int
    status: str
    icon: str
    successful: int = 0
    failed: int = 0
    inconclusive: int = 0
    error: int = 0
    jobs: tuple[JobInfo, ...] = ()


def owned_by(obj: dict[str, Any], uid: str) -> bool:
    """True when any ownerReference of `obj` points at `uid`."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return bool(uid) and any(ref.get("uid") == uid for ref in refs)


def _count(value: Any) -> int:
    return int(value) if isinstance(value, int) else 0


def _init_reason(pod: dict[str, Any], reason: str) -> tuple[str, bool, int]:
    """(reason, still initializing, restarts) after reading the init containers."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    init_specs = spec.get("initContainers") or []
    sidecars = {c.get("name") for c in init_specs if c.get("restartPolicy") == "Always"}
    restarts = 0
    for index, container in enumerate(status.get("initContainerStatuses") or []):
        restarts += _count(container.get("restartCount"))
        state = container.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and _count(terminated.get("exitCode")) == 0:
            continue
        if terminated is not None:
            if terminated.get("reason"):
                return f"Init:{terminated['reason']}", True, restarts
            if _count(terminated.get("signal")):
                return f"Init:Signal:{terminated['signal']}", True, restarts
            return f"Init:ExitCode:{_count(terminated.get('exitCode'))}", True, restarts
        if container.get("name") in sidecars and container.get("started"):
            if container.get("ready"):
                continue
            return reason, False, restarts
        if waiting is not None and waiting.get("reason") not in (None, "", "PodInitializing"):
            return f"Init:{waiting['reason']}", True, restarts
        return f"Init:{index}/{len(init_specs)}", True, restarts
    return reason, False, restarts


def pod_status(pod: dict[str, Any]) -> tuple[str, int, int]:
    """(status word, ready containers, restarts) the way `kubectl get pods` reads a pod."""
    status, meta = pod.get("status") or {}, pod.get("metadata") or {}
    reason = str(status.get("reason") or status.get("phase") or "")
    reason, initializing, restarts = _init_reason(pod, reason)
    ready = 0
    if not initializing:
        restarts, running = 0, False
        for container in reversed(status.get("containerStatuses") or []):
            restarts += _count(container.get("restartCount"))
            state = container.get("state") or {}
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None and terminated.get("reason"):
                reason = str(terminated["reason"])
            elif terminated is not None:
                signal = _count(terminated.get("signal"))
                code = _count(terminated.get("exitCode"))
                reason = f"Signal:{signal}" if signal else f"ExitCode:{code}"
            elif container.get("ready") and state.get("running") is not None:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running"
    if meta.get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason, ready, restarts


def pod_info(pod: dict[str, Any]) -> PodInfo:
    meta = pod.get("metadata") or {}
    word, ready, restarts = pod_status(pod)
    total = len((pod.get("spec") or {}).get("containers") or [])
    return PodInfo(
        name=str(meta.get("name", "")),
        created=str(meta.get("creationTimestamp") or ""),
        status=word,
        icon=pod_icon(word),
        ready=f"{ready}/{total}",
        restarts=restarts,
    )


def analysis_run_info(run: dict[str, Any]) -> AnalysisRunInfo:
    meta, status = run.get("metadata") or {}, run.get("status") or {}
    tallies = {"successful": 0, "failed": 0, "inconclusive": 0, "error": 0}
    jobs: list[JobInfo] = []
    for result in status.get("metricResults") or []:
        for key in tallies:
            tallies[key] += _count(result.get(key))
        for measurement in result.get("measurements") or []:
            job = (measurement.get("metadata") or {}).get(_JOB_NAME)
            if job:
                phase = str(measurement.get("phase") or "")
                started = str(measurement.get("startedAt") or "")
                jobs.append(JobInfo(str(job), started, phase, analysis_icon(phase)))
    try:
        revision = int((meta.get("annotations") or {}).get("rollout.argoproj.io/revision", ""))
    except ValueError:
        revision = 0
    phase = str(status.get("phase") or "")
    return AnalysisRunInfo(
        name=str(meta.get("name", "")),
        created=str(meta.get("creationTimestamp") or ""),
        revision=revision,
        status=phase,
        icon=analysis_icon(phase),
        jobs=tuple(jobs),
        **tallies,
    )
