"""The exact request bodies `kubectl argo rollouts` v1.9.1 sends, computed from objects (pure).

Kept apart from the I/O so each rule (which promote patch, which revision `undo` picks,
which containers `set image` touches) is testable on plain dicts.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from clusters.rollouts_client.errors import InvalidArguments

__all__ = [
    "HASH_LABEL",
    "REVISION_ANNOTATION",
    "PromotePatches",
    "canary_steps",
    "check_skip_flags",
    "current_step_index",
    "deep_derivative",
    "label_selector_string",
    "parse_duration",
    "promote_patches",
    "restart_body",
    "revision_of",
    "select_undo_replicaset",
    "undo_patch",
    "with_image",
]

HASH_LABEL = "rollouts-pod-template-hash"
REVISION_ANNOTATION = "rollout.argoproj.io/revision"
_GO_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str, *, bare_seconds: bool = False) -> float:
    """Seconds of a Go duration (`90s`, `1m30s`, `500ms`); `bare_seconds` also takes `30`."""
    value = text.strip()
    if bare_seconds and re.fullmatch(r"\d+", value):
        return float(value)
    sign = -1.0 if value.startswith("-") else 1.0
    body = value.lstrip("+-")
    if body == "0":
        return 0.0
    position, total = 0, 0.0
    for match in _GO_DURATION.finditer(body):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if not body or position != len(body):
        raise InvalidArguments(f'time: invalid duration "{text}"')
    return sign * total


def canary_steps(rollout: dict[str, Any]) -> list[Any] | None:
    """The canary steps, or None for a blue-green rollout."""
    canary = (rollout.get("spec") or {}).get("strategy", {}).get("canary")
    if canary is None:
        return None
    return list(canary.get("steps") or [])


def current_step_index(rollout: dict[str, Any]) -> int | None:
    """Upstream's current step index: None without steps, else the status value or 0."""
    steps = canary_steps(rollout)
    if not steps:
        return None
    index = (rollout.get("status") or {}).get("currentStepIndex")
    return int(index) if isinstance(index, int) else 0


def _next_step_index(rollout: dict[str, Any]) -> int | None:
    index = current_step_index(rollout)
    if index is None:
        return None
    steps = canary_steps(rollout) or []
    return index + 1 if index < len(steps) else index


@dataclass(frozen=True)
class PromotePatches:
    """Merge patches of one promote: spec (main resource), status (`/status`) and the
    combined one sent to the main resource when the status subresource is missing."""

    spec: dict[str, Any] | None
    status: dict[str, Any] | None
    unified: dict[str, Any] | None


def check_skip_flags(skip_current_step: bool, skip_all_steps: bool) -> None:
    """The two deprecated skip flags exclude each other (checked before any request)."""
    if skip_current_step and skip_all_steps:
        raise InvalidArguments(
            "Cannot use skip-current-step and skip-all-steps flags at the same time"
        )


def _skip_patches(rollout: dict[str, Any], *, current: bool) -> PromotePatches:
    """The deprecated --skip-current-step / --skip-all-steps: only the step index moves."""
    steps = canary_steps(rollout)
    if steps is None:
        raise InvalidArguments("Cannot skip steps of a bluegreen rollout. Run without a flags")
    if not steps:
        raise InvalidArguments("Cannot skip steps of a rollout without steps")
    index = _next_step_index(rollout) if current else len(steps)
    body = {"status": {"currentStepIndex": index}}
    return PromotePatches(spec=None, status=body, unified=body)


def promote_patches(
    rollout: dict[str, Any],
    *,
    full: bool = False,
    skip_current_step: bool = False,
    skip_all_steps: bool = False,
) -> PromotePatches:
    """Choose promote's patches the way the plugin does (first matching rule wins)."""
    check_skip_flags(skip_current_step, skip_all_steps)
    if skip_current_step or skip_all_steps:
        return _skip_patches(rollout, current=skip_current_step)
    spec = rollout.get("spec") or {}
    status = rollout.get("status") or {}
    paused = bool(spec.get("paused"))
    unpause = {"spec": {"paused": False}} if paused else None
    if full:
        needs_full = status.get("currentPodHash", "") != status.get("stableRS", "")
        return PromotePatches(
            spec=unpause,
            status={"status": {"promoteFull": True}} if needs_full else None,
            unified={"spec": {"paused": False}, "status": {"promoteFull": True}},
        )
    unified: dict[str, Any] = {"spec": {"paused": False}, "status": {"pauseConditions": None}}
    pause_conditions = status.get("pauseConditions") or []
    is_canary = canary_steps(rollout) is not None
    step_run = (status.get("canary") or {}).get("currentStepAnalysisRunStatus") or {}
    inconclusive = is_canary and step_run.get("status") == "Inconclusive"
    if inconclusive and pause_conditions and status.get("controllerPause"):
        index = _next_step_index(rollout)
        if index is None:
            return PromotePatches(unpause, None, unified)
        body = {"pauseConditions": None, "controllerPause": False, "currentStepIndex": index}
        return PromotePatches(unpause, {"status": body}, unified)
    if pause_conditions:
        return PromotePatches(unpause, {"status": {"pauseConditions": None}}, unified)
    if is_canary:
        index = _next_step_index(rollout)
        if index is not None:
            body = {"pauseConditions": None, "currentStepIndex": index}
            unified = {"spec": {"paused": False}, "status": dict(body)}
            return PromotePatches(unpause, {"status": body}, unified)
    return PromotePatches(unpause, None, unified)


def restart_body(now: datetime, delay_seconds: float = 0.0) -> dict[str, Any]:
    """`{"spec":{"restartAt": <UTC RFC 3339, whole seconds>}}`."""
    moment = now.astimezone(UTC) + timedelta(seconds=delay_seconds)
    return {"spec": {"restartAt": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}}


def with_image(obj: dict[str, Any], container: str, image: str) -> dict[str, Any]:
    """A copy of `obj` whose containers named `container` (`*` = all) run `image`."""
    changed = copy.deepcopy(obj)
    pod_spec = ((changed.get("spec") or {}).get("template") or {}).get("spec") or {}
    found = False
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for entry in pod_spec.get(field) or []:
            if isinstance(entry, dict) and (container == "*" or entry.get("name") == container):
                entry["image"] = image
                found = True
    if not found:
        raise InvalidArguments(f'unable to find container named "{container}"')
    return changed


def label_selector_string(selector: dict[str, Any]) -> str:
    """A LabelSelector (matchLabels + matchExpressions) as a `labelSelector` query string."""
    parts = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key", ""), expression.get("operator", "")
        values = ",".join(sorted(expression.get("values") or []))
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)


def revision_of(obj: dict[str, Any]) -> int | None:
    """The `rollout.argoproj.io/revision` number; 0 when absent, None when unreadable."""
    value = ((obj.get("metadata") or {}).get("annotations") or {}).get(REVISION_ANNOTATION)
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        return None


def _controlled_by(obj: dict[str, Any], owner_uid: str) -> bool:
    return any(
        ref.get("controller") and ref.get("uid") == owner_uid
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []
    )


def select_undo_replicaset(
    rollout: dict[str, Any], replicasets: list[dict[str, Any]], to_revision: int
) -> dict[str, Any]:
    """The RS `undo` restores: exactly `to_revision`, or (0) the second-highest revision."""
    owner_uid = (rollout.get("metadata") or {}).get("uid", "")
    owned = [rs for rs in replicasets if _controlled_by(rs, owner_uid)]
    latest: tuple[int, dict[str, Any]] | None = None
    previous: tuple[int, dict[str, Any]] | None = None
    for rs in owned:
        number = revision_of(rs)
        if number is None:
            continue
        if to_revision > 0:
            if number == to_revision:
                return rs
            continue
        if latest is None or number > latest[0]:
            previous, latest = latest, (number, rs)
        elif previous is None or number > previous[0]:
            previous = (number, rs)
    if to_revision > 0:
        raise InvalidArguments(f"unable to find specified revision {to_revision} in history")
    if previous is None:
        name = (rollout.get("metadata") or {}).get("name", "")
        raise InvalidArguments(f'no revision found for rollout "{name}"')
    return previous[1]


def deep_derivative(partial: Any, full: Any) -> bool:
    """apimachinery's semantic DeepDerivative on JSON values: unset/empty values in
    `partial` match anything; lists may be a prefix; everything else must be equal."""
    if partial is None:
        return True
    if isinstance(partial, dict):
        if not partial:
            return True
        if not isinstance(full, dict):
            return False
        return all(key in full and deep_derivative(v, full[key]) for key, v in partial.items())
    if isinstance(partial, list):
        if not partial:
            return True
        if not isinstance(full, list) or len(partial) > len(full):
            return False
        return all(deep_derivative(a, b) for a, b in zip(partial, full, strict=False))
    if isinstance(partial, str):
        return partial == "" or partial == full
    if isinstance(partial, bool) or isinstance(full, bool):
        return partial is full
    return bool(partial == full)


def _without_hash(template: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(template)
    labels = (stripped.get("metadata") or {}).get("labels")
    if isinstance(labels, dict):
        labels.pop(HASH_LABEL, None)
    return stripped


def undo_patch(rollout_template: dict[str, Any], rs: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The JSON patch restoring the RS's template, or None when the rollout already has it."""
    rs_template = _without_hash(((rs.get("spec") or {}).get("template")) or {})
    if deep_derivative(_without_hash(rollout_template), rs_template):
        return None
    return [{"op": "replace", "path": "/spec/template", "value": rs_template}]
