"""Service address allocation: unique cluster IPs in 10.96.0.0/12, node ports 30000-32767."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from clusters.embedded.allocators import SERVICE_CIDR, allocate_service
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError

SERVICES = find_plural("", "v1", "services")
assert SERVICES is not None


def _svc(name: str, uid: str = "", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "uid": uid or f"uid-{name}"},
        "spec": {"ports": [{"port": 80}], **spec},
    }


def _message(action: Any) -> str:
    with pytest.raises(ApiError) as failure:
        action()
    assert failure.value.code == 422
    return str(failure.value.status["message"])


def test_cluster_ips_are_unique_and_in_range() -> None:
    existing: list[dict[str, Any]] = []
    for index in range(50):
        service = _svc(f"s{index}")
        allocate_service(SERVICES, service, existing)
        existing.append(service)
    ips = [s["spec"]["clusterIP"] for s in existing]
    assert len(set(ips)) == 50
    assert all(ipaddress.ip_address(ip) in SERVICE_CIDR for ip in ips)
    assert "10.96.0.1" not in ips
    assert all(s["spec"]["clusterIPs"] == [s["spec"]["clusterIP"]] for s in existing)


def test_requested_addresses_are_honoured_or_refused() -> None:
    first = _svc("a", clusterIP="10.96.5.5", type="NodePort")
    first["spec"]["ports"][0]["nodePort"] = 30100
    allocate_service(SERVICES, first, [])
    assert first["spec"]["clusterIP"] == "10.96.5.5"
    assert first["spec"]["ports"][0]["nodePort"] == 30100
    clash = _svc("b", type="NodePort")
    clash["spec"]["ports"][0]["nodePort"] = 30100
    assert "provided port is already allocated" in _message(
        lambda: allocate_service(SERVICES, clash, [first])
    )
    same_ip = _svc("c", clusterIP="10.96.5.5")
    assert "provided IP is already allocated" in _message(
        lambda: allocate_service(SERVICES, same_ip, [first])
    )
    outside = _svc("d", clusterIP="192.168.1.1")
    assert "not in the valid range" in _message(lambda: allocate_service(SERVICES, outside, []))
    low = _svc("e", type="NodePort")
    low["spec"]["ports"][0]["nodePort"] = 80
    assert "30000-32767" in _message(lambda: allocate_service(SERVICES, low, []))


def test_updates_keep_addresses_and_refuse_ip_changes() -> None:
    old = _svc("a", type="NodePort")
    allocate_service(SERVICES, old, [])
    update = _svc("a", uid="uid-a", type="NodePort")
    allocate_service(SERVICES, update, [old], old)
    assert update["spec"]["clusterIP"] == old["spec"]["clusterIP"]
    assert update["spec"]["ports"][0]["nodePort"] == old["spec"]["ports"][0]["nodePort"]
    moved = _svc("a", uid="uid-a", clusterIP="10.96.9.9")
    assert "field is immutable" in _message(lambda: allocate_service(SERVICES, moved, [old], old))
    headless = _svc("h", clusterIP="None")
    allocate_service(SERVICES, headless, [])
    assert headless["spec"]["clusterIPs"] == ["None"]
    plain = _svc("p")
    plain["spec"]["ports"][0]["nodePort"] = 30555
    allocate_service(SERVICES, plain, [])
    assert "nodePort" not in plain["spec"]["ports"][0]  # ClusterIP services get none
