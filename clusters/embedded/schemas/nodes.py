"""One read-only view over both schema flavours we hold: upstream definitions (`$ref`,
nullable type lists) and our structural Argo schemas. Validation, pruning, strategic merge
and server-side apply walk objects with it."""

from __future__ import annotations

from typing import Any

from clusters.embedded.schemas.k8s import definition_name, k8s_definitions, ref_name

__all__ = [
    "OBJECT_META",
    "ShapeKind",
    "item_schema",
    "list_map_keys",
    "list_type",
    "merge_key",
    "patch_strategies",
    "property_schema",
    "resolve",
    "root_schema",
    "shape",
    "type_names",
]

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
ShapeKind = str  # "struct" | "map" | "list" | "any" | "scalar"

_resolved: dict[int, dict[str, Any]] = {}


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow `$ref`s; keys on the referring node (patch strategy, description) win."""
    if "$ref" not in node:
        return node
    cached = _resolved.get(id(node))
    if cached is not None:
        return cached
    target = resolve(k8s_definitions()[ref_name(node["$ref"])])
    merged = {**target, **{key: value for key, value in node.items() if key != "$ref"}}
    _resolved[id(node)] = merged
    return merged


def root_schema(group: str, version: str, kind: str) -> dict[str, Any] | None:
    """The upstream definition of a built-in kind, or None."""
    name = definition_name(group, version, kind)
    return k8s_definitions()[name] if name else None


def type_names(node: dict[str, Any]) -> list[str]:
    """Declared JSON types without `null`."""
    declared = node.get("type", [])
    if isinstance(declared, str):
        return [declared]
    return [name for name in declared if name != "null"]


def shape(node: dict[str, Any]) -> ShapeKind:
    """How an object at this schema is walked."""
    node = resolve(node)
    if "oneOf" in node or "anyOf" in node or node.get("x-kubernetes-int-or-string"):
        return "scalar"
    types = type_names(node)
    if "array" in types:
        return "list"
    if "properties" in node:
        return "struct"
    if "additionalProperties" in node and isinstance(node["additionalProperties"], dict):
        return "map"
    if not types or "object" in types or node.get("x-kubernetes-preserve-unknown-fields"):
        return "any"
    return "scalar"


def preserves_unknown(node: dict[str, Any]) -> bool:
    return bool(resolve(node).get("x-kubernetes-preserve-unknown-fields"))


def property_schema(node: dict[str, Any], key: str) -> dict[str, Any] | None:
    """Schema of field `key` of a struct (or a map's value schema)."""
    node = resolve(node)
    properties = node.get("properties")
    if properties is not None:
        sub = properties.get(key)
        return resolve(sub) if sub is not None else None
    additional = node.get("additionalProperties")
    return resolve(additional) if isinstance(additional, dict) else None


def item_schema(node: dict[str, Any]) -> dict[str, Any]:
    items = resolve(node).get("items")
    return resolve(items) if isinstance(items, dict) else {}


def patch_strategies(node: dict[str, Any]) -> set[str]:
    """`x-kubernetes-patch-strategy` split on commas (`merge`, `retainKeys`, `replace`)."""
    raw = resolve(node).get("x-kubernetes-patch-strategy", "")
    return {part for part in str(raw).split(",") if part}


def merge_key(node: dict[str, Any]) -> str | None:
    key = resolve(node).get("x-kubernetes-patch-merge-key")
    return str(key) if key else None


def list_type(node: dict[str, Any]) -> str:
    """`atomic` (default), `set` or `map` as server-side apply reads it."""
    return str(resolve(node).get("x-kubernetes-list-type", "atomic"))


def list_map_keys(node: dict[str, Any]) -> list[str]:
    return [str(key) for key in resolve(node).get("x-kubernetes-list-map-keys", [])]


def object_meta() -> dict[str, Any]:
    return k8s_definitions()[OBJECT_META]


__all__ += ["object_meta", "preserves_unknown"]
