"""Service selectors the Rollout manages: the `rollouts-pod-template-hash` key plus the
managed-by annotation, switched as upstream does (canary adoption waits for a fully available
RS, a switch needs one available pod; blue-green preview/active rules), and released when a
Service is no longer referenced or the Rollout is gone."""

from __future__ import annotations

from typing import Any

from clusters.embedded.controllers.podutil import controller_of
from clusters.embedded.rollouts.context import SERVICES, RolloutPass
from clusters.embedded.rollouts.events import switch_service
from clusters.embedded.rollouts.replicasets import HASH_LABEL, rs_available, rs_hash, rs_spec
from clusters.embedded.status import ApiError

__all__ = [
    "MANAGED_BY",
    "ensure_service_targets",
    "get_service",
    "referenced_services",
    "release_services",
    "selector_hash",
    "switch_selector",
]

MANAGED_BY = "argo-rollouts.argoproj.io/managed-by-rollouts"


def get_service(p: RolloutPass, name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    try:
        return p.store.get(SERVICES, p.namespace, name)
    except ApiError as error:
        if error.code == 404:
            return None
        raise


def selector_hash(service: dict[str, Any] | None) -> str:
    if service is None:
        return ""
    return str(((service.get("spec") or {}).get("selector") or {}).get(HASH_LABEL, ""))


def switch_selector(p: RolloutPass, service: dict[str, Any], new_hash: str) -> dict[str, Any]:
    """Point a Service at one pod-template hash (adding managed-by the first time)."""
    annotations = service["metadata"].get("annotations") or {}
    selector = (service.get("spec") or {}).get("selector") or {}
    old_hash = str(selector.get(HASH_LABEL, ""))
    if HASH_LABEL in selector and old_hash == new_hash and MANAGED_BY in annotations:
        return service
    service.setdefault("spec", {}).setdefault("selector", {})[HASH_LABEL] = new_hash
    if MANAGED_BY not in annotations:
        service["metadata"].setdefault("annotations", {})[MANAGED_BY] = p.name
    updated: dict[str, Any] = p.store.update(SERVICES, service)
    event = switch_service(service["metadata"]["name"], old_hash, new_hash)
    p.emit(event.type, event.reason, event.message)
    return updated


def ensure_service_targets(p: RolloutPass, name: str | None, rs: dict[str, Any] | None) -> None:
    """Canary stable/canary Service -> `rs`: an unmanaged Service is adopted only once the RS
    is fully available; afterwards one available pod is enough."""
    if rs is None or not name:
        return
    service = get_service(p, name)
    if service is None:
        return
    wanted = rs_hash(rs)
    if selector_hash(service) == wanted:
        return
    managed = MANAGED_BY in (service["metadata"].get("annotations") or {})
    if not managed:
        spec = rs_spec(rs)
        fully = spec != 0 and rs_available(rs) != 0 and spec <= rs_available(rs)
        if not fully:
            return
    if rs_available(rs) <= 0:
        return
    switch_selector(p, service, wanted)


def referenced_services(rollout: dict[str, Any]) -> set[str]:
    strategy = (rollout.get("spec") or {}).get("strategy") or {}
    canary = strategy.get("canary") or {}
    blue_green = strategy.get("blueGreen") or {}
    names = {canary.get("canaryService"), canary.get("stableService")}
    if strategy.get("blueGreen") is not None:
        names = {blue_green.get("activeService"), blue_green.get("previewService")}
    return {name for name in names if name}


def _release(store: Any, service: dict[str, Any]) -> None:
    service["metadata"].get("annotations", {}).pop(MANAGED_BY, None)
    ((service.get("spec") or {}).get("selector") or {}).pop(HASH_LABEL, None)
    try:
        store.update(SERVICES, service)
    except ApiError as error:
        if error.code not in (404, 409):
            raise


def release_services(
    store: Any, namespace: str, rollout_name: str, keep: set[str] | None = None
) -> None:
    """Services managed by this rollout name that it no longer references (all of them when
    `keep` is None: the rollout is gone) lose the hash key and the managed-by annotation."""
    for service in store.list(SERVICES, namespace).items:
        annotations = service["metadata"].get("annotations") or {}
        if annotations.get(MANAGED_BY) != rollout_name:
            continue
        if keep is not None and service["metadata"]["name"] in keep:
            continue
        if controller_of(service) is not None:
            continue
        _release(store, service)
