"""Schema validation of one manifest, shared with the embedded API server when it is present.

The embedded cluster's `clusters.embedded.validation.validate_manifest` is the source of truth,
so the checker and `kubectl apply` say the same thing. Until it is importable, a small built-in
subset runs instead (required identity fields and integer types) and says so.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["SchemaCause", "validate_object", "validator_name"]

_Validator = Callable[[dict[str, Any]], list[dict[str, Any]]]


@dataclass(frozen=True)
class SchemaCause:
    """One validation finding: dotted field path (may be empty) and message."""

    field: str
    message: str


def _embedded() -> _Validator | None:
    try:
        module = importlib.import_module("clusters.embedded.validation")
    except ImportError:
        return None
    validator = getattr(module, "validate_manifest", None)
    return validator if callable(validator) else None


_EMBEDDED = _embedded()


def validator_name() -> str:
    """`embedded` when the API server's validator is used, else `builtin-subset`."""
    return "embedded" if _EMBEDDED is not None else "builtin-subset"


def _type_error(path: str, value: Any, wanted: str) -> SchemaCause:
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    type_name = "string" if isinstance(value, str) else type(value).__name__
    return SchemaCause(
        path, f'Invalid value: "{type_name}": {path} in body must be of type {wanted}: {shown}'
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _builtin(obj: dict[str, Any]) -> list[SchemaCause]:
    causes: list[SchemaCause] = []
    for key in ("apiVersion", "kind"):
        if not isinstance(obj.get(key), str) or not obj.get(key):
            causes.append(SchemaCause(key, "Required value"))
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("name"):
        causes.append(SchemaCause("metadata.name", "Required value"))
    spec = obj.get("spec")
    if obj.get("kind") in (
        "Rollout",
        "Service",
        "AnalysisTemplate",
        "Deployment",
    ) and not isinstance(spec, dict):
        causes.append(SchemaCause("spec", "Required value"))
        return causes
    if obj.get("kind") == "Rollout" and isinstance(spec, dict):
        if "replicas" in spec and not _is_int(spec["replicas"]):
            causes.append(_type_error("spec.replicas", spec["replicas"], "integer"))
        canary = (
            (spec.get("strategy") or {}).get("canary")
            if isinstance(spec.get("strategy"), dict)
            else None
        )
        steps = canary.get("steps") if isinstance(canary, dict) else None
        for i, step in enumerate(steps if isinstance(steps, list) else []):
            if isinstance(step, dict) and "setWeight" in step and not _is_int(step["setWeight"]):
                path = f"spec.strategy.canary.steps[{i}].setWeight"
                causes.append(_type_error(path, step["setWeight"], "integer"))
    if obj.get("kind") == "AnalysisTemplate" and isinstance(spec, dict):
        metrics = spec.get("metrics")
        for i, metric in enumerate(metrics if isinstance(metrics, list) else []):
            if not isinstance(metric, dict):
                continue
            for key in ("name", "provider"):
                if key not in metric:
                    causes.append(SchemaCause(f"spec.metrics[{i}].{key}", "Required value"))
            for key in ("interval", "successCondition", "failureCondition"):
                if key in metric and not isinstance(metric[key], str):
                    path = f"spec.metrics[{i}].{key}"
                    causes.append(_type_error(path, metric[key], "string"))
    return causes


def _cause_of(raw: Any) -> SchemaCause:
    if isinstance(raw, dict):
        return SchemaCause(str(raw.get("field") or ""), str(raw.get("message") or raw))
    return SchemaCause("", str(raw))


def validate_object(obj: dict[str, Any]) -> list[SchemaCause]:
    """Validation causes for one object; an empty list means the API server would accept it."""
    if _EMBEDDED is None:
        return _builtin(obj)
    try:
        return [_cause_of(raw) for raw in _EMBEDDED(obj)]
    except Exception as error:  # the validator must never take the checker down
        return [SchemaCause("", f"validator failed on this object: {type(error).__name__}")]
