"""Facts derived from a pod spec that both the API server and the kubelet report."""

from __future__ import annotations

from typing import Any

__all__ = ["qos_class"]


def qos_class(spec: dict[str, Any]) -> str:
    """Guaranteed, Burstable or BestEffort from the containers' requests and limits."""
    resources = [c.get("resources") or {} for c in spec.get("containers") or []]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        for name in ("cpu", "memory"):
            if name not in limits or requests.get(name, limits[name]) != limits[name]:
                return "Burstable"
    return "Guaranteed"
