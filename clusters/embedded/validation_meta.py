"""ObjectMeta checks the apiserver makes in Go code (names, labels, annotations), with its
exact messages; JSON schemas cannot express them."""

from __future__ import annotations

import json
import re
from typing import Any

from clusters.embedded.resources import ResourceType

__all__ = [
    "DNS1035_LABEL_ERROR",
    "DNS1123_LABEL_ERROR",
    "DNS1123_SUBDOMAIN_ERROR",
    "cause",
    "format_value",
    "invalid_cause",
    "metadata_causes",
]

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = _DNS1123_LABEL + r"(\." + _DNS1123_LABEL + ")*"
_DNS1035_LABEL = "[a-z]([-a-z0-9]*[a-z0-9])?"
_QUALIFIED_NAME = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = "(" + _QUALIFIED_NAME + ")?"
_ANNOTATIONS_MAX_BYTES = 256 * 1024


def _regex_error(message: str, regex: str, *examples: str) -> str:
    """The apimachinery `RegexError` text (its double space before "or" included)."""
    if not examples:
        return f"{message} (regex used for validation is '{regex}')"
    listed = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {listed}regex used for validation is '{regex}')"


DNS1123_LABEL_ERROR = _regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character",
    _DNS1123_LABEL,
    "my-name",
    "123-abc",
)
DNS1123_SUBDOMAIN_ERROR = _regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
    "or '.', and must start and end with an alphanumeric character",
    _DNS1123_SUBDOMAIN,
    "example.com",
)
DNS1035_LABEL_ERROR = _regex_error(
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
    "an alphabetic character, and end with an alphanumeric character",
    _DNS1035_LABEL,
    "my-name",
    "abc-123",
)
_QUALIFIED_NAME_ERROR = _regex_error(
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
    "end with an alphanumeric character",
    _QUALIFIED_NAME,
    "MyName",
    "my.name",
    "123-abc",
)
_LABEL_VALUE_ERROR = _regex_error(
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
    "or '.', and must start and end with an alphanumeric character",
    _LABEL_VALUE,
    "MyValue",
    "my_value",
    "12345",
)


def format_value(value: Any) -> str:
    """A value as apiserver messages print it: strings quoted, numbers bare, maps as JSON."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def cause(reason: str, field: str, message: str) -> dict[str, str]:
    """A `details.causes[]` entry."""
    return {"reason": reason, "message": message, "field": field}


def invalid_cause(field: str, value: Any, detail: str) -> dict[str, str]:
    return cause("FieldValueInvalid", field, f"Invalid value: {format_value(value)}: {detail}")


def _name_errors(value: str, kind: str) -> list[str]:
    if kind == "label":
        errors = [] if re.fullmatch(_DNS1123_LABEL, value) else [DNS1123_LABEL_ERROR]
        if len(value) > 63:
            errors.insert(0, "must be no more than 63 characters")
        return errors
    if kind == "dns1035":
        errors = [] if re.fullmatch(_DNS1035_LABEL, value) else [DNS1035_LABEL_ERROR]
        if len(value) > 63:
            errors.insert(0, "must be no more than 63 characters")
        return errors
    errors = [] if re.fullmatch(_DNS1123_SUBDOMAIN, value) else [DNS1123_SUBDOMAIN_ERROR]
    if len(value) > 253:
        errors.insert(0, "must be no more than 253 characters")
    return errors


def _qualified_name_errors(key: str) -> list[str]:
    prefix, _, name = key.rpartition("/")
    errors: list[str] = []
    if "/" in key and not prefix:
        errors.append("prefix part must be non-empty")
    elif prefix:
        errors.extend(f"prefix part {error}" for error in _name_errors(prefix, "subdomain"))
    if not name:
        errors.append("name part must be non-empty")
    else:
        if len(name) > 63:
            errors.append("name part must be no more than 63 characters")
        if not re.fullmatch(_QUALIFIED_NAME, name):
            errors.append(_QUALIFIED_NAME_ERROR)
    return errors


def _name_rule(rt: ResourceType) -> str:
    if rt.kind == "Namespace":
        return "label"
    if rt.kind == "Service":
        return "dns1035"
    return "subdomain"


def metadata_causes(rt: ResourceType, metadata: Any) -> list[dict[str, str]]:
    """Name, generateName, namespace, labels and annotations checks for one object."""
    if not isinstance(metadata, dict):
        return []
    causes: list[dict[str, str]] = []
    name = metadata.get("name")
    if not name and not metadata.get("generateName"):
        causes.append(
            cause(
                "FieldValueRequired",
                "metadata.name",
                "Required value: name or generateName is required",
            )
        )
    elif isinstance(name, str) and name:
        for error in _name_errors(name, _name_rule(rt)):
            causes.append(invalid_cause("metadata.name", name, error))
    namespace = metadata.get("namespace")
    if isinstance(namespace, str) and namespace:
        if not rt.namespaced:
            causes.append(
                cause(
                    "FieldValueForbidden",
                    "metadata.namespace",
                    "Forbidden: not allowed on this type",
                )
            )
        else:
            for error in _name_errors(namespace, "label"):
                causes.append(invalid_cause("metadata.namespace", namespace, error))
    labels = metadata.get("labels") or {}
    if isinstance(labels, dict):
        for key, value in labels.items():
            for error in _qualified_name_errors(str(key)):
                causes.append(invalid_cause("metadata.labels", key, error))
            text = value if isinstance(value, str) else str(value)
            if len(text) > 63:
                causes.append(
                    invalid_cause("metadata.labels", text, "must be no more than 63 characters")
                )
            if not re.fullmatch(_LABEL_VALUE, text):
                causes.append(invalid_cause("metadata.labels", text, _LABEL_VALUE_ERROR))
    annotations = metadata.get("annotations") or {}
    if isinstance(annotations, dict):
        total = 0
        for key, value in annotations.items():
            total += len(str(key)) + len(str(value))
            for error in _qualified_name_errors(str(key).lower()):
                causes.append(invalid_cause("metadata.annotations", key, error))
        if total > _ANNOTATIONS_MAX_BYTES:
            causes.append(
                cause(
                    "FieldValueTooLong",
                    "metadata.annotations",
                    f"Too long: may not be more than {_ANNOTATIONS_MAX_BYTES} bytes",
                )
            )
    return causes
