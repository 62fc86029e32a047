"""The Argo Rollouts kinds' OpenAPI v3 (structural, CRD-style) schemas, built from our notation.

The YAML files in `argo_types/` describe each type compactly:

* `field: string|int32|int64|bool|number|intstr|time|any|map|enum(a|b)` — a typed leaf
  (`any` keeps unknown fields, `map` is a string-to-string map);
* `field!: ...` — the field is required;  `[T]` — a list of T;  a YAML list holding one
  mapping — a list of that object;
* `$name` — a fragment defined at the top level of any of the files;
* `"@io.k8s.api.core.v1.PodTemplateSpec"` — an upstream Kubernetes type, inlined without
  descriptions (volumes and resource quantities kept as free-form, as Argo's CRDs do);
* inside a mapping, `_doc` is the description, `_type` makes it a leaf, `_ref` starts from a
  fragment and adds fields, and `_preserve: true` keeps unknown fields.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from clusters.embedded.schemas.k8s import k8s_definitions, ref_name

__all__ = ["ARGO_KINDS", "argo_schema", "argo_spec_fragments"]

ARGO_KINDS = ("Rollout", "AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun", "Experiment")

_HERE = Path(__file__).parent / "argo_types"
_MAX_YAML_BYTES = 1_000_000
_LEAVES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "int32": {"type": "integer", "format": "int32"},
    "int64": {"type": "integer", "format": "int64"},
    "bool": {"type": "boolean"},
    "number": {"type": "number"},
    "intstr": {
        "anyOf": [{"type": "integer"}, {"type": "string"}],
        "x-kubernetes-int-or-string": True,
    },
    "time": {"type": "string", "format": "date-time"},
    "any": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    "map": {"type": "object", "additionalProperties": {"type": "string"}},
}
# Upstream types that Argo's CRDs keep free-form instead of inlining.
_FREE_FORM_DEFS = {"io.k8s.api.core.v1.Volume"}
_QUANTITY_MAP_FIELDS = {"limits", "requests"}


@cache
def argo_spec_fragments() -> dict[str, Any]:
    """All fragments of the notation files, by name."""
    fragments: dict[str, Any] = {}
    for path in sorted(_HERE.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        if len(text) > _MAX_YAML_BYTES:
            raise ValueError(f"{path} is larger than {_MAX_YAML_BYTES} bytes")
        data = yaml.safe_load(text) or {}
        duplicate = set(data) & set(fragments)
        if duplicate:
            raise ValueError(f"fragments defined twice: {sorted(duplicate)}")
        fragments.update(data)
    return fragments


@cache
def _descriptions() -> dict[str, str]:
    """`<fragment>.<field path>` -> description, from `argo_types/descriptions.yml`."""
    text = (_HERE / "descriptions.yml").read_text(encoding="utf-8")
    if len(text) > _MAX_YAML_BYTES:
        raise ValueError("descriptions.yml is too large")
    return {str(key): str(value) for key, value in (yaml.safe_load(text) or {}).items()}


def _describe(schema: dict[str, Any], prefix: str) -> None:
    """Fill descriptions listed for `prefix.<field>` into a freshly expanded fragment."""
    node = schema.get("items", schema) if schema.get("type") == "array" else schema
    for key, sub in (node.get("properties") or {}).items():
        text = _descriptions().get(f"{prefix}.{key}")
        if text:
            sub["description"] = text
        _describe(sub, f"{prefix}.{key}")


def _expand(spec: Any, where: str) -> dict[str, Any]:
    """Turn one notation value into a structural schema."""
    if isinstance(spec, str):
        return _expand_text(spec.strip(), where)
    if isinstance(spec, list):
        if len(spec) != 1:
            raise ValueError(f"{where}: a list type holds exactly one item schema")
        return {"type": "array", "items": _expand(spec[0], f"{where}[]")}
    if isinstance(spec, dict):
        return _expand_mapping(spec, where)
    raise ValueError(f"{where}: cannot read schema notation {spec!r}")


def _expand_text(text: str, where: str) -> dict[str, Any]:
    if text in _LEAVES:
        return copy.deepcopy(_LEAVES[text])
    if text.startswith("[") and text.endswith("]"):
        return {"type": "array", "items": _expand_text(text[1:-1].strip(), f"{where}[]")}
    if text.startswith("$"):
        fragments = argo_spec_fragments()
        if text[1:] not in fragments:
            raise ValueError(f"{where}: unknown fragment {text}")
        schema = _expand(fragments[text[1:]], text)
        _describe(schema, text[1:])
        return schema
    if text.startswith("@"):
        return _from_k8s({"$ref": "#/$defs/" + text[1:]}, ())
    match = re.fullmatch(r"enum\((.*)\)", text)
    if match:
        return {"type": "string", "enum": match.group(1).split("|")}
    raise ValueError(f"{where}: unknown type {text!r}")


def _expand_mapping(spec: dict[str, Any], where: str) -> dict[str, Any]:
    if "_type" in spec:
        schema = _expand(spec["_type"], where)
    elif "_ref" in spec:
        schema = _expand(spec["_ref"], where)
    else:
        schema = {"type": "object"}
    properties: dict[str, Any] = dict(schema.get("properties", {}))
    required: list[str] = list(schema.get("required", []))
    for raw_key, value in spec.items():
        if raw_key.startswith("_"):
            continue
        key = raw_key.rstrip("!")
        properties[key] = _expand(value, f"{where}.{key}")
        if raw_key.endswith("!") and key not in required:
            required.append(key)
    if properties:
        schema["properties"] = properties
    if required:
        schema["required"] = required
    if spec.get("_doc"):
        schema["description"] = str(spec["_doc"])
    if spec.get("_preserve"):
        schema["x-kubernetes-preserve-unknown-fields"] = True
    return schema


def _from_k8s(node: dict[str, Any], stack: tuple[str, ...]) -> dict[str, Any]:
    """Inline an upstream definition as a structural schema (no `$ref`, no nulls)."""
    if "$ref" in node:
        name = ref_name(node["$ref"])
        if name in _FREE_FORM_DEFS:
            return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        if name.endswith("meta.v1.ObjectMeta"):
            return {
                "type": "object",
                "properties": {
                    "labels": copy.deepcopy(_LEAVES["map"]),
                    "annotations": copy.deepcopy(_LEAVES["map"]),
                },
                "x-kubernetes-preserve-unknown-fields": True,
            }
        if name in stack:
            return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
        return _from_k8s(k8s_definitions()[name], (*stack, name))
    if "oneOf" in node:  # IntOrString and Quantity
        return copy.deepcopy(_LEAVES["intstr"])
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    kind = types[0] if types else ""
    if kind == "array":
        return {"type": "array", "items": _from_k8s(node.get("items", {}), stack)}
    if kind == "object" or "properties" in node:
        if "properties" in node:
            out: dict[str, Any] = {"type": "object", "properties": {}}
            for key, sub in node["properties"].items():
                if (
                    key in _QUANTITY_MAP_FIELDS
                    and stack
                    and stack[-1].endswith("ResourceRequirements")
                ):
                    out["properties"][key] = {
                        "type": "object",
                        "x-kubernetes-preserve-unknown-fields": True,
                    }
                else:
                    out["properties"][key] = _from_k8s(sub, stack)
            if node.get("required"):
                out["required"] = list(node["required"])
            return out
        if "additionalProperties" in node:
            return {
                "type": "object",
                "additionalProperties": _from_k8s(node["additionalProperties"], stack),
            }
        return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    if not kind:
        return {"x-kubernetes-preserve-unknown-fields": True}
    out = {"type": kind}
    if node.get("format") in ("int32", "int64", "date-time", "byte", "double"):
        out["format"] = node["format"]
    if node.get("enum"):
        out["enum"] = [value for value in node["enum"] if value is not None]
    return out


_SPEC_FRAGMENT = {
    "Rollout": ("rolloutSpec", "rolloutStatus"),
    "AnalysisTemplate": ("analysisTemplateSpec", None),
    "ClusterAnalysisTemplate": ("analysisTemplateSpec", None),
    "AnalysisRun": ("analysisRunSpec", "analysisRunStatus"),
    "Experiment": ("experimentSpec", "experimentStatus"),
}
_KIND_DOC = {
    "Rollout": "Rollout replaces a Deployment and updates its pods with a canary or blue-green "
    "strategy.",
    "AnalysisTemplate": "AnalysisTemplate holds metrics that analysis runs measure.",
    "ClusterAnalysisTemplate": "ClusterAnalysisTemplate is an AnalysisTemplate usable from "
    "every namespace.",
    "AnalysisRun": "AnalysisRun measures metrics and decides whether an update may go on.",
    "Experiment": "Experiment runs ReplicaSets side by side together with analyses.",
}


@cache
def _argo_schema(kind: str) -> dict[str, Any]:
    spec_name, status_name = _SPEC_FRAGMENT[kind]
    properties: dict[str, Any] = {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": _expand(f"${spec_name}", kind),
    }
    if status_name:
        properties["status"] = _expand(f"${status_name}", kind)
    return {
        "type": "object",
        "description": _KIND_DOC[kind],
        "properties": properties,
        "required": ["spec"],
    }


def argo_schema(kind: str) -> dict[str, Any]:
    """The structural openAPIV3Schema of an Argo kind (a fresh copy the caller may change)."""
    return copy.deepcopy(_argo_schema(kind))
