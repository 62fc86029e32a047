"""Strategic merge patch for built-in kinds, driven by the upstream schemas' merge keys and
patch strategies (`x-kubernetes-patch-merge-key`, `x-kubernetes-patch-strategy`).

Directives: `$patch: replace|delete|merge` (maps and list items), `$retainKeys`,
`$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>`; none is ever stored.
"""

from __future__ import annotations

import copy
from typing import Any

from clusters.embedded import status
from clusters.embedded.resources import ResourceType
from clusters.embedded.schemas import schema_for
from clusters.embedded.schemas.nodes import (
    item_schema,
    merge_key,
    object_meta,
    patch_strategies,
    property_schema,
)
from clusters.embedded.status import ApiError

__all__ = ["merge_by_schema", "strategic_merge", "strip_directives"]

_PATCH = "$patch"
_RETAIN_KEYS = "$retainKeys"
_ORDER_PREFIX = "$setElementOrder/"
_DELETE_PRIMITIVE_PREFIX = "$deleteFromPrimitiveList/"


def _bad(message: str) -> ApiError:
    return status.bad_request(message)


def _unprocessable(message: str) -> ApiError:
    from clusters.embedded.patch import unprocessable

    return unprocessable(message)


def strip_directives(value: Any) -> Any:
    """A copy of a patch fragment without any `$...` directive keys or `$patch` items."""
    if isinstance(value, dict):
        return {key: strip_directives(sub) for key, sub in value.items() if not key.startswith("$")}
    if isinstance(value, list):
        return [
            strip_directives(item)
            for item in value
            if not (isinstance(item, dict) and _PATCH in item and len(item) == 1)
        ]
    return copy.deepcopy(value)


def strategic_merge(rt: ResourceType, live: dict[str, Any], patch: dict[str, Any]) -> Any:
    """Apply a strategic merge patch to `live` (not modified); lists merge by schema keys."""
    return merge_by_schema(schema_for(rt), live, patch, top=True)


def merge_by_schema(
    schema: dict[str, Any] | None, original: Any, patch: Any, *, top: bool = False
) -> Any:
    """Merge `patch` into `original` with SMP rules; `schema` may be None (unknown field)."""
    if not isinstance(patch, dict):
        return strip_directives(patch)
    base = copy.deepcopy(original) if isinstance(original, dict) else {}
    directive = patch.get(_PATCH)
    if directive == "replace":
        return strip_directives(patch)
    if directive == "delete":
        return None
    if directive not in (None, "merge"):
        raise _bad(f"unknown patch type: {directive} in map: {patch}")
    retain = patch.get(_RETAIN_KEYS)
    if retain is not None and (
        not isinstance(retain, list) or not all(isinstance(key, str) for key in retain)
    ):
        raise _bad("invalid patch format of retainKeys")
    orders: dict[str, Any] = {}
    for key, value in patch.items():
        if key in (_PATCH, _RETAIN_KEYS):
            continue
        if key.startswith(_ORDER_PREFIX):
            if not isinstance(value, list):
                raise _bad("invalid patch format of setElementOrder list")
            orders[key[len(_ORDER_PREFIX) :]] = value
            continue
        if key.startswith(_DELETE_PRIMITIVE_PREFIX):
            field = key[len(_DELETE_PRIMITIVE_PREFIX) :]
            if not isinstance(value, list):
                raise _bad("invalid patch format of primitive list")
            current = base.get(field)
            if isinstance(current, list):
                base[field] = [item for item in current if item not in value]
            continue
        if key.startswith("$"):
            raise _bad(f"unknown directive {key} in patch")
        sub_schema = _field_schema(schema, key, top)
        if value is None:
            base.pop(key, None)
        elif isinstance(value, list):
            base[key] = _merge_list(sub_schema, base.get(key), value)
        elif isinstance(value, dict):
            merged = merge_by_schema(sub_schema, base.get(key), value)
            if merged is None:
                base.pop(key, None)
            else:
                base[key] = merged
        else:
            base[key] = copy.deepcopy(value)
    for field, order in orders.items():
        if isinstance(base.get(field), list):
            base[field] = _reorder(_field_schema(schema, field, top), base[field], order)
    if retain is not None:
        base = {key: value for key, value in base.items() if key in retain}
    return base


def _field_schema(schema: dict[str, Any] | None, key: str, top: bool) -> dict[str, Any] | None:
    if schema is None:
        return None
    if top and key == "metadata":
        return object_meta()
    return property_schema(schema, key)


def _list_strategy(schema: dict[str, Any] | None) -> tuple[str, str | None]:
    """(`merge` | `replace`, merge key) for a list field."""
    if schema is None:
        return "replace", None
    if "merge" in patch_strategies(schema):
        return "merge", merge_key(schema)
    return "replace", None


def _merge_list(schema: dict[str, Any] | None, original: Any, patch: list[Any]) -> list[Any]:
    strategy, key = _list_strategy(schema)
    if any(isinstance(item, dict) and item.get(_PATCH) == "replace" for item in patch):
        return [
            strip_directives(item)
            for item in patch
            if not (isinstance(item, dict) and item.get(_PATCH) == "replace")
        ]
    current = copy.deepcopy(original) if isinstance(original, list) else []
    if strategy != "merge":
        return strip_directives(patch)
    if key is None:  # a set of primitives (finalizers)
        for item in patch:
            if isinstance(item, dict | list):
                raise _bad("invalid patch format of primitive list")
            if item not in current:
                current.append(item)
        return current
    items = item_schema(schema) if schema is not None else None
    for item in patch:
        if not isinstance(item, dict):
            raise _bad("invalid patch format of list of maps: items must be objects")
        if key not in item:
            raise _unprocessable(f"map: {item} does not contain declared merge key: {key}")
        found = next(
            (
                i
                for i, old in enumerate(current)
                if isinstance(old, dict) and old.get(key) == item[key]
            ),
            None,
        )
        directive = item.get(_PATCH)
        if directive == "delete":
            current = [
                old for old in current if not (isinstance(old, dict) and old.get(key) == item[key])
            ]
        elif found is None:
            merged = merge_by_schema(items, {}, item)
            if merged is not None:
                current.append(merged)
        else:
            merged = merge_by_schema(items, current[found], item)
            if merged is None:
                del current[found]
            else:
                current[found] = merged
    return current


def _reorder(schema: dict[str, Any] | None, values: list[Any], order: list[Any]) -> list[Any]:
    """Put the listed elements first, in `$setElementOrder` order; others keep their place
    after them."""
    _, key = _list_strategy(schema)

    def identity(item: Any) -> Any:
        if key is not None and isinstance(item, dict):
            return item.get(key)
        return item

    wanted = [identity(entry) if key is not None else entry for entry in order]
    if key is not None and not all(isinstance(entry, dict) for entry in order):
        raise _bad("invalid patch format of setElementOrder list")
    listed = [item for ident in wanted for item in values if identity(item) == ident]
    rest = [item for item in values if identity(item) not in wanted]
    return listed + rest
