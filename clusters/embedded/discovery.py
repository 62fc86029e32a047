"""Discovery documents built from the resource registry: `/version`, legacy and aggregated.

kubectl 1.37 prefers aggregated discovery (`APIGroupDiscoveryList`), the Python client only
reads the legacy documents; both are generated here from `resources.RESOURCES` so they agree.
"""

from __future__ import annotations

from typing import Any

from clusters.embedded.resources import (
    RESOURCES,
    ResourceType,
    Subresource,
    by_group_version,
    group_versions,
)

__all__ = [
    "SERVER_VERSION",
    "aggregated_discovery",
    "api_group",
    "api_group_list",
    "api_resource_list",
    "api_versions",
    "version_info",
]

SERVER_VERSION = "v1.37.0"


def version_info() -> dict[str, str]:
    """The `/version` body (`kubectl version` prints gitVersion as the server version)."""
    return {
        "major": "1",
        "minor": "37",
        "gitVersion": SERVER_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64",
        "emulationMajor": "1",
        "emulationMinor": "37",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "36",
    }


def _named_groups() -> list[str]:
    groups: list[str] = []
    for resource in RESOURCES:
        if resource.group and resource.group not in groups:
            groups.append(resource.group)
    return groups


def _versions_of(group: str) -> list[str]:
    versions: list[str] = []
    for resource in RESOURCES:
        if resource.group == group and resource.version not in versions:
            versions.append(resource.version)
    return versions


def api_versions(server_address: str) -> dict[str, Any]:
    """Legacy `/api`: the core group's versions."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def api_group(group: str) -> dict[str, Any] | None:
    """Legacy `/apis/{group}`; `preferredVersion` equals a `versions[]` entry key for key."""
    versions = _versions_of(group)
    if not group or not versions:
        return None
    entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
    return {
        "kind": "APIGroup",
        "apiVersion": "v1",
        "name": group,
        "versions": entries,
        "preferredVersion": dict(entries[0]),
    }


def api_group_list() -> dict[str, Any]:
    """Legacy `/apis`."""
    groups = []
    for group in _named_groups():
        document = api_group(group)
        assert document is not None
        document.pop("kind")
        document.pop("apiVersion")
        groups.append(document)
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def _subresource_kind(resource: ResourceType, sub: Subresource) -> tuple[str, str, str]:
    if sub.kind is None:
        return resource.group, resource.version, resource.kind
    group = resource.group if sub.group is None else sub.group
    version = resource.version if sub.version is None else sub.version
    return group, version, sub.kind


def api_resource_list(group_version: str) -> dict[str, Any] | None:
    """Legacy `/api/v1` or `/apis/{g}/{v}`, with `x/y` rows for subresources."""
    resources = by_group_version(group_version)
    if not resources:
        return None
    rows: list[dict[str, Any]] = []
    for resource in resources:
        row: dict[str, Any] = {
            "name": resource.plural,
            "singularName": resource.singular,
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": list(resource.verbs),
        }
        if resource.short_names:
            row["shortNames"] = list(resource.short_names)
        if resource.categories:
            row["categories"] = list(resource.categories)
        rows.append(row)
        for sub in resource.subresources:
            group, version, kind = _subresource_kind(resource, sub)
            sub_row: dict[str, Any] = {
                "name": f"{resource.plural}/{sub.name}",
                "singularName": "",
                "namespaced": resource.namespaced,
                "kind": kind,
                "verbs": list(sub.verbs),
            }
            if (group, version) != (resource.group, resource.version):
                sub_row["group"] = group
                sub_row["version"] = version
            rows.append(sub_row)
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": rows,
    }


def _aggregated_resource(resource: ResourceType) -> dict[str, Any]:
    subresources = []
    for sub in resource.subresources:
        group, version, kind = _subresource_kind(resource, sub)
        subresources.append(
            {
                "subresource": sub.name,
                "responseKind": {"group": group, "version": version, "kind": kind},
                "verbs": list(sub.verbs),
            }
        )
    entry: dict[str, Any] = {
        "resource": resource.plural,
        "responseKind": {
            "group": resource.group,
            "version": resource.version,
            "kind": resource.kind,
        },
        "scope": "Namespaced" if resource.namespaced else "Cluster",
        "singularResource": resource.singular,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    if subresources:
        entry["subresources"] = subresources
    return entry


def aggregated_discovery(core: bool) -> dict[str, Any]:
    """`APIGroupDiscoveryList` v2 for `/api` (core=True) or `/apis` (named groups)."""
    groups = [""] if core else _named_groups()
    items = []
    for group in groups:
        versions = []
        for gv in group_versions():
            resources = by_group_version(gv)
            if resources[0].group != group:
                continue
            versions.append(
                {
                    "version": resources[0].version,
                    "freshness": "Current",
                    "resources": [_aggregated_resource(r) for r in resources],
                }
            )
        items.append({"metadata": {"name": group}, "versions": versions})
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    }
