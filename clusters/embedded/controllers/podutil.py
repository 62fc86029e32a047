"""Small shared helpers over pod, template and owner dicts used by several controllers."""

from __future__ import annotations

import copy
import json
from typing import Any

__all__ = [
    "controller_of",
    "fnv32a",
    "is_active",
    "is_available",
    "is_ready",
    "label_selector_matches",
    "owner_reference",
    "safe_encode",
    "template_hash",
    "templates_equal_ignoring_hash",
]

_SAFE_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def fnv32a(data: bytes) -> int:
    """FNV-1a 32-bit, the hash Kubernetes and Argo Rollouts use for pod-template-hash."""
    value = 0x811C9DC5
    for byte in data:
        value ^= byte
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value


def safe_encode(text: str) -> str:
    """apimachinery's SafeEncodeString: digits mapped to consonants-and-digits, no vowels."""
    return "".join(_SAFE_CHARS[ord(char) % len(_SAFE_CHARS)] for char in text)


def template_hash(template: dict[str, Any], collision_count: int | None = None) -> str:
    """A pod-template-hash in the upstream format (values differ: Go's JSON is not ours)."""
    clean = strip_hash_label(template)
    data = json.dumps(clean, sort_keys=True, separators=(",", ":")).encode()
    if collision_count:
        data += str(collision_count).encode()
    return safe_encode(str(fnv32a(data)))


def strip_hash_label(template: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    """The template without the pod-template-hash labels the controllers inject."""
    clean = copy.deepcopy(template)
    labels = clean.get("metadata", {}).get("labels")
    if labels:
        for key in (label,) if label else ("pod-template-hash", "rollouts-pod-template-hash"):
            labels.pop(key, None)
        if not labels:
            clean["metadata"].pop("labels")
    if clean.get("metadata") == {}:
        clean.pop("metadata")
    return clean


def templates_equal_ignoring_hash(left: dict[str, Any], right: dict[str, Any]) -> bool:
    return strip_hash_label(left) == strip_hash_label(right)


def owner_reference(owner: dict[str, Any]) -> dict[str, Any]:
    """The controller ownerReference a workload controller puts on what it creates."""
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def controller_of(obj: dict[str, Any]) -> dict[str, Any] | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def label_selector_matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Match a LabelSelector object (matchLabels + matchExpressions) against labels."""
    if not selector:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator = expression.get("key"), expression.get("operator")
        values = expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def is_active(pod: dict[str, Any]) -> bool:
    """Counts toward a ReplicaSet: not terminating and not finished."""
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return False
    return pod.get("status", {}).get("phase") not in ("Succeeded", "Failed")


def _ready_condition(pod: dict[str, Any]) -> dict[str, Any] | None:
    for condition in pod.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return condition
    return None


def is_ready(pod: dict[str, Any]) -> bool:
    condition = _ready_condition(pod)
    return bool(condition and condition.get("status") == "True")


def is_available(pod: dict[str, Any], min_ready_seconds: int, clock: Any) -> bool:
    """Available = ready for at least minReadySeconds of cluster time (time-warped)."""
    condition = _ready_condition(pod)
    if not condition or condition.get("status") != "True":
        return False
    if min_ready_seconds <= 0:
        return True
    since = condition.get("lastTransitionTime")
    return bool(since) and clock.elapsed_since(since) >= min_ready_seconds
