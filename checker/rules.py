"""The rule registry: every rule is a small pure function registered with its family and params.

Families say what a rule reads: `manifest` (the learner's files), `state` (a cluster snapshot),
`timeline` (recorded changes, plus the snapshot when present). A rubric names rules as
`<family>.<name>`; each rule declares a JSON schema for its params so a rubric typo is caught
when the rubric loads, with the line, not when a learner runs the check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from checker.manifests import ManifestSet
from checker.results import Outcome
from checker.snapshot import Snapshot
from checker.timeline import Timeline

__all__ = ["FAMILIES", "RULES", "RuleInputs", "RuleSpec", "rule"]

FAMILIES = ("manifest", "state", "timeline")


@dataclass
class RuleInputs:
    """What rules may read; any of them may be absent (None)."""

    manifests: ManifestSet | None = None
    snapshot: Snapshot | None = None
    timeline: Timeline | None = None
    namespace: str = ""


RuleFn = Callable[[RuleInputs, dict[str, Any]], Outcome]


@dataclass(frozen=True)
class RuleSpec:
    """A registered rule: its qualified name, family, function and params schema."""

    name: str
    family: str
    fn: RuleFn
    params: dict[str, Any]

    @property
    def summary(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0] if self.fn.__doc__ else ""


RULES: dict[str, RuleSpec] = {}


def rule(
    family: str, name: str, properties: dict[str, Any] | None = None, required: tuple[str, ...] = ()
) -> Callable[[RuleFn], RuleFn]:
    """Register `fn` as `<family>.<name>` with a params schema built from `properties`."""
    if family not in FAMILIES:
        raise ValueError(f"unknown rule family {family!r}")

    def register(fn: RuleFn) -> RuleFn:
        qualified = f"{family}.{name}"
        schema = {
            "type": "object",
            "properties": properties or {},
            "required": list(required),
            "additionalProperties": False,
        }
        RULES[qualified] = RuleSpec(qualified, family, fn, schema)
        return fn

    return register


STRING = {"type": "string", "minLength": 1}
NUMBER = {"type": "number"}
INTEGER = {"type": "integer"}
STRINGS = {"type": "array", "items": STRING}
