"""Replica math of the Rollout controller (basic canary, blue-green), as upstream v1.9.1 does it.

Pure functions over small `RSCounts` views of ReplicaSets; the controller loop turns their
answers into RS scale updates. Inputs follow upstream names: R = spec.replicas, W = desired
canary weight in percent (0..100), surge/unavailable = resolved maxSurge/maxUnavailable.
Slightly past 400 lines on purpose: one concept (how many pods each RS gets), kept together.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "AbortScaleAction",
    "RSCounts",
    "abort_scale_down_delay",
    "approximate_canary_split",
    "at_desired_canary_counts",
    "bluegreen_new_rs_replicas",
    "canary_replica_split",
    "desired_canary_weight",
    "max_surge",
    "max_unavailable",
    "new_rs_abort_action",
    "old_rs_scale_down",
    "resolve_fenceposts",
    "rs_counts",
    "scale_down_deadline_after",
    "scaled_value",
]

DEFAULT_MAX_SURGE = "25%"
DEFAULT_MAX_UNAVAILABLE = "25%"
_PERCENT = re.compile(r"\s*(-?[0-9]+)%\Z")


@dataclass(frozen=True)
class RSCounts:
    """What the replica math needs from one ReplicaSet."""

    name: str
    spec: int  # spec.replicas
    available: int = 0  # status.availableReplicas
    replicas: int = 0  # status.replicas
    revision: int = 0  # rollout.argoproj.io/revision


def rs_counts(rs: dict[str, Any]) -> RSCounts:
    """Build RSCounts from a ReplicaSet object (plain dict)."""
    meta = rs.get("metadata") or {}
    status = rs.get("status") or {}
    spec_replicas = (rs.get("spec") or {}).get("replicas")
    revision = (meta.get("annotations") or {}).get("rollout.argoproj.io/revision", "0")
    return RSCounts(
        name=str(meta.get("name", "")),
        spec=1 if spec_replicas is None else int(spec_replicas),
        available=int(status.get("availableReplicas") or 0),
        replicas=int(status.get("replicas") or 0),
        revision=int(revision) if str(revision).isdigit() else 0,
    )


def scaled_value(value: int | str | None, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent: an int as is, "N%" of total rounded up or down.

    A string without "%" is an error upstream; the caller then treats both fenceposts as 0.
    """
    if value is None:
        return 0
    if isinstance(value, bool):
        raise ValueError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    match = _PERCENT.match(value)
    if match is None:
        raise ValueError("invalid value for IntOrString: invalid type: string is not a percentage")
    percent = int(match.group(1))
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(
    surge: int | str | None, unavailable: int | str | None, replicas: int
) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) resolved against replicas; both 0 -> unavailable 1."""
    try:
        resolved_surge = scaled_value(surge, replicas, round_up=True)
        resolved_unavailable = scaled_value(unavailable, replicas, round_up=False)
    except ValueError:
        return 0, 0
    if resolved_surge == 0 and resolved_unavailable == 0:
        resolved_unavailable = 1
    return resolved_surge, resolved_unavailable


def _replicas(rollout: dict[str, Any]) -> int:
    value = (rollout.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def _strategy(rollout: dict[str, Any]) -> dict[str, Any]:
    return (rollout.get("spec") or {}).get("strategy") or {}


def max_surge(rollout: dict[str, Any]) -> int:
    """Resolved canary maxSurge (default 25 %, rounded up); 0 for blue-green."""
    canary = _strategy(rollout).get("canary")
    if canary is None:
        return 0
    return resolve_fenceposts(
        canary.get("maxSurge", DEFAULT_MAX_SURGE),
        canary.get("maxUnavailable", DEFAULT_MAX_UNAVAILABLE),
        _replicas(rollout),
    )[0]


def max_unavailable(rollout: dict[str, Any]) -> int:
    """Resolved maxUnavailable (default 25 %, rounded down), capped at spec.replicas."""
    replicas = _replicas(rollout)
    if replicas == 0:
        return 0
    strategy = _strategy(rollout)
    canary = strategy.get("canary")
    if canary is not None:
        value = resolve_fenceposts(
            canary.get("maxSurge", DEFAULT_MAX_SURGE),
            canary.get("maxUnavailable", DEFAULT_MAX_UNAVAILABLE),
            replicas,
        )[1]
    else:
        raw = (strategy.get("blueGreen") or {}).get("maxUnavailable", DEFAULT_MAX_UNAVAILABLE)
        try:
            value = scaled_value(raw, replicas, round_up=False)
        except ValueError:
            value = 0
    return min(value, replicas)


def desired_canary_weight(rollout: dict[str, Any]) -> int:
    """The canary weight the basic canary aims for now (spec §4.3, no traffic routing).

    100 when there is no stable RS, the rollout is fully promoted or promoteFull is set;
    0 when aborted; else the last setWeight at or before currentStepIndex (100 past the end).
    """
    status = rollout.get("status") or {}
    stable = status.get("stableRS") or ""
    if status.get("promoteFull") or not stable or status.get("currentPodHash") == stable:
        return 100
    if status.get("abort"):
        return 0
    steps = (_strategy(rollout).get("canary") or {}).get("steps") or []
    if not steps:
        return 100
    index = int(status.get("currentStepIndex") or 0)
    if index >= len(steps):
        return 100
    for step in reversed(steps[: index + 1]):
        if step.get("setWeight") is not None:
            return int(step["setWeight"])
    return 0


def _tied(weight: int, max_weight: int, total: int) -> bool:
    exact = total * (weight / max_weight)
    return exact - math.floor(exact) == 0.5


def approximate_canary_split(
    replicas: int, weight: int, surge: int, max_weight: int = 100
) -> tuple[int, int]:
    """(canary, stable) whose canary share is closest to `weight`; may total replicas + 1."""
    if replicas == 0:
        return 0, 0
    exact = replicas * weight / max_weight
    ceil_count, floor_count = math.ceil(exact), math.floor(exact)
    zero_ok = weight in (max_weight, 0) or (replicas == 1 and surge == 0)
    options: list[tuple[int, int]] = []
    if ceil_count < replicas or zero_ok:
        options.append((ceil_count, replicas))
    if not _tied(weight, max_weight, replicas) and (floor_count != 0 or zero_ok):
        options.append((floor_count, replicas))
    if surge > 0:
        options.append((ceil_count, replicas + 1))
        if not _tied(weight, max_weight, replicas + 1) and (floor_count != 0 or zero_ok):
            options.append((floor_count, replicas + 1))
    if not options:
        return 0, replicas
    best = options[0]
    for option in options[1:]:
        if _delta(weight, max_weight, option) < _delta(weight, max_weight, best):
            best = option
    return best[0], best[1] - best[0]


def _delta(weight: int, max_weight: int, option: tuple[int, int]) -> float:
    canary, total = option
    return abs(canary * max_weight / total - weight)


def _for_scale_down(rs: RSCounts | None, ignore_availability: bool) -> int:
    if rs is None:
        return 0
    if rs.spec < rs.available or ignore_availability:
        return rs.spec
    return rs.available


def _adjust_within_limits(
    drain: RSCounts | None,
    adjust: RSCounts | None,
    drain_count: int,
    adjust_count: int,
    max_allowed: int,
    min_available: int,
) -> tuple[int, int]:
    """Trim the RS that keeps availability so the pair fits maxSurge without losing minAvailable."""
    over = max(0, adjust_count + drain_count - max_allowed)
    total_available = min(drain.available, drain_count) if drain is not None else 0
    if adjust is not None:
        adjust_count -= over
        total_available += min(adjust.available, adjust_count)
        extra_available = max(0, adjust.available - adjust_count)
        still_needed = max(0, min_available - total_available)
        adjust_count += min(extra_available, still_needed)
        over = max(0, adjust_count + drain_count - max_allowed)
        drain_count -= over
    return drain_count, adjust_count


def canary_replica_split(
    *,
    replicas: int,
    weight: int,
    surge: int,
    unavailable: int,
    new: RSCounts | None,
    stable: RSCounts | None,
    others: list[RSCounts] | tuple[RSCounts, ...] = (),
    max_weight: int = 100,
) -> tuple[int, int]:
    """Basic-canary targets (new RS replicas, stable RS replicas) for this reconcile pass.

    Mirrors upstream CalculateReplicaCountsForBasicCanary: scale up stable then new within
    maxSurge; while any other RS still has replicas nothing is scaled down; otherwise shrink the
    RS moving away from its share (stable when the canary grows, canary when it shrinks) as far
    as maxUnavailable allows. With no stable RS (or stable == new) the new RS targets replicas.
    """
    desired_new, desired_stable = approximate_canary_split(replicas, weight, surge, max_weight)
    new_count = new.spec if new is not None else 0
    use_stable = stable is not None and (new is None or new.name != stable.name)
    stable_count = stable.spec if use_stable and stable is not None else 0
    if not use_stable:
        desired_new, desired_stable = replicas, 0
    max_allowed = replicas + surge
    counted = list(others) + ([new] if new is not None else [])
    if use_stable and stable is not None:
        counted.append(stable)
    scale_up = max_allowed - sum(rs.spec for rs in counted)
    if use_stable and stable is not None and stable.spec < desired_stable and scale_up > 0:
        if stable.spec + scale_up < desired_stable:
            stable_count = stable.spec + scale_up
            scale_up = 0
        else:
            stable_count = desired_stable
            scale_up -= desired_stable - stable.spec
    if new is not None and new.spec < desired_new and scale_up > 0:
        new_count = min(new.spec + scale_up, desired_new)
    if sum(rs.spec for rs in others) > 0:
        return new_count, stable_count
    min_available = replicas - unavailable
    increasing = new is None or desired_new >= new.spec
    countable = _for_scale_down(new, not increasing) + _for_scale_down(
        stable if use_stable else None, increasing
    )
    if countable <= min_available:
        return new_count, stable_count
    scale_down = countable - min_available
    if not increasing:
        if new is not None and new.spec > desired_new:
            new_count = max(desired_new, new.spec - scale_down)
        new_count, stable_count = _adjust_within_limits(
            new, stable if use_stable else None, new_count, stable_count, max_allowed, min_available
        )
    elif use_stable and stable is not None:
        if stable.spec > desired_stable:
            stable_count = max(desired_stable, stable.spec - scale_down)
        stable_count, new_count = _adjust_within_limits(
            stable, new, stable_count, new_count, max_allowed, min_available
        )
    return new_count, stable_count


def old_rs_scale_down(
    *, replicas: int, unavailable: int, all_rs: list[RSCounts], others: list[RSCounts]
) -> dict[str, int]:
    """New spec.replicas for other (old) RSs of a basic canary: {name: target}, changed only.

    First every old RS drops its unavailable pods; then, newest revision first, old RSs shrink
    within the budget Σ available(all RSs) − (replicas − maxUnavailable).
    """
    targets: dict[str, int] = {}
    for rs in others:
        if rs.spec != 0 and rs.spec > rs.available:
            targets[rs.name] = rs.available
    budget = sum(rs.available for rs in all_rs) - (replicas - unavailable)
    if budget <= 0:
        return targets
    for rs in sorted(others, key=lambda r: r.revision, reverse=True):
        current = targets.get(rs.name, rs.spec)
        if budget <= 0:
            break
        if current == 0:
            continue
        target = current - budget if current > budget else 0
        budget -= current - target
        targets[rs.name] = target
    return targets


def at_desired_canary_counts(
    *,
    replicas: int,
    weight: int,
    surge: int,
    unavailable: int,
    new: RSCounts | None,
    stable: RSCounts | None,
    others: list[RSCounts] | tuple[RSCounts, ...] = (),
) -> bool:
    """Whether a setWeight step of a basic canary is complete (AtDesiredReplicaCountsForCanary).

    The new RS must have spec == available == its target, the stable RS spec == status.replicas
    == its target, and every other RS must have 0 available pods.
    """
    want_new, want_stable = canary_replica_split(
        replicas=replicas,
        weight=weight,
        surge=surge,
        unavailable=unavailable,
        new=new,
        stable=stable,
        others=others,
    )
    if new is None or not (new.spec == want_new == new.available):
        return False
    if stable is None or not (stable.spec == want_stable == stable.replicas):
        return False
    return sum(rs.available for rs in others) == 0


def bluegreen_new_rs_replicas(
    rollout: dict[str, Any], new_hash: str, active_rs: RSCounts | None, new_name: str
) -> int:
    """Desired size of the new RS under blue-green (NewRSNewReplicas with previewReplicaCount)."""
    replicas = _replicas(rollout)
    preview = (_strategy(rollout).get("blueGreen") or {}).get("previewReplicaCount")
    if preview is None:
        return replicas
    status = rollout.get("status") or {}
    if active_rs is None or active_rs.name == new_name or status.get("promoteFull"):
        return replicas
    if new_hash != status.get("currentPodHash"):
        return int(preview)
    not_paused = not (rollout.get("spec") or {}).get("paused") and not status.get("pauseConditions")
    if not_paused and (status.get("blueGreen") or {}).get("scaleUpPreviewCheckPoint"):
        return replicas
    return int(preview)


DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS = 30
RESYNC_SECONDS = 15 * 60


def abort_scale_down_delay(rollout: dict[str, Any]) -> tuple[int | None, bool]:
    """(delay seconds or None for "never", explicitly set?) for the new RS after an abort.

    Blue-green and traffic-routed canaries default to 30 s; an explicit 0 means never scale it
    down; a basic canary has no abort delay at all (its canary goes straight back to 0).
    """
    strategy = _strategy(rollout)
    holder = strategy.get("blueGreen")
    if holder is None:
        canary = strategy.get("canary") or {}
        if canary.get("trafficRouting") is None:
            return 0, False
        holder = canary
    value = holder.get("abortScaleDownDelaySeconds")
    if value is None:
        return DEFAULT_ABORT_SCALE_DOWN_DELAY_SECONDS, False
    return (None if int(value) == 0 else int(value)), True


@dataclass(frozen=True)
class AbortScaleAction:
    """What to do with the new RS of an aborted rollout this pass.

    kind: "scale" (set spec.replicas to `replicas`), "annotate" (add scale-down-deadline =
    now + `delay_seconds`, leave size), "hold" (leave as is; stable not yet fully available),
    "wait" (deadline in the future: requeue after `requeue_seconds`, leave size).
    """

    kind: str
    replicas: int | None = None
    delay_seconds: int | None = None
    requeue_seconds: float | None = None


def new_rs_abort_action(
    rollout: dict[str, Any],
    *,
    normal_target: int,
    has_stable: bool,
    stable_available: int,
    scale_down_deadline: datetime | None,
    now: datetime,
) -> AbortScaleAction:
    """Upstream reconcileNewReplicaSet's abort branch (shouldDelayScaleDownOnAbort + delay).

    `normal_target` is the size the strategy math wants (blue-green: replicas or
    previewReplicaCount; canary: its split). Without a delay it is simply applied.
    """
    status = rollout.get("status") or {}
    strategy = _strategy(rollout)
    canary = strategy.get("canary")
    delay, explicit = abort_scale_down_delay(rollout)
    delayed = (
        bool(status.get("abort"))
        and has_stable
        and not (canary is not None and canary.get("trafficRouting") is None)
        and delay is not None
        and not (canary is not None and canary.get("dynamicStableScale") and not explicit)
    )
    if not delayed:
        return AbortScaleAction("scale", replicas=normal_target)
    if scale_down_deadline is not None:
        if scale_down_deadline > now:
            remaining = (scale_down_deadline - now).total_seconds()
            if remaining < RESYNC_SECONDS:
                return AbortScaleAction("wait", requeue_seconds=remaining)
            return AbortScaleAction("scale", replicas=normal_target)
        return AbortScaleAction("scale", replicas=0)
    if stable_available == _replicas(rollout):
        return AbortScaleAction("annotate", delay_seconds=delay)
    return AbortScaleAction("hold")


def scale_down_deadline_after(now: datetime, seconds: int) -> str:
    """The `scale-down-deadline` annotation value (RFC3339, UTC, seconds precision)."""
    return (now + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
