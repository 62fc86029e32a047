"""Generate the kind cluster config and check it the way kind decodes it: strictly.

kind rejects unknown keys (`KnownFields(true)`), so a typo would fail `kind create cluster`
on a learner's laptop. `schema_errors` mirrors kind's v1alpha4 field list; `policy_errors`
adds the lab's own rules (NodePorts on 127.0.0.1 with explicit host ports, node image pinned
by digest, API server port left to kind so several clusters can coexist).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import yaml

from clusters.kind.pins import NODE_IMAGE

__all__ = [
    "CONFIG_HASH_LABEL",
    "DEFAULT_NODE_PORTS",
    "ConfigError",
    "PortMapping",
    "cluster_config",
    "config_hash",
    "policy_errors",
    "render_cluster_config",
    "schema_errors",
    "validate_cluster_config",
]

CONFIG_HASH_LABEL = "rollout-lab.io/config-hash"
# NodePorts the lab manifests use: stable service, canary/preview service, spare.
DEFAULT_NODE_PORTS = (30080, 30081, 30082)
_NAME_PATTERN = re.compile(r"^[a-z0-9.-]+$")
_DIGEST_PATTERN = re.compile(r"^[^@\s]+:[^@\s]+@sha256:[0-9a-f]{64}$")


class ConfigError(ValueError):
    """The generated kind config would be rejected by kind or breaks a lab rule."""


@dataclass(frozen=True)
class PortMapping:
    """A NodePort published on the host: `node_port` inside the node, `host_port` outside."""

    node_port: int
    host_port: int
    listen_address: str = "127.0.0.1"


# A field spec is (python type, nested spec or None, allowed values or None).
_Spec = dict[str, tuple[type, Any, tuple[Any, ...] | None]]

_PORT_MAPPING: _Spec = {
    "containerPort": (int, None, None),
    "hostPort": (int, None, None),
    "listenAddress": (str, None, None),
    "protocol": (str, None, ("TCP", "UDP", "SCTP")),
}
_MOUNT: _Spec = {
    "hostPath": (str, None, None),
    "containerPath": (str, None, None),
    "readOnly": (bool, None, None),
    "selinuxRelabel": (bool, None, None),
    "propagation": (str, None, ("None", "HostToContainer", "Bidirectional")),
}
_PATCH_6902: _Spec = {
    "group": (str, None, None),
    "version": (str, None, None),
    "kind": (str, None, None),
    "patch": (str, None, None),
}
_NODE: _Spec = {
    "role": (str, None, ("control-plane", "worker")),
    "image": (str, None, None),
    "labels": (dict, str, None),
    "extraMounts": (list, _MOUNT, None),
    "extraPortMappings": (list, _PORT_MAPPING, None),
    "kubeadmConfigPatches": (list, str, None),
    "kubeadmConfigPatchesJSON6902": (list, _PATCH_6902, None),
}
_NETWORKING: _Spec = {
    "ipFamily": (str, None, ("ipv4", "ipv6", "dual")),
    "apiServerAddress": (str, None, None),
    "apiServerPort": (int, None, None),
    "podSubnet": (str, None, None),
    "serviceSubnet": (str, None, None),
    "disableDefaultCNI": (bool, None, None),
    "kubeProxyMode": (str, None, ("iptables", "nftables", "ipvs", "none")),
    "dnsSearch": (list, str, None),
}
_CLUSTER: _Spec = {
    "kind": (str, None, ("Cluster",)),
    "apiVersion": (str, None, ("kind.x-k8s.io/v1alpha4",)),
    "name": (str, None, None),
    "nodes": (list, _NODE, None),
    "networking": (dict, _NETWORKING, None),
    "featureGates": (dict, bool, None),
    "runtimeConfig": (dict, str, None),
    "kubeadmConfigPatches": (list, str, None),
    "kubeadmConfigPatchesJSON6902": (list, _PATCH_6902, None),
    "containerdConfigPatches": (list, str, None),
    "containerdConfigPatchesJSON6902": (list, str, None),
}


def _check_value(path: str, value: Any, kind: type, nested: Any, errors: list[str]) -> None:
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        errors.append(f"{path}: expected {kind.__name__}, got {type(value).__name__}")
        return
    if nested is None:
        return
    value = cast(Any, value)  # narrowed to `object` above; the branches know its shape
    if kind is dict and isinstance(nested, dict):
        _check_object(path, value, nested, errors)
    elif kind is dict:
        for key, item in value.items():
            _check_value(f"{path}.{key}", item, nested, None, errors)
    elif isinstance(nested, dict):
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                errors.append(f"{path}[{index}]: expected a mapping")
            else:
                _check_object(f"{path}[{index}]", item, nested, errors)
    else:
        for index, item in enumerate(value):
            _check_value(f"{path}[{index}]", item, nested, None, errors)


def _check_object(path: str, obj: dict[str, Any], spec: _Spec, errors: list[str]) -> None:
    for key, value in obj.items():
        where = f"{path}.{key}" if path else str(key)
        if key not in spec:
            errors.append(f"{where}: unknown field (kind decodes configs strictly)")
            continue
        kind, nested, allowed = spec[key]
        _check_value(where, value, kind, nested, errors)
        if allowed is not None and isinstance(value, kind) and value not in allowed:
            errors.append(f"{where}: {value!r} is not one of {', '.join(map(str, allowed))}")


def schema_errors(document: Any) -> list[str]:
    """Errors kind itself would report when decoding `document` (strict v1alpha4)."""
    if not isinstance(document, dict):
        return ["config: expected a mapping"]
    errors: list[str] = []
    _check_object("", document, _CLUSTER, errors)
    for required in ("kind", "apiVersion"):
        if required not in document:
            errors.append(f"{required}: required")
    name = document.get("name")
    if isinstance(name, str) and not _NAME_PATTERN.match(name):
        errors.append(f"name: {name!r} must match {_NAME_PATTERN.pattern}")
    for index, node in enumerate(document.get("nodes") or []):
        for pindex, mapping in enumerate((node or {}).get("extraPortMappings") or []):
            for key in ("containerPort", "hostPort"):
                port = mapping.get(key)
                if isinstance(port, int) and not -1 <= port <= 65535:
                    errors.append(f"nodes[{index}].extraPortMappings[{pindex}].{key}: {port}")
    return errors


def policy_errors(document: dict[str, Any]) -> list[str]:
    """The lab's own rules on top of kind's schema."""
    errors: list[str] = []
    nodes = document.get("nodes") or []
    planes = [node for node in nodes if node.get("role") == "control-plane"]
    if len(planes) != 1:
        errors.append(f"nodes: expected exactly one control-plane node, found {len(planes)}")
    for index, node in enumerate(nodes):
        image = node.get("image", "")
        if not _DIGEST_PATTERN.match(image):
            errors.append(f"nodes[{index}].image: {image!r} is not pinned as tag@sha256:digest")
    if "apiServerPort" in (document.get("networking") or {}):
        errors.append("networking.apiServerPort: leave unset so several clusters can coexist")
    seen: set[tuple[str, int]] = set()
    for index, node in enumerate(nodes):
        for pindex, mapping in enumerate(node.get("extraPortMappings") or []):
            where = f"nodes[{index}].extraPortMappings[{pindex}]"
            if mapping.get("listenAddress") != "127.0.0.1":
                errors.append(f"{where}.listenAddress: must be 127.0.0.1 (laptop-only)")
            host_port = mapping.get("hostPort", 0)
            if not isinstance(host_port, int) or host_port <= 0:
                errors.append(f"{where}.hostPort: give an explicit host port")
            if not 30000 <= mapping.get("containerPort", 0) <= 32767:
                errors.append(f"{where}.containerPort: must be a NodePort (30000-32767)")
            key = (str(mapping.get("listenAddress")), int(host_port or 0))
            if key in seen:
                errors.append(f"{where}.hostPort: {host_port} is mapped twice")
            seen.add(key)
    return errors


def validate_cluster_config(document: Any) -> None:
    """Raise `ConfigError` listing every schema and policy problem in `document`."""
    errors = schema_errors(document)
    if not errors:
        errors = policy_errors(document)
    if errors:
        raise ConfigError("invalid kind cluster config:\n  " + "\n  ".join(errors))


def config_hash(document: dict[str, Any]) -> str:
    """A short, stable hash of the config without the hash label itself."""
    stripped = json.loads(json.dumps(document))
    for node in stripped.get("nodes", []):
        labels = node.get("labels") or {}
        labels.pop(CONFIG_HASH_LABEL, None)
        if not labels:
            node.pop("labels", None)
    canonical = json.dumps(stripped, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def cluster_config(
    name: str,
    ports: Sequence[PortMapping] | None = None,
    node_image: str = NODE_IMAGE,
) -> dict[str, Any]:
    """The lab's single-node kind config, stamped with its own config hash label."""
    mappings = list(ports) if ports is not None else [PortMapping(p, p) for p in DEFAULT_NODE_PORTS]
    node: dict[str, Any] = {
        "role": "control-plane",
        "image": node_image,
        "extraPortMappings": [
            {
                "containerPort": mapping.node_port,
                "hostPort": mapping.host_port,
                "listenAddress": mapping.listen_address,
                "protocol": "TCP",
            }
            for mapping in mappings
        ],
    }
    document: dict[str, Any] = {
        "kind": "Cluster",
        "apiVersion": "kind.x-k8s.io/v1alpha4",
        "name": name,
        "nodes": [node],
    }
    node["labels"] = {CONFIG_HASH_LABEL: config_hash(document)}
    validate_cluster_config(document)
    return document


def render_cluster_config(document: dict[str, Any]) -> str:
    """The config as YAML for `kind create cluster --config -`."""
    validate_cluster_config(document)
    return yaml.safe_dump(document, sort_keys=False)
