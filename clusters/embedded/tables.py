"""`meta.k8s.io/v1` Table responses for `kubectl get`: the columns a real cluster prints,
built-in printers for core kinds and CRD printer columns for the Argo kinds.

Like the apiserver, every Table carries all columns (wide ones with priority 1); kubectl
hides priority > 0 columns unless `-o wide`, so `cells` always match `columnDefinitions`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from clusters.embedded.crds import printer_columns
from clusters.embedded.resources import ResourceType
from clusters.embedded.schemas.nodes import object_meta
from clusters.embedded.tables_builtin import BUILTIN_TABLES, Column, since

__all__ = ["jsonpath_value", "table_columns", "to_table"]

_INCLUDE = ("Metadata", "Object", "None")


def _meta_doc(field: str) -> str:
    properties = object_meta().get("properties", {})
    return str((properties.get(field) or {}).get("description", ""))


def _definition(column: Column) -> dict[str, Any]:
    name, kind, priority, description = column
    if name == "Name" and not description:
        return {
            "name": name,
            "type": kind,
            "format": "name",
            "description": _meta_doc("name"),
            "priority": priority,
        }
    if name in ("Age", "Created At") and not description:
        description = _meta_doc("creationTimestamp")
    return {
        "name": name,
        "type": kind,
        "format": "",
        "description": description,
        "priority": priority,
    }


def table_columns(rt: ResourceType) -> list[dict[str, Any]]:
    """The column definitions a Table of this kind carries."""
    if rt.builtin:
        builtin = BUILTIN_TABLES.get((rt.group, rt.kind))
        columns = builtin[0] if builtin else [("Name", "string", 0, ""), ("Age", "string", 0, "")]
        return [_definition(column) for column in columns]
    definitions = [_definition(("Name", "string", 0, ""))]
    for column in printer_columns(rt.kind):
        definitions.append(
            {
                "name": column["name"],
                "type": column["type"],
                "format": column.get("format", ""),
                "description": column.get("description", ""),
                "priority": int(column.get("priority", 0)),
            }
        )
    return definitions


def jsonpath_value(obj: Any, path: str) -> Any:
    """Evaluate a simple CRD column JSONPath (`.status.phase`, `.spec.items[0].name`)."""
    node = obj
    for raw in path.strip().lstrip("{").rstrip("}").lstrip(".").split("."):
        if not raw:
            continue
        name, _, rest = raw.partition("[")
        if name:
            if not isinstance(node, dict) or name not in node:
                return None
            node = node[name]
        while rest:
            index, _, rest = rest.partition("]")
            rest = rest.lstrip("[")
            if not isinstance(node, list) or not index.lstrip("-").isdigit():
                return None
            position = int(index)
            if not -len(node) <= position < len(node):
                return None
            node = node[position]
    return node


def _custom_cell(column: dict[str, Any], obj: dict[str, Any], now: datetime) -> Any:
    value = jsonpath_value(obj, column["jsonPath"])
    if value is None:
        return None
    if column["type"] == "date":
        return since(value, now)
    if column["type"] == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if column["type"] == "number":
        return value if isinstance(value, int | float) else None
    if column["type"] == "boolean":
        return value if isinstance(value, bool) else None
    return value if isinstance(value, str) else str(value)


def _cells(rt: ResourceType, obj: dict[str, Any], now: datetime) -> list[Any]:
    raw_metadata = obj.get("metadata")
    metadata: dict[str, Any] = raw_metadata if isinstance(raw_metadata, dict) else {}
    name = metadata.get("name", "")
    try:
        if not rt.builtin:
            return [name, *(_custom_cell(c, obj, now) for c in printer_columns(rt.kind))]
        builtin = BUILTIN_TABLES.get((rt.group, rt.kind))
        if builtin:
            return builtin[1](obj, now)
        return [name, since(metadata.get("creationTimestamp"), now)]
    except (AttributeError, KeyError, TypeError, ValueError):
        # A malformed stored object must not fail the whole `kubectl get`.
        width = len(table_columns(rt))
        return [name, *(["<unknown>"] * (width - 1))]


def _row_object(obj: dict[str, Any], include_object: str) -> dict[str, Any] | None:
    if include_object == "None":
        return None
    if include_object == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def to_table(
    rt: ResourceType,
    objects: list[dict[str, Any]],
    *,
    wide: bool = False,
    include_object: str = "Metadata",
    list_resource_version: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """A Table of `objects` (all of kind `rt`).

    `include_object` is the request's `includeObject` (Metadata, Object or None). `wide` is
    accepted for symmetry only: like the apiserver, all columns are always sent.
    """
    del wide
    mode = next((m for m in _INCLUDE if m.lower() == (include_object or "").lower()), "Metadata")
    moment = now or datetime.now(UTC)
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": _cells(rt, obj, moment)}
        embedded = _row_object(obj, mode)
        if embedded is not None:
            row["object"] = embedded
        rows.append(row)
    metadata: dict[str, Any] = {}
    if list_resource_version:
        metadata["resourceVersion"] = list_resource_version
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": table_columns(rt),
        "rows": rows,
    }
