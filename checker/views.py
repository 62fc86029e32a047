"""Small typed views over Rollout / AnalysisRun dicts, so rules read `view.phase`, not dict soup."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AnalysisRunView", "RolloutView", "dig", "template_images"]

HASH_LABEL = "rollouts-pod-template-hash"


def dig(obj: Any, *path: str | int) -> Any:
    """The value at `path` inside nested dicts/lists, or None."""
    node = obj
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                return None
            node = node[step]
        elif isinstance(node, dict):
            node = node.get(step)
        else:
            return None
    return node


def template_images(obj: Any) -> list[str]:
    """Images of the containers in `spec.template` of a Rollout/ReplicaSet/Deployment."""
    containers = dig(obj, "spec", "template", "spec", "containers")
    if not isinstance(containers, list):
        return []
    return [str(c.get("image") or "") for c in containers if isinstance(c, dict)]


@dataclass(frozen=True)
class RolloutView:
    """Read-only view of a Rollout object (live or recorded), status names as the controller."""

    obj: dict[str, Any]

    @property
    def name(self) -> str:
        return str(dig(self.obj, "metadata", "name") or "")

    @property
    def status(self) -> dict[str, Any]:
        status = self.obj.get("status")
        return status if isinstance(status, dict) else {}

    @property
    def phase(self) -> str:
        return str(self.status.get("phase") or "")

    @property
    def message(self) -> str:
        return str(self.status.get("message") or "")

    @property
    def aborted(self) -> bool:
        return self.status.get("abort") is True

    @property
    def stable_rs(self) -> str:
        return str(self.status.get("stableRS") or "")

    @property
    def current_pod_hash(self) -> str:
        return str(self.status.get("currentPodHash") or "")

    @property
    def fully_promoted(self) -> bool:
        return bool(self.stable_rs) and self.stable_rs == self.current_pod_hash

    @property
    def step_index(self) -> int | None:
        value = self.status.get("currentStepIndex")
        return value if isinstance(value, int) else None

    @property
    def images(self) -> list[str]:
        return template_images(self.obj)

    @property
    def revision(self) -> str:
        return str(dig(self.obj, "metadata", "annotations", "rollout.argoproj.io/revision") or "")

    @property
    def pause_reasons(self) -> list[str]:
        conditions = self.status.get("pauseConditions")
        if not isinstance(conditions, list):
            return []
        return [str(c.get("reason")) for c in conditions if isinstance(c, dict)]

    def condition(self, kind: str) -> dict[str, Any]:
        for condition in self.status.get("conditions") or []:
            if isinstance(condition, dict) and condition.get("type") == kind:
                return condition
        return {}

    @property
    def observed_current(self) -> bool:
        """True when the controller has seen the latest spec (observedGeneration is a string)."""
        generation = dig(self.obj, "metadata", "generation")
        observed = self.status.get("observedGeneration")
        if generation is None or observed is None:
            return observed is not None or generation is None
        return str(observed) == str(generation)

    def summary(self) -> str:
        parts = [f"phase {self.phase or '(none)'}"]
        if self.message:
            parts.append(f"message {self.message!r}")
        if self.images:
            parts.append("image " + ", ".join(self.images))
        if self.step_index is not None:
            parts.append(f"step index {self.step_index}")
        if self.aborted:
            parts.append("abort flag set")
        return "; ".join(parts)


@dataclass(frozen=True)
class AnalysisRunView:
    """Read-only view of an AnalysisRun."""

    obj: dict[str, Any]

    @property
    def name(self) -> str:
        return str(dig(self.obj, "metadata", "name") or "")

    @property
    def phase(self) -> str:
        return str(dig(self.obj, "status", "phase") or "")

    @property
    def message(self) -> str:
        return str(dig(self.obj, "status", "message") or "")

    @property
    def pod_hash(self) -> str:
        return str(dig(self.obj, "metadata", "labels", HASH_LABEL) or "")

    @property
    def rollout(self) -> str:
        for owner in dig(self.obj, "metadata", "ownerReferences") or []:
            if isinstance(owner, dict) and owner.get("kind") == "Rollout":
                return str(owner.get("name") or "")
        return ""
