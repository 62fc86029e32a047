"""Service address allocation: cluster IPs from 10.96.0.0/12 and node ports 30000-32767.

The store knows nothing about Services, so the HTTP layer allocates before storing. Allocation
reads the Services already stored (the source of truth), which keeps it correct across restarts
without a second persisted table; callers hold `ALLOCATION_LOCK` around allocate + store.
"""

from __future__ import annotations

import ipaddress
import random
import threading
from typing import Any

from clusters.embedded.resources import ResourceType
from clusters.embedded.status import ApiError, invalid, status_body

__all__ = [
    "ALLOCATION_LOCK",
    "NODE_PORT_RANGE",
    "SERVICE_CIDR",
    "allocate_service",
]

SERVICE_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORT_RANGE = (30000, 32767)
ALLOCATION_LOCK = threading.RLock()
# 10.96.0.1 is the `kubernetes` service address and .10 the DNS service on real clusters.
_RESERVED = {ipaddress.ip_address("10.96.0.1"), ipaddress.ip_address("10.96.0.10")}
_NODE_PORT_TYPES = ("NodePort", "LoadBalancer")


def _used(others: list[dict[str, Any]], skip_uid: str | None) -> tuple[set[str], set[int]]:
    ips: set[str] = set()
    ports: set[int] = set()
    for service in others:
        if skip_uid and service.get("metadata", {}).get("uid") == skip_uid:
            continue
        spec = service.get("spec") or {}
        for ip in [spec.get("clusterIP"), *(spec.get("clusterIPs") or [])]:
            if isinstance(ip, str) and ip and ip != "None":
                ips.add(ip)
        for port in spec.get("ports") or []:
            if isinstance(port, dict) and isinstance(port.get("nodePort"), int):
                ports.add(port["nodePort"])
    return ips, ports


def _error(rt: ResourceType, name: str, field: str, value: Any, detail: str) -> ApiError:
    rendered = f'"{value}"' if isinstance(value, str) else str(value)
    return invalid(
        rt,
        name,
        [
            {
                "reason": "FieldValueInvalid",
                "message": f"Invalid value: {rendered}: {detail}",
                "field": field,
            }
        ],
    )


def _pick_ip(used: set[str]) -> str:
    size = SERVICE_CIDR.num_addresses
    for _ in range(1000):
        candidate = SERVICE_CIDR.network_address + random.randrange(2, size - 1)
        if candidate not in _RESERVED and str(candidate) not in used:
            return str(candidate)
    for candidate in SERVICE_CIDR.hosts():
        if candidate not in _RESERVED and str(candidate) not in used:
            return str(candidate)
    raise ApiError(status_body(500, "InternalError", "the service IP range is full"))


def _cluster_ip(
    rt: ResourceType,
    name: str,
    spec: dict[str, Any],
    old_spec: dict[str, Any] | None,
    used_ips: set[str],
) -> None:
    old_ip = (old_spec or {}).get("clusterIP")
    requested = spec.get("clusterIP")
    if old_ip:
        if requested not in (None, "", old_ip):
            raise _error(rt, name, "spec.clusterIP", requested, "field is immutable")
        spec["clusterIP"] = old_ip
    elif spec.get("type") == "ExternalName":
        return
    elif requested in (None, ""):
        spec["clusterIP"] = _pick_ip(used_ips)
    elif requested != "None":
        try:
            address = ipaddress.ip_address(requested)
        except ValueError:
            raise _error(
                rt, name, "spec.clusterIP", requested, "must be a valid IP address"
            ) from None
        if address not in SERVICE_CIDR:
            raise _error(
                rt,
                name,
                "spec.clusterIP",
                requested,
                f"provided IP is not in the valid range. The range of valid IPs is {SERVICE_CIDR}",
            )
        if requested in used_ips:
            raise _error(rt, name, "spec.clusterIP", requested, "provided IP is already allocated")
    spec["clusterIPs"] = [spec["clusterIP"]]


def _node_ports(
    rt: ResourceType,
    name: str,
    spec: dict[str, Any],
    old_spec: dict[str, Any] | None,
    used_ports: set[int],
) -> None:
    old_by_port = {
        p.get("port"): p.get("nodePort")
        for p in (old_spec or {}).get("ports") or []
        if isinstance(p, dict)
    }
    low, high = NODE_PORT_RANGE
    for index, port in enumerate(spec.get("ports") or []):
        if not isinstance(port, dict):
            continue
        field = f"spec.ports[{index}].nodePort"
        requested = port.get("nodePort")
        if requested in (None, 0):
            kept = old_by_port.get(port.get("port"))
            if isinstance(kept, int) and kept not in used_ports:
                port["nodePort"] = kept
                used_ports.add(kept)
                continue
            free = [p for p in range(low, high + 1) if p not in used_ports]
            if not free:
                raise _error(rt, name, field, 0, "range is full")
            port["nodePort"] = random.choice(free)
            used_ports.add(port["nodePort"])
            continue
        if not isinstance(requested, int) or isinstance(requested, bool):
            raise _error(rt, name, field, requested, "must be an integer")
        if not low <= requested <= high:
            raise _error(
                rt,
                name,
                field,
                requested,
                f"provided port is not in the valid range. The range of valid ports is "
                f"{low}-{high}",
            )
        if requested in used_ports:
            raise _error(rt, name, field, requested, "provided port is already allocated")
        used_ports.add(requested)


def allocate_service(
    rt: ResourceType,
    service: dict[str, Any],
    existing: list[dict[str, Any]],
    old: dict[str, Any] | None = None,
) -> None:
    """Fill `spec.clusterIP(s)` and node ports in place; 422 on collisions or bad values.

    `existing` is every stored Service; `old` the stored version when updating.
    """
    spec = service.get("spec")
    if not isinstance(spec, dict):
        return
    name = str(service.get("metadata", {}).get("name", ""))
    skip_uid = (old or {}).get("metadata", {}).get("uid")
    used_ips, used_ports = _used(existing, skip_uid)
    old_spec = (old or {}).get("spec")
    _cluster_ip(rt, name, spec, old_spec, used_ips)
    if spec.get("type") in _NODE_PORT_TYPES:
        _node_ports(rt, name, spec, old_spec, used_ports)
    else:
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.pop("nodePort", None)
