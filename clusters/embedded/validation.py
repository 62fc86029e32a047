"""Admission of one object: unknown-field handling per `fieldValidation`, defaulting and
validation, with the real apiserver's status codes and messages.

Built-in kinds are checked against the upstream Kubernetes schemas (`kubernetes-validate`),
the Argo kinds against the project's schemas (`schemas/argo_types/*.yaml`).

`validate_manifest` gives the same messages without raising, for the checker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters.embedded import status
from clusters.embedded.defaults import apply_defaults
from clusters.embedded.resources import ResourceType, find_kind
from clusters.embedded.validation_decode import decode_message, type_error_message
from clusters.embedded.validation_meta import cause, metadata_causes
from clusters.embedded.validation_rules import rule_causes
from clusters.embedded.validation_schema import first_type_error, prune_unknown, schema_causes

__all__ = [
    "FIELD_VALIDATION_MODES",
    "Admission",
    "admit",
    "describe_cause",
    "strict_decoding_message",
    "validate_manifest",
]

FIELD_VALIDATION_MODES = ("Strict", "Warn", "Ignore")


@dataclass
class Admission:
    """What to store and which `Warning` headers to answer with."""

    obj: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def _mode(field_validation: str) -> str:
    for mode in FIELD_VALIDATION_MODES:
        if field_validation.lower() == mode.lower():
            return mode
    if not field_validation:
        return "Warn"  # the apiserver's default when the parameter is absent
    supported = ", ".join(f'"{mode}"' for mode in FIELD_VALIDATION_MODES)
    raise status.bad_request(
        f'fieldValidation: Unsupported value: "{field_validation}": supported values: {supported}'
    )


def strict_decoding_message(rt: ResourceType, unknown: list[str]) -> str:
    """`Rollout in version "v1alpha1" cannot be handled as a Rollout: strict decoding error:
    unknown field "spec.x"` (several fields joined with ", ")."""
    fields = ", ".join(f'unknown field "{path}"' for path in unknown)
    return (
        f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '
        f"strict decoding error: {fields}"
    )


def _name(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        return str(metadata.get("name") or metadata.get("generateName") or "")
    return ""


def _causes(
    rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None
) -> list[dict[str, str]]:
    causes = metadata_causes(rt, obj.get("metadata"))
    causes += schema_causes(rt, obj)
    if rt.builtin:
        causes += rule_causes(rt.group, rt.kind, obj, old)
    unique: list[dict[str, str]] = []
    for item in causes:
        if item not in unique:
            unique.append(item)
    return unique


def _decode_error(rt: ResourceType, obj: dict[str, Any]) -> dict[str, str] | None:
    """For built-ins, the Go decoding error a JSON type mismatch causes (a 400, not a 422)."""
    if not rt.builtin:
        return None
    found = first_type_error(rt, obj)
    if found is None:
        return None
    path, value = found
    detail = type_error_message(rt, path, value)
    if detail is None:
        return None
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return cause("FieldValueTypeInvalid", field, decode_message(rt, detail))


def admit(
    rt: ResourceType,
    obj: dict[str, Any],
    *,
    field_validation: str = "Strict",
    operation: str = "CREATE",
    old: dict[str, Any] | None = None,
) -> Admission:
    """Prune, default and validate `obj` for a create or update of kind `rt`.

    Raises `status.ApiError`: 400 for unknown fields under Strict and (built-ins, like Go
    decoding) for a JSON type mismatch; 422 Invalid with `details.causes` for schema and
    semantic errors. The input is not modified.
    """
    if not isinstance(obj, dict):
        raise status.bad_request("the body of the request must be a JSON object")
    mode = _mode(field_validation)
    pruned, unknown = prune_unknown(rt, obj)
    if unknown and mode == "Strict":
        raise status.bad_request(strict_decoding_message(rt, unknown))
    decode_error = _decode_error(rt, pruned)
    if decode_error is not None:
        raise status.bad_request(decode_error["message"])
    warnings = [f'unknown field "{path}"' for path in unknown] if mode == "Warn" else []
    if rt.builtin:
        apply_defaults(rt.group, rt.kind, pruned, operation.upper())
    causes = _causes(rt, pruned, old)
    if causes:
        raise status.invalid(rt, _name(pruned), causes)
    return Admission(pruned, warnings)


def describe_cause(item: dict[str, str]) -> str:
    """One cause as the apiserver joins it into messages: `<field>: <message>`."""
    return f"{item['field']}: {item['message']}" if item.get("field") else item["message"]


def validate_manifest(obj: dict[str, Any]) -> list[dict[str, str]]:
    """Every problem the embedded cluster would report for creating `obj`, without raising.

    Returns causes `{"reason", "field", "message"}` (as in a 422 Status' `details.causes`),
    with unknown fields as `{"reason": "FieldValueUnknown", "message": 'unknown field "x"'}`
    and, for built-ins, a JSON type mismatch as the apiserver's decoding error (reason
    `FieldValueTypeInvalid`; the real cluster answers it with 400 before validating).
    An empty list means the cluster accepts the manifest. Render a cause with
    `describe_cause`, e.g. `spec.replicas: Invalid value: "string": spec.replicas in body must
    be of type integer: "string"`.
    """
    if not isinstance(obj, dict):
        return [cause("FieldValueInvalid", "", "a manifest must be a mapping")]
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not api_version:
        return [cause("FieldValueRequired", "apiVersion", "Required value")]
    if not kind:
        return [cause("FieldValueRequired", "kind", "Required value")]
    rt = find_kind(str(api_version), str(kind))
    if rt is None:
        message = f'no matches for kind "{kind}" in version "{api_version}"'
        return [cause("FieldValueNotSupported", "kind", message)]
    pruned, unknown = prune_unknown(rt, obj)
    found = [cause("FieldValueUnknown", path, f'unknown field "{path}"') for path in unknown]
    decode_error = _decode_error(rt, pruned)
    if decode_error is not None:
        return [*found, decode_error]
    if rt.builtin:
        apply_defaults(rt.group, rt.kind, pruned, "CREATE")
    return found + _causes(rt, pruned, None)
