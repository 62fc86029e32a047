"""Field selectors: `=`, `==` and `!=` over the fields each kind exposes, as upstream.

Which fields a kind supports, and the message for an unsupported one, follow the apiserver:
kinds with their own field-label conversion (pods, events, namespaces, ...) answer
`field label not supported: X`; the rest answer `"X" is not a known field selector: ...`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clusters.embedded.resources import ResourceType
from clusters.embedded.status import ApiError, bad_request

__all__ = ["FieldSelector", "object_fields", "parse_field_selector"]


@dataclass(frozen=True)
class FieldSelector:
    """A parsed field selector: (field, operator, value) terms that must all hold."""

    terms: tuple[tuple[str, str, str], ...] = ()

    def matches(self, fields: Mapping[str, str]) -> bool:
        for field, operator, value in self.terms:
            actual = fields.get(field, "")
            if (actual == value) != (operator == "="):
                return False
        return True

    def value_of(self, field: str) -> str | None:
        """The value an `=` term requires for `field` (e.g. metadata.name), if any."""
        return next((v for f, op, v in self.terms if f == field and op == "="), None)

    @property
    def empty(self) -> bool:
        return not self.terms


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append("\\" + char)  # kept escaped; _unescape resolves it per value
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\":
            nxt = value[index + 1 : index + 2]
            if nxt not in ("\\", ",", "=", "!"):
                raise ValueError(f"invalid field selector: invalid escape sequence: \\{nxt}")
            out.append(nxt)
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


def _split_term(term: str) -> tuple[str, str, str] | None:
    index = 0
    while index < len(term):
        if term[index] == "\\":
            index += 2
            continue
        for operator in ("!=", "==", "="):
            if term.startswith(operator, index):
                return term[:index], operator, term[index + len(operator) :]
        index += 1
    return None


def _phase(obj: Mapping[str, Any]) -> str:
    return str((obj.get("status") or {}).get("phase") or "")


def _path(*keys: str) -> Callable[[Mapping[str, Any]], str]:
    def extract(obj: Mapping[str, Any]) -> str:
        current: Any = obj
        for key in keys:
            current = current.get(key) if isinstance(current, Mapping) else None
        if isinstance(current, bool):
            return "true" if current else "false"
        return "" if current is None else str(current)

    return extract


_Extractors = dict[str, Callable[[Mapping[str, Any]], str]]
_META: _Extractors = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}
# Kinds with their own field-label conversion upstream (and its "field label not supported").
_KIND_FIELDS: dict[tuple[str, str], _Extractors] = {
    ("", "Pod"): {
        **_META,
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": lambda o: (
            "true" if (o.get("spec") or {}).get("hostNetwork") else "false"
        ),
        "status.phase": _phase,
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    ("", "Event"): {
        **_META,
        **{
            f"involvedObject.{part}": _path("involvedObject", part)
            for part in (
                "kind",
                "namespace",
                "name",
                "uid",
                "apiVersion",
                "resourceVersion",
                "fieldPath",
            )
        },
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": _path("source", "component"),
        "type": _path("type"),
    },
    ("", "Namespace"): {"metadata.name": _path("metadata", "name"), "status.phase": _phase},
    ("", "Node"): {
        "metadata.name": _path("metadata", "name"),
        "spec.unschedulable": _path("spec", "unschedulable"),
    },
    ("", "Secret"): {**_META, "type": _path("type")},
    ("apps", "ReplicaSet"): {**_META, "status.replicas": _path("status", "replicas")},
    ("batch", "Job"): {**_META, "status.successful": _path("status", "succeeded")},
}


def _fields_for(resource: ResourceType) -> tuple[_Extractors, bool]:
    """The selectable fields of a kind, and whether it has a kind-specific conversion."""
    specific = _KIND_FIELDS.get((resource.group, resource.kind))
    return (specific, True) if specific is not None else (_META, False)


def object_fields(resource: ResourceType, obj: Mapping[str, Any]) -> dict[str, str]:
    """The selectable field values of one object (missing fields read as "")."""
    extractors, _ = _fields_for(resource)
    fields = {name: extract(obj) for name, extract in extractors.items()}
    if not resource.namespaced and "metadata.namespace" in fields:
        fields["metadata.namespace"] = ""
    return fields


def parse_field_selector(text: str | None, resource: ResourceType) -> FieldSelector:
    """Parse `status.phase=Running,metadata.name!=x` for one kind; 400 on bad syntax or field."""
    if not text or not text.strip():
        return FieldSelector()
    terms: list[tuple[str, str, str]] = []
    extractors, specific = _fields_for(resource)
    try:
        for raw in _split_unescaped(text, ","):
            split = _split_term(raw)
            if split is None:
                raise ValueError(f"invalid selector: '{text}'; can't understand '{raw}'")
            field, operator, value = split
            field = field.strip()
            terms.append((field, "!=" if operator == "!=" else "=", _unescape(value)))
    except ValueError as error:
        raise bad_request(str(error)) from None
    for field, _, _ in terms:
        if field not in extractors:
            raise _unsupported_field(field, specific)
    return FieldSelector(tuple(terms))


def _unsupported_field(field: str, specific: bool) -> ApiError:
    if specific:
        return bad_request(f"field label not supported: {field}")
    return bad_request(
        f'"{field}" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )
