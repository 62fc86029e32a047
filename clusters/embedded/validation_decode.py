"""Type errors in built-in objects, reported the way the apiserver's Go JSON decoding does
(400: `Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal
string into Go struct field DeploymentSpec.spec.replicas of type int32`). Custom resources
are validated by schema instead and answer 422 (see `validation_schema`)."""

from __future__ import annotations

from typing import Any

from clusters.embedded.resources import ResourceType
from clusters.embedded.schemas.k8s import definition_name, k8s_definitions, ref_name

__all__ = ["decode_message", "go_type", "type_error_message"]

_SPECIAL = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString": "intstr.IntOrString",
    "io.k8s.apimachinery.pkg.api.resource.Quantity": "resource.Quantity",
}


def _types(node: dict[str, Any]) -> list[str]:
    declared = node.get("type", [])
    declared = [declared] if isinstance(declared, str) else declared
    return [name for name in declared if name != "null"]


def go_type(node: dict[str, Any]) -> str:
    """The Go type name a schema node decodes into (`int32`, `[]v1.Container`, ...)."""
    if "$ref" in node:
        name = ref_name(node["$ref"])
        if name in _SPECIAL:
            return _SPECIAL[name]
        target = k8s_definitions().get(name, {})
        if "properties" in target or "x-kubernetes-group-version-kind" in target:
            parts = name.split(".")
            return f"{parts[-2]}.{parts[-1]}"
        return go_type({key: value for key, value in target.items() if key != "description"})
    types = _types(node)
    kind = types[0] if types else ""
    if kind == "integer":
        return {"int32": "int32", "int64": "int64"}.get(node.get("format", ""), "int")
    if kind == "number":
        return "float64"
    if kind == "boolean":
        return "bool"
    if kind == "array":
        return "[]" + go_type(node.get("items") or {})
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return "map[string]" + go_type(node["additionalProperties"])
    if kind == "string":
        return "string"
    return "interface {}"


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def type_error_message(rt: ResourceType, path: list[str | int], value: Any) -> str | None:
    """`json: cannot unmarshal <kind> into Go struct field <Struct>.<path> of type <T>` for the
    field at `path`, or None when the path does not lead through the kind's definitions."""
    root = definition_name(rt.group, rt.version, rt.kind)
    if root is None:
        return None
    definitions = k8s_definitions()
    node: dict[str, Any] = {"$ref": f"#/$defs/{root}"}
    owner = root
    fields: list[str] = []
    for part in path:
        struct = owner
        while "$ref" in node:
            struct = ref_name(node["$ref"])
            node = definitions.get(struct, {})
        if isinstance(part, int):
            node = node.get("items") or {}
            continue
        properties = node.get("properties")
        if properties is not None:
            if part not in properties:
                return None
            owner = struct
            fields.append(part)
            node = properties[part]
        elif isinstance(node.get("additionalProperties"), dict):
            node = node["additionalProperties"]
        else:
            return None
    kind = _json_kind(value)
    target = go_type(node)
    if kind == "number" and isinstance(value, float) and target.startswith(("int", "uint")):
        kind = f"number {value:g}"
    struct_name = owner.rsplit(".", 1)[-1]
    return (
        f"json: cannot unmarshal {kind} into Go struct field {struct_name}.{'.'.join(fields)} "
        f"of type {target}"
    )


def decode_message(rt: ResourceType, detail: str) -> str:
    """The 400 message wrapping a decoding error."""
    return f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: {detail}'
