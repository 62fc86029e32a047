"""Field sets as server-side apply tracks them: which leaf fields and list elements an object
sets, encoded as `managedFields[].fieldsV1` tries (`f:`, `k:`, `v:`, `i:` keys, `.` marks)."""

from __future__ import annotations

import json
from typing import Any

from clusters.embedded.schemas.nodes import (
    item_schema,
    list_map_keys,
    list_type,
    object_meta,
    property_schema,
    shape,
)

__all__ = [
    "Path",
    "decode_fields",
    "element_key",
    "encode_fields",
    "field_set",
    "lookup",
    "path_text",
    "remove_path",
]

Element = tuple[str, str]  # ("f", name) | ("k", key json) | ("v", value json) | ("i", index)
Path = tuple[Element, ...]
_MISSING = object()
# List-map keys that the apiserver defaults, so an applied item may omit them.
_KEY_DEFAULTS = {"protocol": "TCP"}
# Bookkeeping fields that no manager owns.
_UNTRACKED: set[Path] = {
    (("f", "apiVersion"),),
    (("f", "kind"),),
    *(
        (("f", "metadata"), ("f", name))
        for name in (
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
            "selfLink",
        )
    ),
}


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def element_key(item: Any, keys: list[str]) -> str:
    """The `k:` payload of a list-map item: its key fields as compact JSON."""
    values = {}
    if isinstance(item, dict):
        for key in keys:
            if key in item:
                values[key] = item[key]
            elif key in _KEY_DEFAULTS:
                values[key] = _KEY_DEFAULTS[key]
    return _compact(values)


def _child_schema(schema: dict[str, Any] | None, key: str, path: Path) -> dict[str, Any] | None:
    if schema is None:
        return None
    if not path and key == "metadata":
        return object_meta()
    return property_schema(schema, key)


def field_set(schema: dict[str, Any] | None, obj: Any, *, skip_status: bool = False) -> set[Path]:
    """Every leaf field and list element `obj` sets, as paths."""
    found: set[Path] = set()
    _collect(schema, obj, (), found)
    found -= _UNTRACKED
    if skip_status:
        found = {path for path in found if path[:1] != (("f", "status"),)}
    return found


def _collect(schema: dict[str, Any] | None, value: Any, path: Path, found: set[Path]) -> None:
    kind = shape(schema) if schema is not None else "any"
    if isinstance(value, dict) and kind in ("struct", "map", "any"):
        if not value and path:
            found.add(path)
        for key, sub in value.items():
            _collect(_child_schema(schema, key, path), sub, (*path, ("f", key)), found)
        return
    if isinstance(value, list) and kind == "list" and schema is not None:
        mode = list_type(schema)
        items = item_schema(schema)
        if mode == "map":
            keys = list_map_keys(schema)
            for item in value:
                element = (*path, ("k", element_key(item, keys)))
                found.add(element)
                if isinstance(item, dict):
                    for key, sub in item.items():
                        _collect(property_schema(items, key), sub, (*element, ("f", key)), found)
            return
        if mode == "set":
            for item in value:
                found.add((*path, ("v", _compact(item))))
            return
    found.add(path)


def _list_schema(schema: dict[str, Any] | None) -> tuple[str, list[str]]:
    if schema is None or shape(schema) != "list":
        return "atomic", []
    return list_type(schema), list_map_keys(schema)


def lookup(schema: dict[str, Any] | None, obj: Any, path: Path) -> Any:
    """The value at `path`, or a sentinel-free `None` when it is absent."""
    node: Any = obj
    current = schema
    for index, (kind, payload) in enumerate(path):
        if kind == "f":
            if not isinstance(node, dict) or payload not in node:
                return None
            current = _child_schema(current, payload, path[:index])
            node = node[payload]
        elif kind == "k":
            _, keys = _list_schema(current)
            if not isinstance(node, list):
                return None
            node = next((item for item in node if element_key(item, keys) == payload), None)
            current = item_schema(current) if current is not None else None
            if node is None:
                return None
        elif kind == "v":
            if not isinstance(node, list):
                return None
            value = json.loads(payload)
            return value if value in node else None
        else:
            if not isinstance(node, list) or int(payload) >= len(node):
                return None
            node = node[int(payload)]
    return node


def remove_path(schema: dict[str, Any] | None, obj: Any, path: Path) -> None:
    """Delete the field or list element at `path` from `obj` in place, if present."""
    if not path:
        return
    parent_path, (kind, payload) = path[:-1], path[-1]
    parent = lookup(schema, obj, parent_path) if parent_path else obj
    if kind == "f" and isinstance(parent, dict):
        parent.pop(payload, None)
    elif kind == "k" and isinstance(parent, list):
        parent_schema = _schema_at(schema, parent_path)
        _, keys = _list_schema(parent_schema)
        parent[:] = [item for item in parent if element_key(item, keys) != payload]
    elif kind == "v" and isinstance(parent, list):
        value = json.loads(payload)
        parent[:] = [item for item in parent if item != value]


def _schema_at(schema: dict[str, Any] | None, path: Path) -> dict[str, Any] | None:
    current = schema
    for index, (kind, payload) in enumerate(path):
        if current is None:
            return None
        if kind == "f":
            current = _child_schema(current, payload, path[:index])
        else:
            current = item_schema(current)
    return current


def path_text(path: Path) -> str:
    """A path as apply conflicts print it: `.spec.template.spec.containers[name="app"].image`."""
    parts: list[str] = []
    for kind, payload in path:
        if kind == "f":
            parts.append(f".{payload}")
        elif kind == "k":
            keys = json.loads(payload)
            parts.append("[" + ",".join(f"{k}={_compact(v)}" for k, v in keys.items()) + "]")
        elif kind == "v":
            parts.append(f"[={payload}]")
        else:
            parts.append(f"[{payload}]")
    return "".join(parts)


def encode_fields(paths: set[Path]) -> dict[str, Any]:
    """A field set as a `fieldsV1` trie."""
    trie: dict[str, Any] = {}
    for path in sorted(paths):
        node = trie
        for kind, payload in path:
            node = node.setdefault(f"{kind}:{payload}", {})
    for path in paths:
        node = trie
        for kind, payload in path:
            node = node[f"{kind}:{payload}"]
        if node:
            node["."] = {}
    return trie


def decode_fields(trie: Any, prefix: Path = ()) -> set[Path]:
    """A `fieldsV1` trie back to a field set (malformed entries are skipped)."""
    found: set[Path] = set()
    if not isinstance(trie, dict):
        return found
    if prefix and (not trie or "." in trie):
        found.add(prefix)
    for key, sub in trie.items():
        if key == "." or ":" not in key:
            continue
        kind, payload = key.split(":", 1)
        if kind in ("f", "k", "v", "i"):
            found |= decode_fields(sub, (*prefix, (kind, payload)))
    return found
