"""Server-side apply: merge an applied configuration by schema, own its fields per field
manager in `metadata.managedFields`, remove fields the same manager stopped applying, and
answer 409 conflicts (apiserver format) for fields other managers set differently, unless
`force`. `track_update` records ownership for ordinary writes (operation Update)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import yaml

from clusters.embedded import status
from clusters.embedded.clock import format_timestamp
from clusters.embedded.fieldsets import (
    Path,
    decode_fields,
    element_key,
    encode_fields,
    field_set,
    lookup,
    path_text,
    remove_path,
)
from clusters.embedded.resources import ResourceType
from clusters.embedded.schemas import schema_for
from clusters.embedded.schemas.nodes import (
    item_schema,
    list_map_keys,
    list_type,
    object_meta,
    property_schema,
    shape,
)
from clusters.embedded.status import ApiError

__all__ = ["apply_conflict", "decode_apply_body", "server_side_apply", "track_update"]

_MAX_APPLY_BYTES = 3 * 1024 * 1024


def decode_apply_body(body: bytes | str) -> dict[str, Any]:
    """Parse an apply-patch body (YAML, JSON being a subset); 400 unless it is a mapping."""
    if len(body) > _MAX_APPLY_BYTES:
        raise status.bad_request("apply patch body is too large")
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        applied = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise status.bad_request(f"error decoding YAML: {error}") from None
    if not isinstance(applied, dict):
        raise status.bad_request("error decoding YAML: an apply patch must be a mapping")
    return applied


def _entries(obj: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not obj:
        return []
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    return [copy.deepcopy(entry) for entry in entries if isinstance(entry, dict)]


def _identity(entry: dict[str, Any]) -> tuple[str, str, str]:
    return (
        str(entry.get("manager", "")),
        str(entry.get("operation", "")),
        str(entry.get("subresource", "")),
    )


def _describe_manager(entry: dict[str, Any]) -> str:
    text = f'"{entry.get("manager", "")}"'
    if entry.get("subresource"):
        text += f' with subresource "{entry["subresource"]}"'
    if entry.get("operation") == "Update":
        text += f" using {entry.get('apiVersion', '')}"
    return text


def apply_conflict(conflicts: list[tuple[dict[str, Any], Path]]) -> ApiError:
    """409 `Apply failed with N conflict(s): ...` listing the other managers' fields."""
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {_describe_manager(entry)}",
            "field": path_text(path),
        }
        for entry, path in conflicts
    ]
    if len(conflicts) == 1:
        entry, path = conflicts[0]
        message = (
            f"Apply failed with 1 conflict: conflict with {_describe_manager(entry)}: "
            f"{path_text(path)}"
        )
    else:
        by_manager: dict[str, list[str]] = {}
        for entry, path in conflicts:
            by_manager.setdefault(_describe_manager(entry), []).append(path_text(path))
        lines: list[str] = []
        for manager in sorted(by_manager):
            lines.append(f"conflicts with {manager}:")
            lines.extend(f"- {text}" for text in by_manager[manager])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return ApiError(status.status_body(409, "Conflict", message, {"causes": causes}))


def _merge(schema: dict[str, Any] | None, base: Any, applied: Any, top: bool = False) -> Any:
    """Merge applied into base: maps recursively, list-maps by key, sets by value, else replace."""
    kind = shape(schema) if schema is not None else "any"
    if isinstance(applied, dict) and kind in ("struct", "map", "any"):
        result = copy.deepcopy(base) if isinstance(base, dict) else {}
        for key, value in applied.items():
            sub: dict[str, Any] | None
            if top and key == "metadata":
                sub = object_meta()
            else:
                sub = property_schema(schema, key) if schema is not None else None
            if value is None:
                result.pop(key, None)
            else:
                result[key] = _merge(sub, result.get(key), value)
        return result
    if isinstance(applied, list) and kind == "list" and schema is not None:
        mode = list_type(schema)
        current = copy.deepcopy(base) if isinstance(base, list) else []
        if mode == "map":
            keys = list_map_keys(schema)
            items = item_schema(schema)
            for item in applied:
                ident = element_key(item, keys)
                index = next(
                    (i for i, old in enumerate(current) if element_key(old, keys) == ident), None
                )
                if index is None:
                    current.append(copy.deepcopy(item))
                else:
                    current[index] = _merge(items, current[index], item)
            return current
        if mode == "set":
            current.extend(copy.deepcopy(item) for item in applied if item not in current)
            return current
    return copy.deepcopy(applied)


def _leaf(path: Path) -> bool:
    """List elements (`k:`/`v:` paths) are owned by existence, leaves by value."""
    return not path or path[-1][0] not in ("k", "v")


def _now(now: datetime | str | None) -> str:
    if isinstance(now, str):
        return now
    return format_timestamp(now or datetime.now(UTC))


def _write_entries(obj: dict[str, Any], entries: list[tuple[dict[str, Any], set[Path]]]) -> None:
    managed = []
    for entry, paths in entries:
        if not paths:
            continue
        entry = {key: value for key, value in entry.items() if key != "fieldsV1"}
        entry["fieldsType"] = "FieldsV1"
        entry["fieldsV1"] = encode_fields(paths)
        managed.append(entry)
    metadata = obj.setdefault("metadata", {})
    if managed:
        metadata["managedFields"] = managed
    else:
        metadata.pop("managedFields", None)


def server_side_apply(
    rt: ResourceType,
    live: dict[str, Any] | None,
    applied: dict[str, Any],
    *,
    manager: str,
    force: bool = False,
    subresource: str = "",
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """The object after `manager` applies `applied` onto `live` (None: create).

    Raises 409 (apply conflict) when another manager owns a field the applied configuration
    sets to a different value, unless `force`, which takes the fields over.
    """
    schema = schema_for(rt)
    skip_status = rt.subresource("status") is not None and subresource != "status"
    applied = copy.deepcopy(applied)
    if skip_status:
        applied.pop("status", None)
    base = copy.deepcopy(live) if live else {}
    new_set = field_set(schema, applied, skip_status=skip_status)
    me = {"manager": manager, "operation": "Apply", "apiVersion": rt.api_version}
    if subresource:
        me["subresource"] = subresource
    previous: set[Path] = set()
    others: list[tuple[dict[str, Any], set[Path]]] = []
    for entry in _entries(live):
        paths = decode_fields(entry.get("fieldsV1"))
        if _identity(entry) == _identity(me):
            previous = paths
        else:
            others.append((entry, paths))
    conflicts = [
        (entry, path)
        for entry, paths in others
        for path in sorted(new_set & paths)
        if _leaf(path) and lookup(schema, base, path) != lookup(schema, applied, path)
    ]
    if conflicts and not force:
        raise apply_conflict(conflicts)
    if force:
        taken = {path for _, path in conflicts}
        others = [(entry, paths - taken) for entry, paths in others]
    still_owned = set().union(*(paths for _, paths in others)) if others else set()
    # Elements before their fields: a removed item takes its fields with it.
    for path in sorted(previous - new_set - still_owned, key=len):
        remove_path(schema, base, path)
    result = _merge(schema, base, applied, top=True)
    me["time"] = _now(now)
    _write_entries(result, [*others, (me, new_set)])
    return result


def track_update(
    rt: ResourceType,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    *,
    manager: str,
    subresource: str = "",
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """A copy of `new` whose managedFields give `manager` (operation Update) the fields this
    write changed, taking them from other managers; removed fields leave every manager."""
    schema = schema_for(rt)
    skip_status = rt.subresource("status") is not None and subresource != "status"
    new_fields = field_set(schema, new, skip_status=skip_status)
    old_fields = field_set(schema, old, skip_status=skip_status) if old else set()
    changed = {
        path
        for path in new_fields
        if path not in old_fields
        or (_leaf(path) and lookup(schema, old, path) != lookup(schema, new, path))
    }
    removed = old_fields - new_fields
    me = {"manager": manager or "unknown", "operation": "Update", "apiVersion": rt.api_version}
    if subresource:
        me["subresource"] = subresource
    entries: list[tuple[dict[str, Any], set[Path]]] = []
    mine: set[Path] = set()
    for entry in _entries(old):
        paths = decode_fields(entry.get("fieldsV1")) - removed
        if _identity(entry) == _identity(me):
            mine = paths
        else:
            entries.append((entry, paths - changed))
    result = copy.deepcopy(new)
    if not changed and not mine:
        _write_entries(result, entries)
        return result
    me["time"] = _now(now) if changed else ""
    for entry in _entries(old):
        if _identity(entry) == _identity(me) and not changed:
            me["time"] = entry.get("time", _now(now))
    entries.append((me, mine | changed))
    _write_entries(result, entries)
    return result
