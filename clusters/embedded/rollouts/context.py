"""One reconcile pass over one Rollout: the objects it read, the status it builds from scratch,
the pause/abort intentions collected on the way (upstream's pauseContext) and the requeue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters.embedded.clock import Clock
from clusters.embedded.events import EventRecorder
from clusters.embedded.resources import ResourceType, find_plural

__all__ = [
    "ANALYSISRUNS",
    "ANALYSISTEMPLATES",
    "CLUSTERANALYSISTEMPLATES",
    "PODS",
    "REPLICASETS",
    "ROLLOUTS",
    "SERVICES",
    "RolloutPass",
    "replicas_of",
    "steps_of",
    "strategy_of",
]


def _served(group: str, version: str, plural: str) -> ResourceType:
    found = find_plural(group, version, plural)
    if found is None:
        raise LookupError(f"{plural}.{group}/{version} is not a served resource")
    return found


ROLLOUTS = _served("argoproj.io", "v1alpha1", "rollouts")
ANALYSISRUNS = _served("argoproj.io", "v1alpha1", "analysisruns")
ANALYSISTEMPLATES = _served("argoproj.io", "v1alpha1", "analysistemplates")
CLUSTERANALYSISTEMPLATES = _served("argoproj.io", "v1alpha1", "clusteranalysistemplates")
REPLICASETS = _served("apps", "v1", "replicasets")
SERVICES = _served("", "v1", "services")
PODS = _served("", "v1", "pods")


def strategy_of(rollout: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """("canary"|"blueGreen", its settings); canary when neither is set (invalid anyway)."""
    strategy = (rollout.get("spec") or {}).get("strategy") or {}
    if strategy.get("blueGreen") is not None:
        return "blueGreen", strategy.get("blueGreen") or {}
    return "canary", strategy.get("canary") or {}


def steps_of(rollout: dict[str, Any]) -> list[dict[str, Any]]:
    kind, settings = strategy_of(rollout)
    return list(settings.get("steps") or []) if kind == "canary" else []


def replicas_of(rollout: dict[str, Any]) -> int:
    value = (rollout.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


@dataclass
class RolloutPass:
    """State of one pass. `rollout` is the object as last read or written by this pass;
    `new_status` is built from scratch and persisted (as a diff) at the end."""

    store: Any
    clock: Clock
    recorder: EventRecorder
    rollout: dict[str, Any]
    all_rs: list[dict[str, Any]] = field(default_factory=list)
    new_rs: dict[str, Any] | None = None
    stable_rs: dict[str, Any] | None = None
    older_rs: list[dict[str, Any]] = field(default_factory=list)
    other_rs: list[dict[str, Any]] = field(default_factory=list)
    current_ars: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    other_ars: list[dict[str, Any]] = field(default_factory=list)
    new_status: dict[str, Any] = field(default_factory=dict)
    requeue: float | None = None
    # The new RS carried scale-down-deadline when the pass began: a rollback to an RS that is
    # still waiting to scale down (upstream reads its stale RS object all pass long).
    new_rs_was_delayed: bool = False
    # pauseContext: what this pass wants to do with pause conditions and the abort flag
    add_pause_reasons: list[str] = field(default_factory=list)
    remove_pause_reasons: list[str] = field(default_factory=list)
    clear_pauses: bool = False
    add_abort: bool = False
    remove_abort: bool = False
    abort_message: str = ""

    def __post_init__(self) -> None:
        old = self.status
        self.new_status = {"canary": {}, "blueGreen": {}}
        if old.get("restartedAt"):
            self.new_status["restartedAt"] = old["restartedAt"]

    @property
    def status(self) -> dict[str, Any]:
        """The status as the pass found it (upstream's c.rollout.Status)."""
        return self.rollout.get("status") or {}

    @property
    def namespace(self) -> str:
        return str(self.rollout["metadata"]["namespace"])

    @property
    def name(self) -> str:
        return str(self.rollout["metadata"]["name"])

    @property
    def spec(self) -> dict[str, Any]:
        return self.rollout.get("spec") or {}

    @property
    def replicas(self) -> int:
        return replicas_of(self.rollout)

    @property
    def strategy(self) -> str:
        return strategy_of(self.rollout)[0]

    @property
    def settings(self) -> dict[str, Any]:
        return strategy_of(self.rollout)[1]

    @property
    def steps(self) -> list[dict[str, Any]]:
        return steps_of(self.rollout)

    @property
    def basic_canary(self) -> bool:
        return self.strategy == "canary" and self.settings.get("trafficRouting") is None

    @property
    def revision(self) -> str:
        annotations = self.rollout["metadata"].get("annotations") or {}
        return str(annotations.get("rollout.argoproj.io/revision", ""))

    def emit(self, type_: str, reason: str, message: str) -> None:
        self.recorder.emit(self.rollout, type_, reason, message)

    def requeue_after(self, cluster_seconds: float) -> None:
        """Ask for another pass after a cluster duration (the earliest request wins)."""
        seconds = max(0.05, cluster_seconds)
        self.requeue = seconds if self.requeue is None else min(self.requeue, seconds)

    def stamp(self) -> str:
        return self.clock.stamp()
