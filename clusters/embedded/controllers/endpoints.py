"""Endpoints controller: one Endpoints object per Service with a selector, listing the pods it
selects — Ready ones under `addresses`, the rest under `notReadyAddresses` — with named target
ports resolved per pod. Selector changes take effect on the next reconcile (at once)."""

from __future__ import annotations

from typing import Any

from clusters.embedded.controllers.base import Controller, Key, Watched
from clusters.embedded.controllers.podutil import is_ready
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError

__all__ = ["EndpointsController", "endpoints_for"]

SERVICES = find_plural("", "v1", "services")
ENDPOINTS = find_plural("", "v1", "endpoints")
PODS = find_plural("", "v1", "pods")


def _resolve_target_port(port: dict[str, Any], pod: dict[str, Any]) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in pod.get("spec", {}).get("containers") or []:
        for container_port in container.get("ports") or []:
            if container_port.get("name") == target:
                return int(container_port["containerPort"])
    return None


def endpoints_for(service: dict[str, Any], pods: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `subsets` of a Service's Endpoints, grouped by resolved port set as upstream."""
    selector = service.get("spec", {}).get("selector") or {}
    groups: dict[tuple[tuple[str, int, str], ...], dict[str, list[dict[str, Any]]]] = {}
    for pod in pods:
        labels = pod["metadata"].get("labels") or {}
        if any(labels.get(k) != v for k, v in selector.items()):
            continue
        status = pod.get("status") or {}
        if not status.get("podIP") or pod["metadata"].get("deletionTimestamp"):
            continue
        if status.get("phase") in ("Succeeded", "Failed"):
            continue
        ports = []
        for port in service.get("spec", {}).get("ports") or []:
            resolved = _resolve_target_port(port, pod)
            if resolved is None:
                break
            ports.append((port.get("name", ""), resolved, port.get("protocol", "TCP")))
        else:
            address = {
                "ip": status["podIP"],
                "nodeName": pod.get("spec", {}).get("nodeName", ""),
                "targetRef": {
                    "kind": "Pod",
                    "namespace": pod["metadata"]["namespace"],
                    "name": pod["metadata"]["name"],
                    "uid": pod["metadata"]["uid"],
                },
            }
            group = groups.setdefault(tuple(ports), {"addresses": [], "notReadyAddresses": []})
            group["addresses" if is_ready(pod) else "notReadyAddresses"].append(address)
    subsets = []
    for ports, addresses in sorted(groups.items()):
        subset: dict[str, Any] = {}
        for kind in ("addresses", "notReadyAddresses"):
            if addresses[kind]:
                subset[kind] = sorted(addresses[kind], key=lambda a: a["ip"])
        subset["ports"] = [
            {**({"name": name} if name else {}), "port": port, "protocol": protocol}
            for name, port, protocol in ports
        ]
        subsets.append(subset)
    return subsets


def _services_in_namespace(store: Any) -> Any:
    def mapper(pod: dict[str, Any]) -> list[Key]:
        namespace = pod["metadata"].get("namespace", "")
        return [
            Key(namespace, svc["metadata"]["name"])
            for svc in store.list(SERVICES, namespace).items
            if svc.get("spec", {}).get("selector")
        ]

    return mapper


class EndpointsController(Controller):
    name = "endpoint-controller"
    primary = SERVICES

    def __init__(self, store: Any, clock: Any) -> None:
        super().__init__(store, clock)
        self.watched = (Watched(PODS, _services_in_namespace(store)),)

    async def reconcile(self, key: Key) -> float | None:
        try:
            service = self.store.get(SERVICES, key.namespace, key.name)
        except ApiError as error:
            if error.code != 404:
                raise
            try:  # the Service is gone: so are its Endpoints (upstream deletes them too)
                self.store.delete(ENDPOINTS, key.namespace, key.name)
            except ApiError as missing:
                if missing.code != 404:
                    raise
            return None
        if not service.get("spec", {}).get("selector"):
            return None  # selector-less Services keep hand-written Endpoints
        pods = self.store.list(PODS, key.namespace).items
        subsets = endpoints_for(service, pods)
        try:
            current = self.store.get(ENDPOINTS, key.namespace, key.name)
        except ApiError as error:
            if error.code != 404:
                raise
            current = None
        labels = dict(service["metadata"].get("labels") or {})
        if current is None:
            body = {
                "apiVersion": "v1",
                "kind": "Endpoints",
                "metadata": {
                    "name": key.name,
                    "namespace": key.namespace,
                    "labels": labels,
                },
            }
            if subsets:
                body["subsets"] = subsets
            self.store.create(ENDPOINTS, body)
        elif (current.get("subsets") or []) != subsets:
            current["subsets"] = subsets
            if not subsets:
                current.pop("subsets")
            self.store.update(ENDPOINTS, current)
        return None
