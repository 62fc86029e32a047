"""Objects a fresh cluster has before anyone applies anything: the system namespaces and the
one node that the process kubelet stands for."""

from __future__ import annotations

import os
import platform
from typing import Any

from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError

__all__ = ["SYSTEM_NAMESPACES", "bootstrap", "node_object"]

NAMESPACES = find_plural("", "v1", "namespaces")
NODES = find_plural("", "v1", "nodes")
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
KUBELET_VERSION = "v1.37.0-rollout-lab"


def node_object(name: str, now: str) -> dict[str, Any]:
    """The Node the embedded kubelet registers: Ready, loopback address, this host's size."""
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    cpus = str(os.cpu_count() or 1)
    try:
        memory_kib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024
    except (ValueError, OSError):
        memory_kib = 0
    resources = {"cpu": cpus, "memory": f"{memory_kib}Ki", "pods": "110"}
    condition = {
        "type": "Ready",
        "status": "True",
        "reason": "KubeletReady",
        "message": "kubelet is posting ready status (embedded process kubelet)",
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": arch,
                "node-role.kubernetes.io/control-plane": "",
            },
        },
        "spec": {},
        "status": {
            "conditions": [condition],
            "addresses": [
                {"type": "InternalIP", "address": "127.0.0.1"},
                {"type": "Hostname", "address": name},
            ],
            "capacity": resources,
            "allocatable": resources,
            "nodeInfo": {
                "architecture": arch,
                "bootID": "",
                "containerRuntimeVersion": "rollout-lab://processes",
                "kernelVersion": platform.release(),
                "kubeProxyVersion": "",
                "kubeletVersion": KUBELET_VERSION,
                "machineID": "",
                "operatingSystem": "linux",
                "osImage": f"Rollout Lab embedded node ({platform.system()})",
                "systemUUID": "",
            },
        },
    }


def bootstrap(store: Any, clock: Any, node_name: str) -> None:
    """Create what is missing; an existing (persisted) cluster is left as it is."""
    for name in SYSTEM_NAMESPACES:
        body = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        _create_if_missing(store, NAMESPACES, body)
    node = node_object(node_name, clock.stamp())
    _create_if_missing(store, NODES, node)


def _write_status(store: Any, resource: Any, body: dict[str, Any]) -> None:
    """Status goes through the status subresource (a create may not keep it)."""
    current = store.get(resource, None, body["metadata"]["name"])
    if current.get("status") != body["status"]:
        current["status"] = body["status"]
        store.update(resource, current, subresource="status")


def _create_if_missing(store: Any, resource: Any, body: dict[str, Any]) -> bool:
    created = True
    try:
        store.create(resource, body)
    except ApiError as error:
        if error.code != 409:
            raise
        created = False
    if resource is NODES or created:
        _write_status(store, resource, body)
    return created
