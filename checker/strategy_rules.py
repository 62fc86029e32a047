"""Manifest rules, part 2: the Rollout strategy (canary steps and services, blue-green)."""

from __future__ import annotations

from typing import Any

from checker.durations import format_seconds, parse_pause_duration
from checker.manifest_rules import find_rollout, show_lines
from checker.manifests import ManifestObject, ManifestSet
from checker.results import Outcome
from checker.rules import RuleInputs, rule

__all__ = ["canary_plan"]

_STEP_KINDS = ("setWeight", "pause", "analysis", "experiment", "setCanaryScale", "plugin")
_PAUSE = {"oneOf": [{"type": "number", "minimum": 0}, {"type": "null"}]}


def canary_plan(rollout: ManifestObject) -> tuple[list[tuple[int, float | str | None]], str]:
    """Steps as (weight, pause) pairs: pause seconds, None (indefinite) or "none" (no pause).

    Returns the pairs and a problem description ("" when the steps are well formed).
    """
    steps = rollout.get("spec", "strategy", "canary", "steps")
    if not isinstance(steps, list) or not steps:
        return [], "the canary has no steps, so an update goes straight to 100%"
    plan: list[tuple[int, float | str | None]] = []
    for i, step in enumerate(steps):
        where = rollout.where("spec", "strategy", "canary", "steps", i)
        if not isinstance(step, dict):
            return plan, f"{where}: step {i + 1} is not a mapping"
        kinds = [k for k in step if k in _STEP_KINDS]
        if len(kinds) != 1:
            return plan, (
                f"{where}: step {i + 1} sets {', '.join(kinds) or 'nothing known'}; each step "
                "has exactly one of setWeight, pause, analysis, ..."
            )
        if "setWeight" in step:
            weight = step["setWeight"]
            if not isinstance(weight, int) or isinstance(weight, bool) or not 0 <= weight <= 100:
                return plan, f"{where}: setWeight {weight!r} is not a whole number 0..100"
            plan.append((weight, "none"))
        elif "pause" in step:
            pause = step["pause"]
            duration = pause.get("duration") if isinstance(pause, dict) else None
            if pause is not None and not isinstance(pause, dict):
                return plan, f"{where}: pause must be a mapping ({{}} or {{duration: ...}})"
            seconds = None if duration is None else parse_pause_duration(duration)
            if duration is not None and (seconds is None or seconds < 0):
                return plan, f"{where}: pause duration {duration!r} is not a valid duration"
            if not plan:
                plan.append((0, seconds))
            elif plan[-1][1] == "none":
                plan[-1] = (plan[-1][0], seconds)
            else:
                return plan, f"{where}: two pauses in a row after setWeight {plan[-1][0]}"
    return plan, ""


def _pause_text(pause: float | str | None) -> str:
    if pause == "none":
        return "no pause"
    if pause is None:
        return "a pause with no duration (waits for a manual promote)"
    return f"a pause of {format_seconds(float(pause))}"


@rule(
    "manifest",
    "canary_steps",
    {
        "rollout": {"type": "string"},
        "weights": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 100}},
        "pauses": {"type": "array", "items": _PAUSE},
        "final_full": {"type": "boolean"},
    },
    required=("weights", "pauses"),
)
def canary_steps(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Canary steps shift the asked weights, each followed by the asked pause.

    `pauses[i]` is seconds or null (indefinite). A final `setWeight: 100` (no pause) is
    accepted unless `final_full` is false; analysis steps between are allowed.
    """
    rollout = find_rollout(inputs, params)
    if isinstance(rollout, Outcome):
        return rollout
    evidence = show_lines(rollout, "spec", "strategy")
    if rollout.get("spec", "strategy", "canary") is None:
        kinds = ", ".join(rollout.get("spec", "strategy") or {}) or "nothing"
        return Outcome.failed(
            f"spec.strategy has {kinds}, not canary", evidence, rollout.where("spec", "strategy")
        )
    plan, problem = canary_plan(rollout)
    steps_where = rollout.where("spec", "strategy", "canary", "steps")
    if problem:
        return Outcome.failed(problem, evidence, steps_where)
    if plan and plan[-1] == (100, "none") and params.get("final_full", True):
        plan = plan[:-1]
    weights = [w for w, _ in plan]
    if weights != list(params["weights"]):
        shown = ", ".join(map(str, [w for w, _ in plan])) or "none"
        return Outcome.failed(
            f"saw setWeight values {shown}; the task asks for a different sequence of weights",
            evidence,
            steps_where,
        )
    for (weight, pause), wanted in zip(plan, params["pauses"], strict=False):
        if wanted is None:
            same = pause is None
        else:
            same = isinstance(pause, float) and abs(pause - float(wanted)) < 1e-6
        if not same:
            return Outcome.failed(
                f"after setWeight {weight} the rollout has {_pause_text(pause)}, not what the "
                "task asks for",
                evidence,
                steps_where,
            )
    shown = "; ".join(f"{w}% then {_pause_text(p)}" for w, p in plan)
    return Outcome.passed(f"steps: {shown}", evidence)


def _service_exists(manifests: ManifestSet, name: str) -> bool:
    return manifests.find("Service", name) is not None


@rule("manifest", "canary_services", {"rollout": {"type": "string"}})
def canary_services(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """canaryService and stableService are set, differ, and are defined as Services."""
    rollout = find_rollout(inputs, params)
    if isinstance(rollout, Outcome):
        return rollout
    manifests = inputs.manifests or ManifestSet()
    canary = rollout.get("spec", "strategy", "canary")
    evidence = show_lines(rollout, "spec", "strategy")
    where = rollout.where("spec", "strategy", "canary")
    if not isinstance(canary, dict):
        return Outcome.failed("the Rollout has no canary strategy", evidence, where)
    stable, preview = canary.get("stableService"), canary.get("canaryService")
    missing = [k for k, v in (("stableService", stable), ("canaryService", preview)) if not v]
    if missing:
        return Outcome.failed(
            f"spec.strategy.canary.{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
            "empty",
            evidence,
            where,
        )
    if stable == preview:
        return Outcome.failed(
            f"stableService and canaryService are both {stable!r}; they must be two Services",
            evidence,
            where,
        )
    undefined = [n for n in (stable, preview) if not _service_exists(manifests, str(n))]
    if undefined:
        return Outcome.failed(
            f"Service {', '.join(map(repr, undefined))} is named by the Rollout but not defined "
            "in the files",
            "grep -n -A3 'kind: Service' *.yaml",
            where,
        )
    return Outcome.passed(f"stable {stable!r} and canary {preview!r} Services wired", evidence)


@rule(
    "manifest",
    "bluegreen_services",
    {"rollout": {"type": "string"}, "auto_promotion": {"type": "boolean"}},
)
def bluegreen_services(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """activeService/previewService set, different and defined; autoPromotionEnabled as asked."""
    rollout = find_rollout(inputs, params)
    if isinstance(rollout, Outcome):
        return rollout
    manifests = inputs.manifests or ManifestSet()
    blue_green = rollout.get("spec", "strategy", "blueGreen")
    evidence = show_lines(rollout, "spec", "strategy")
    where = rollout.where("spec", "strategy")
    if not isinstance(blue_green, dict):
        return Outcome.failed("the Rollout has no blueGreen strategy", evidence, where)
    active, preview = blue_green.get("activeService"), blue_green.get("previewService")
    if not active:
        return Outcome.failed("spec.strategy.blueGreen.activeService is empty", evidence, where)
    if not preview:
        return Outcome.failed(
            "spec.strategy.blueGreen.previewService is empty, so the new version cannot be "
            "checked before it takes traffic",
            evidence,
            where,
        )
    if active == preview:
        return Outcome.failed(f"active and preview are both {active!r}", evidence, where)
    undefined = [n for n in (active, preview) if not _service_exists(manifests, str(n))]
    if undefined:
        return Outcome.failed(
            f"Service {', '.join(map(repr, undefined))} is not defined in the files",
            "grep -n -A3 'kind: Service' *.yaml",
            where,
        )
    if "auto_promotion" in params:
        value = blue_green.get("autoPromotionEnabled", True)
        if value is not params["auto_promotion"]:
            shown = (
                "absent (defaults to true)" if "autoPromotionEnabled" not in blue_green else value
            )
            return Outcome.failed(
                f"autoPromotionEnabled is {shown}; the task asks for the other behaviour",
                evidence,
                where,
            )
    return Outcome.passed(f"active {active!r} and preview {preview!r} Services wired", evidence)
