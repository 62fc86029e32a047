"""Schema checks of one object: pruning unknown fields (with their full paths, as strict
decoding reports them) and JSON-schema validation turned into apiserver field errors."""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

import jsonschema

from clusters.embedded.resources import ResourceType
from clusters.embedded.schemas import schema_for
from clusters.embedded.schemas.k8s import definition_name, k8s_definitions
from clusters.embedded.schemas.nodes import (
    item_schema,
    object_meta,
    preserves_unknown,
    property_schema,
    resolve,
    shape,
)
from clusters.embedded.validation_meta import cause, format_value

__all__ = ["first_type_error", "join_path", "prune_unknown", "schema_causes"]


def join_path(parent: str, key: str | int) -> str:
    """`spec` + `steps` -> `spec.steps`; `spec.steps` + 0 -> `spec.steps[0]`."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def prune_unknown(rt: ResourceType, obj: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A copy of `obj` without unknown fields and nulls, plus the unknown fields' paths."""
    unknown: list[str] = []
    root = schema_for(rt)
    pruned = _prune_struct(root, obj, "", unknown, top=True)
    return pruned, unknown


def _prune(node: dict[str, Any], value: Any, path: str, unknown: list[str]) -> Any:
    kind = shape(node)
    if kind == "struct" and isinstance(value, dict):
        return _prune_struct(node, value, path, unknown)
    if kind == "map" and isinstance(value, dict):
        values = resolve(node)["additionalProperties"]
        return {
            key: _prune(values, sub, f"{path}[{key}]", unknown)
            for key, sub in value.items()
            if sub is not None or shape(values) == "any"
        }
    if kind == "list" and isinstance(value, list):
        items = item_schema(node)
        return [
            _prune(items, sub, join_path(path, index), unknown) for index, sub in enumerate(value)
        ]
    return copy.deepcopy(value)


def _prune_struct(
    node: dict[str, Any], value: dict[str, Any], path: str, unknown: list[str], top: bool = False
) -> dict[str, Any]:
    keep_unknown = preserves_unknown(node)
    out: dict[str, Any] = {}
    for key, sub in value.items():
        if sub is None:
            continue  # Go decoding and CRD pruning both drop nulls of non-nullable fields
        sub_schema = object_meta() if top and key == "metadata" else property_schema(node, key)
        if sub_schema is None:
            if keep_unknown:
                out[key] = copy.deepcopy(sub)
            else:
                unknown.append(join_path(path, key))
            continue
        out[key] = _prune(sub_schema, sub, join_path(path, key), unknown)
    return out


# --- JSON-schema validation -------------------------------------------------------------

_DRAFT = "https://json-schema.org/draft/2020-12/schema"


@cache
def _k8s_document() -> dict[str, Any]:
    return {"$schema": _DRAFT, "$defs": k8s_definitions()}


@cache
def _validator(rt: ResourceType) -> jsonschema.protocols.Validator:
    """A compiled validator per kind (cached: construction and `$ref` lookups are reused)."""
    if rt.builtin:
        name = definition_name(rt.group, rt.version, rt.kind)
        document = {**_k8s_document(), "$ref": f"#/$defs/{name}"}
    else:
        document = {"$schema": _DRAFT, **_argo_jsonschema(schema_for(rt))}
        meta = {"$ref": "#/$defs/" + "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
        document["properties"] = {**document["properties"], "metadata": meta}
        document["$defs"] = k8s_definitions()
    cls = jsonschema.validators.validator_for(document)
    return cls(document)


def _argo_jsonschema(node: dict[str, Any]) -> dict[str, Any]:
    """A structural schema as JSON schema: only `x-kubernetes-*` needs translating."""
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {name: _argo_jsonschema(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _argo_jsonschema(value)
        elif key == "anyOf":
            out[key] = [_argo_jsonschema(sub) for sub in value]
        elif key == "description" or key.startswith("x-kubernetes-"):
            continue
        else:
            out[key] = value
    return out


_JSON_TYPES = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)


def _json_type(value: Any) -> str:
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return "null"


def _error_path(error: jsonschema.ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path = join_path(path, part)
    return path


def _expected_types(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return []
    if "oneOf" in schema or "anyOf" in schema:
        names: list[str] = []
        for sub in schema.get("oneOf") or schema.get("anyOf") or []:
            names.extend(name for name in _expected_types(sub) if name not in names)
        return names
    declared = schema.get("type", [])
    declared = [declared] if isinstance(declared, str) else declared
    return [name for name in declared if name != "null"]


def _type_cause(path: str, value: Any, expected: list[str]) -> dict[str, str]:
    actual = _json_type(value)
    detail = f"{path} in body must be of type {','.join(expected)}: {json.dumps(actual)}"
    return cause("FieldValueInvalid", path, f"Invalid value: {json.dumps(actual)}: {detail}")


def _to_causes(error: jsonschema.ValidationError) -> list[dict[str, str]]:
    path = _error_path(error)
    if error.validator == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        missing = [key for key in error.validator_value if key not in present]
        return [
            cause("FieldValueRequired", join_path(path, key), "Required value") for key in missing
        ]
    if error.validator == "type" or (
        error.validator in ("oneOf", "anyOf") and _expected_types(error.schema)
    ):
        return [_type_cause(path, error.instance, _expected_types(error.schema))]
    if error.validator == "enum":
        supported = ", ".join(
            json.dumps(value) for value in error.validator_value if value is not None
        )
        message = (
            f"Unsupported value: {format_value(error.instance)}: supported values: {supported}"
        )
        return [cause("FieldValueNotSupported", path, message)]
    text = re.sub(r"^.* is ", "", error.message) if error.validator == "format" else error.message
    return [
        cause("FieldValueInvalid", path, f"Invalid value: {format_value(error.instance)}: {text}")
    ]


def schema_causes(rt: ResourceType, obj: dict[str, Any]) -> list[dict[str, str]]:
    """Field errors of a pruned object against its kind's schema, sorted by field."""
    causes: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for error in _validator(rt).iter_errors(obj):
        for item in _to_causes(error):
            key = (item["field"], item["message"])
            if key not in seen:
                seen.add(key)
                causes.append(item)
    return sorted(causes, key=lambda item: item["field"])


def _document_order(value: Any, path: tuple[str | int, ...], order: dict[tuple, int]) -> None:
    order.setdefault(path, len(order))
    if isinstance(value, dict):
        for key, sub in value.items():
            _document_order(sub, (*path, key), order)
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            _document_order(sub, (*path, index), order)


def first_type_error(rt: ResourceType, obj: dict[str, Any]) -> tuple[list[str | int], Any] | None:
    """The first (in document order) value whose JSON type the schema rejects, as
    (path parts, value); Go decoding of built-ins stops there."""
    found: list[tuple[list[str | int], Any]] = []
    for error in _validator(rt).iter_errors(obj):
        if error.validator == "type" or (
            error.validator in ("oneOf", "anyOf") and _expected_types(error.schema)
        ):
            found.append((list(error.absolute_path), error.instance))
    if not found:
        return None
    order: dict[tuple, int] = {}
    _document_order(obj, (), order)
    return min(found, key=lambda item: order.get(tuple(item[0]), len(order)))
