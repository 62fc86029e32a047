"""A container's environment, as the kubelet builds it from the pod spec.

Order of precedence (later wins): the host basics the interpreter needs, the image's ENV, the
variables every embedded pod gets (POD_NAME, POD_NAMESPACE, POD_IP, HOST, PORT, HOSTNAME),
`envFrom`, then `env` with `$(VAR)` references and `valueFrom` (fieldRef, configMapKeyRef,
secretKeyRef through an optional object lookup).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from clusters.embedded.kubelet.images import expand_references

__all__ = ["REPO_ROOT", "ConfigError", "ObjectLookup", "container_environment"]

REPO_ROOT = Path(__file__).resolve().parents[3]
_FIELD_INDEX = re.compile(r"^metadata\.(labels|annotations)\['([^']*)'\]$")

ObjectLookup = Callable[[str, str, str], Mapping[str, Any] | None]
"""(kind "ConfigMap"|"Secret", namespace, name) -> the object, or None when absent."""


class ConfigError(ValueError):
    """The environment refers to something missing (CreateContainerConfigError)."""


def _host_basics() -> dict[str, str]:
    path = os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", "/usr/bin:/bin")]
    )
    existing = os.environ.get("PYTHONPATH")
    python_path = str(REPO_ROOT) + (os.pathsep + existing if existing else "")
    basics = {
        "PATH": path,
        "PYTHONPATH": python_path,
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV"):
        if name in os.environ:
            basics[name] = os.environ[name]
    return basics


def _field_value(path: str, pod: Mapping[str, Any], pod_ip: str, host_ip: str) -> str:
    metadata = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    simple = {
        "metadata.name": metadata.get("name", ""),
        "metadata.namespace": metadata.get("namespace", ""),
        "metadata.uid": metadata.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", "default"),
        "status.podIP": pod_ip,
        "status.podIPs": pod_ip,
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
    }
    if path in simple:
        return str(simple[path])
    match = _FIELD_INDEX.match(path)
    if match:
        return str((metadata.get(match.group(1)) or {}).get(match.group(2), ""))
    raise ConfigError(f"unsupported fieldRef fieldPath {path!r}")


def _object_data(
    lookup: ObjectLookup | None, kind: str, namespace: str, name: str
) -> dict[str, str] | None:
    found = lookup(kind, namespace, name) if lookup else None
    if found is None:
        return None
    data = {str(key): str(value) for key, value in (found.get("data") or {}).items()}
    if kind == "Secret":
        try:
            data = {key: base64.b64decode(value).decode() for key, value in data.items()}
        except (binascii.Error, UnicodeDecodeError) as error:
            raise ConfigError(f'secret "{name}" holds undecodable data: {error}') from error
        data.update({str(k): str(v) for k, v in (found.get("stringData") or {}).items()})
    return data


def _key_ref(
    ref: Mapping[str, Any], kind: str, namespace: str, lookup: ObjectLookup | None
) -> str | None:
    name = str(ref.get("name", ""))
    data = _object_data(lookup, kind, namespace, name)
    label = kind.lower()
    if data is None:
        if ref.get("optional"):
            return None
        raise ConfigError(f'{label} "{name}" not found')
    key = str(ref.get("key", ""))
    if key not in data:
        if ref.get("optional"):
            return None
        raise ConfigError(f"couldn't find key {key} in {kind} {namespace}/{name}")
    return data[key]


def container_environment(
    pod: Mapping[str, Any],
    container: Mapping[str, Any],
    *,
    pod_ip: str,
    host_ip: str,
    image_env: Mapping[str, str],
    lookup: ObjectLookup | None = None,
) -> dict[str, str]:
    """The full environment for one container run; raises ConfigError like the kubelet would."""
    metadata = pod.get("metadata") or {}
    namespace = str(metadata.get("namespace", "default"))
    env = _host_basics()
    env.update(image_env)
    env.update(
        {
            "HOSTNAME": str(metadata.get("name", "")),
            "POD_NAME": str(metadata.get("name", "")),
            "POD_NAMESPACE": namespace,
            "POD_IP": pod_ip,
            "HOST": pod_ip,
        }
    )
    ports = container.get("ports") or []
    if ports:
        env["PORT"] = str(ports[0].get("containerPort"))
    for source in container.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(field)
            if not ref:
                continue
            data = _object_data(lookup, kind, namespace, str(ref.get("name", "")))
            if data is None and not ref.get("optional"):
                raise ConfigError(f'{kind.lower()} "{ref.get("name")}" not found')
            env.update({prefix + key: value for key, value in (data or {}).items()})
    for item in container.get("env") or []:
        name = str(item.get("name", ""))
        source = item.get("valueFrom")
        value: str | None
        if not source:
            value = expand_references(str(item.get("value", "")), env)
        elif "fieldRef" in source:
            value = _field_value(str(source["fieldRef"].get("fieldPath", "")), pod, pod_ip, host_ip)
        elif "configMapKeyRef" in source:
            value = _key_ref(source["configMapKeyRef"], "ConfigMap", namespace, lookup)
        elif "secretKeyRef" in source:
            value = _key_ref(source["secretKeyRef"], "Secret", namespace, lookup)
        else:
            value = ""  # resourceFieldRef: no resource accounting on the embedded cluster
        if value is not None:
            env[name] = value
    return env
