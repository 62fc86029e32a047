"""The structured `get rollout` model (upstream `info.RolloutInfo`), built from API objects.

`build_rollout_info` is pure: give it the rollout and the namespace's ReplicaSets, pods and
AnalysisRuns as plain dicts and it returns what the tree shows — status, step, weights,
images and revisions with their ReplicaSets, pods and runs. Ages are left to the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters.embedded.rollouts.phase import displayed_phase
from clusters.rollouts_client.children import (
    AnalysisRunInfo,
    PodInfo,
    analysis_run_info,
    owned_by,
    pod_info,
)
from clusters.rollouts_client.icons import ICON_NEUTRAL, ICON_OK, ICON_PROGRESSING, rollout_icon
from clusters.rollouts_client.patches import HASH_LABEL, canary_steps, current_step_index

__all__ = [
    "ImageInfo",
    "ReplicaSetInfo",
    "RolloutInfo",
    "build_rollout_info",
    "set_weight",
]

_SCALE_DOWN_DEADLINE = "scale-down-deadline"
_REVISION = "rollout.argoproj.io/revision"


@dataclass(frozen=True)
class ImageInfo:
    """An image running in some ReplicaSet, tagged with its roles (`canary`, `stable`, ...)."""

    image: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReplicaSetInfo:
    """One ReplicaSet of the rollout with its health, role tags and pods."""

    name: str
    uid: str
    created: str
    revision: int
    status: str
    icon: str
    replicas: int
    available: int
    stable: bool = False
    canary: bool = False
    active: bool = False
    preview: bool = False
    scale_down_deadline: str = ""
    images: tuple[str, ...] = ()
    pods: tuple[PodInfo, ...] = ()

    @property
    def tags(self) -> tuple[str, ...]:
        """Role tags in the order the plugin prints them."""
        tags = ["stable"] if self.stable else []
        if self.canary:
            tags.append("canary")
        elif self.active:
            tags.append("active")
        elif self.preview:
            tags.append("preview")
        return tuple(tags)


@dataclass(frozen=True)
class RolloutInfo:
    """Everything `kubectl argo rollouts get rollout` shows about one rollout."""

    name: str
    namespace: str
    created: str
    status: str
    message: str
    icon: str
    strategy: str
    step: str
    set_weight: str
    actual_weight: str
    desired: int
    current: int
    updated: int
    ready: int
    available: int
    replicasets: tuple[ReplicaSetInfo, ...] = ()
    analysis_runs: tuple[AnalysisRunInfo, ...] = ()
    containers: tuple[tuple[str, str], ...] = field(default=())

    def images(self) -> list[ImageInfo]:
        """Images of ReplicaSets that have pods, merged and sorted, with their role tags."""
        merged: dict[str, set[str]] = {}
        for rs in self.replicasets:
            if rs.replicas <= 0:
                continue
            for image in rs.images:
                merged.setdefault(image, set()).update(rs.tags)
        return [ImageInfo(image, tuple(sorted(tags))) for image, tags in sorted(merged.items())]

    def revisions(self) -> list[int]:
        """Revision numbers with any ReplicaSet or run, newest first."""
        numbers = {rs.revision for rs in self.replicasets}
        numbers |= {run.revision for run in self.analysis_runs}
        return sorted(numbers, reverse=True)

    def replicasets_of(self, revision: int) -> list[ReplicaSetInfo]:
        return [rs for rs in self.replicasets if rs.revision == revision]

    def analysis_runs_of(self, revision: int) -> list[AnalysisRunInfo]:
        return [run for run in self.analysis_runs if run.revision == revision]


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _revision(meta: dict[str, Any]) -> int:
    try:
        return int((meta.get("annotations") or {}).get(_REVISION, ""))
    except ValueError:
        return 0


def set_weight(rollout: dict[str, Any]) -> int:
    """The desired canary weight (§4.3): 0 aborted, 100 past the last step, else the most
    recent setWeight at or before the current step."""
    status = rollout.get("status") or {}
    if status.get("abort"):
        return 0
    steps = canary_steps(rollout) or []
    index = current_step_index(rollout)
    if index is None or index >= len(steps):
        return 100
    for step in reversed(steps[: index + 1]):
        if isinstance(step, dict) and isinstance(step.get("setWeight"), int):
            return int(step["setWeight"])
    return 0


def _replicaset_health(rs: dict[str, Any]) -> str:
    meta, spec, status = rs.get("metadata") or {}, rs.get("spec") or {}, rs.get("status") or {}
    wanted = spec.get("replicas")
    if _int(meta.get("generation")) > _int(status.get("observedGeneration")):
        return "Progressing"
    for cond in status.get("conditions") or []:
        if cond.get("type") == "ReplicaFailure" and cond.get("status") == "True":
            return "ReplicaFailure"
    if isinstance(wanted, int) and _int(status.get("availableReplicas")) < wanted:
        return "Progressing"
    if wanted == 0:
        return "ScaledDown"
    return "Healthy"


_RS_ICONS = {"Progressing": ICON_PROGRESSING, "Healthy": ICON_OK, "ScaledDown": ICON_NEUTRAL}


def _replicaset_info(rs: dict[str, Any], rollout: dict[str, Any]) -> ReplicaSetInfo:
    meta = rs.get("metadata") or {}
    template = (rs.get("spec") or {}).get("template") or {}
    pod_hash = ((meta.get("labels") or {}).get(HASH_LABEL)) or ""
    status = rollout.get("status") or {}
    strategy = (rollout.get("spec") or {}).get("strategy") or {}
    stable = canary = active = preview = False
    if pod_hash and (strategy.get("canary") is not None or strategy.get("blueGreen") is not None):
        stable = status.get("stableRS") == pod_hash
    if strategy.get("canary") is not None and pod_hash and not stable:
        canary = status.get("currentPodHash") == pod_hash
    if strategy.get("blueGreen") is not None and pod_hash:
        blue_green = status.get("blueGreen") or {}
        active = blue_green.get("activeSelector") == pod_hash
        preview = not active and blue_green.get("previewSelector") == pod_hash
    health = _replicaset_health(rs)
    containers = (template.get("spec") or {}).get("containers") or []
    return ReplicaSetInfo(
        name=str(meta.get("name", "")),
        uid=str(meta.get("uid", "")),
        created=str(meta.get("creationTimestamp") or ""),
        revision=_revision(meta),
        status=health,
        icon=_RS_ICONS.get(health, "✖" if health == "ReplicaFailure" else " "),
        replicas=_int((rs.get("status") or {}).get("replicas")),
        available=_int((rs.get("status") or {}).get("availableReplicas")),
        scale_down_deadline=str((meta.get("annotations") or {}).get(_SCALE_DOWN_DEADLINE) or ""),
        images=tuple(str(c.get("image", "")) for c in containers if isinstance(c, dict)),
        stable=stable,
        canary=canary,
        active=active,
        preview=preview,
    )


def _attach_pods(rs: ReplicaSetInfo, pods: list[dict[str, Any]]) -> ReplicaSetInfo:
    mine = [pod_info(p) for p in pods if owned_by(p, rs.uid)]
    mine.sort(key=lambda p: (p.created, p.name))
    return ReplicaSetInfo(**{**rs.__dict__, "pods": tuple(mine)})


def _actual_weight(rollout: dict[str, Any], replicasets: list[ReplicaSetInfo]) -> str:
    steps = canary_steps(rollout) or []
    index = current_step_index(rollout)
    if index is None or index >= len(steps):
        return "100"
    status = rollout.get("status") or {}
    available = _int(status.get("availableReplicas"))
    if available <= 0:
        return "0"
    canary = ((rollout.get("spec") or {}).get("strategy") or {}).get("canary") or {}
    if canary.get("trafficRouting") is None:
        weight = "0"
        for rs in replicasets:
            if rs.canary:
                weight = str(rs.available * 100 // available)
        return weight
    weights = (status.get("canary") or {}).get("weights")
    if isinstance(weights, dict):
        return str(_int((weights.get("canary") or {}).get("weight")))
    return str(set_weight(rollout))


def build_rollout_info(
    rollout: dict[str, Any],
    replicasets: list[dict[str, Any]],
    pods: list[dict[str, Any]],
    analysis_runs: list[dict[str, Any]],
    workload: dict[str, Any] | None = None,
) -> RolloutInfo:
    """The `get rollout` model of `rollout` from its namespace's objects (filtered by owner)."""
    meta, spec, status = (
        rollout.get("metadata") or {},
        rollout.get("spec") or {},
        rollout.get("status") or {},
    )
    uid = str(meta.get("uid", ""))
    rs_infos = [_replicaset_info(rs, rollout) for rs in replicasets if owned_by(rs, uid)]
    rs_infos.sort(key=lambda rs: (-rs.revision, rs.name))
    rs_infos = [_attach_pods(rs, pods) for rs in rs_infos]
    runs = [analysis_run_info(run) for run in analysis_runs if owned_by(run, uid)]
    # Newest revision first, then oldest run first; equal times put names in reverse order.
    runs.sort(key=lambda run: run.name, reverse=True)
    runs.sort(key=lambda run: (-run.revision, run.created))
    strategy = spec.get("strategy") or {}
    step = weight = actual = ""
    kind = ""
    if strategy.get("canary") is not None:
        kind = "Canary"
        steps = canary_steps(rollout) or []
        if isinstance(status.get("currentStepIndex"), int) and steps:
            step = f"{status['currentStepIndex']}/{len(steps)}"
        weight = str(set_weight(rollout))
        actual = _actual_weight(rollout, rs_infos)
    elif strategy.get("blueGreen") is not None:
        kind = "BlueGreen"
    phase, message = displayed_phase(rollout)
    template = ((workload or rollout).get("spec") or {}).get("template") or {}
    containers = (template.get("spec") or {}).get("containers") or []
    return RolloutInfo(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        created=str(meta.get("creationTimestamp") or ""),
        status=phase,
        message=message,
        icon=rollout_icon(phase),
        strategy=kind,
        step=step,
        set_weight=weight,
        actual_weight=actual,
        desired=1 if spec.get("replicas") is None else _int(spec.get("replicas")),
        current=_int(status.get("replicas")),
        updated=_int(status.get("updatedReplicas")),
        ready=_int(status.get("readyReplicas")),
        available=_int(status.get("availableReplicas")),
        replicasets=tuple(rs_infos),
        analysis_runs=tuple(runs),
        containers=tuple(
            (str(c.get("name", "")), str(c.get("image", "")))
            for c in containers
            if isinstance(c, dict)
        ),
    )
