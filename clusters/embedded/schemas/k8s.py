"""The upstream Kubernetes schemas shipped by `kubernetes-validate`, loaded once and shared.

The package bundles JSON schemas (draft 2020-12, `$defs` + `$ref`) per Kubernetes version;
they keep the upstream `x-kubernetes-patch-merge-key` / `patch-strategy` / `list-type`
extensions, so validation, strategic merge and server-side apply all read them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

__all__ = ["definition_name", "k8s_definitions", "k8s_version", "ref_name"]

_DEFS_PREFIX = "#/$defs/"


def _schema_root() -> Path:
    # find_spec locates the package without importing it (its import pulls in a lot).
    spec = find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the kubernetes-validate package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name.split("-")[0]))


@cache
def _newest_version_dir() -> str:
    """Newest bundled non-strict schema folder, e.g. `v1.37.0-local`."""
    names = [
        entry.name
        for entry in _schema_root().iterdir()
        if re.fullmatch(r"v\d+\.\d+\.\d+-local", entry.name)
    ]
    return max(names, key=_version_key)


def k8s_version() -> str:
    """The Kubernetes version of the bundled schemas, e.g. `v1.37.0`."""
    return _newest_version_dir().split("-")[0]


@cache
def k8s_definitions() -> dict[str, dict[str, Any]]:
    """All upstream definitions by their OpenAPI name (`io.k8s.api.apps.v1.Deployment`)."""
    path = _schema_root() / _newest_version_dir() / "_definitions.json"
    with path.open(encoding="utf-8") as handle:
        document = json.load(handle)
    definitions: dict[str, dict[str, Any]] = document["$defs"]
    return definitions


@cache
def _gvk_index() -> dict[tuple[str, str, str], str]:
    index: dict[tuple[str, str, str], str] = {}
    for name, definition in k8s_definitions().items():
        for gvk in definition.get("x-kubernetes-group-version-kind", ()):
            key = (gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))
            # Prefer the canonical package over re-exports (`io.k8s.api...` sorts first).
            index.setdefault(key, name)
    return index


def definition_name(group: str, version: str, kind: str) -> str | None:
    """The definition that carries `x-kubernetes-group-version-kind` {group, version, kind}."""
    return _gvk_index().get((group, version, kind))


def ref_name(ref: str) -> str:
    """`#/$defs/io.k8s.api.core.v1.Pod` -> `io.k8s.api.core.v1.Pod`."""
    return ref[len(_DEFS_PREFIX) :] if ref.startswith(_DEFS_PREFIX) else ref.rsplit("/", 1)[-1]
