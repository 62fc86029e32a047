"""Label and field selectors as the apiserver parses them, with its error messages.

Label selectors follow apimachinery's grammar (equality, set-based `in`/`notin`, `key`,
`!key`, `gt`/`lt`); field selectors support `=`, `==` and `!=` over the fields each kind
exposes. Parse errors raise a 400 `ApiError` whose message reads like the real server's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from clusters.embedded.selectors_fields import (
    FieldSelector,
    object_fields,
    parse_field_selector,
)
from clusters.embedded.status import bad_request

__all__ = [
    "FieldSelector",
    "LabelSelector",
    "object_fields",
    "parse_field_selector",
    "parse_label_selector",
]

_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_NAME_REGEX_TEXT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_VALUE_REGEX_TEXT = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?"
_BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt"
_SPECIAL = "=!(),<>"


@dataclass(frozen=True)
class _Requirement:
    key: str
    operator: str  # exists, !, =, !=, in, notin, gt, lt
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if self.operator in ("=", "in"):
            return present and labels[self.key] in self.values
        if self.operator in ("!=", "notin"):
            return not present or labels[self.key] not in self.values
        if not present:
            return False
        try:
            actual = int(labels[self.key])
        except ValueError:
            return False
        bound = int(self.values[0])
        return actual > bound if self.operator == "gt" else actual < bound


@dataclass(frozen=True)
class LabelSelector:
    """A parsed label selector: all requirements must hold (empty selects everything)."""

    requirements: tuple[_Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(req.matches(labels) for req in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def _tokenize(text: str) -> list[tuple[str, str]]:
    """Split a label selector into (kind, literal) tokens; kind is the literal for operators."""
    tokens: list[tuple[str, str]] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in _SPECIAL:
            pair = text[index : index + 2]
            if pair in ("!=", "=="):
                tokens.append((pair, pair))
                index += 2
            else:
                tokens.append((char, char))
                index += 1
        else:
            end = index
            while end < len(text) and not text[end].isspace() and text[end] not in _SPECIAL:
                end += 1
            tokens.append(("id", text[index:end]))
            index = end
    tokens.append(("end", ""))
    return tokens


def _key_error(key: str) -> str | None:
    """apimachinery's qualified-name check for label keys; None when valid."""
    prefix, _, name = key.rpartition("/")
    if "/" in key and not prefix:
        return "prefix part must be non-empty"
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return (
            "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
            "characters, '-' or '.', and must start and end with an alphanumeric character"
        )
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    if not _NAME_PART.match(name):
        return (
            "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or "
            f"'123-abc', regex used for validation is '{_NAME_REGEX_TEXT}')"
        )
    return None


def _value_error(value: str) -> str | None:
    if value == "":
        return None
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not _NAME_PART.match(value):
        return (
            "a valid label must be an empty string or consist of alphanumeric characters, '-', "
            "'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  "
            f"or 'my_value',  or '12345', regex used for validation is '{_VALUE_REGEX_TEXT}')"
        )
    return None


class _LabelParser:
    """Recursive-descent parser mirroring apimachinery's selector parser and messages."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.position = 0

    def peek(self, values_mode: bool = False) -> tuple[str, str]:
        kind, literal = self.tokens[self.position]
        if not values_mode and kind == "id" and literal in ("in", "notin"):
            return literal, literal
        return kind, literal

    def take(self, values_mode: bool = False) -> tuple[str, str]:
        token = self.peek(values_mode)
        self.position += 1
        return token

    def parse(self) -> list[_Requirement]:
        requirements: list[_Requirement] = []
        while True:
            kind, literal = self.peek(values_mode=True)
            if kind == "end":
                return requirements
            if kind not in ("id", "!"):
                raise ValueError(f"found '{literal}', expected: !, identifier, or 'end of string'")
            try:
                requirements.append(self.requirement())
            except ValueError as error:
                raise ValueError(f"unable to parse requirement: {error}") from None
            kind, literal = self.take(values_mode=True)
            if kind == "end":
                return requirements
            if kind != ",":
                raise ValueError(f"found '{literal}', expected: ',' or 'end of string'")
            kind, literal = self.peek(values_mode=True)
            if kind not in ("id", "!"):
                raise ValueError(f"found '{literal}', expected: identifier after ','")

    def requirement(self) -> _Requirement:
        negated = False
        if self.peek(values_mode=True)[0] == "!":
            self.take()
            negated = True
        kind, key = self.take(values_mode=True)
        if kind != "id":
            raise ValueError(f"found '{key}', expected: identifier")
        problem = _key_error(key)
        if problem:
            raise ValueError(f'key: Invalid value: "{key}": {problem}')
        if negated:
            return _Requirement(key, "!")
        if self.peek()[0] in (",", "end"):
            return _Requirement(key, "exists")
        kind, literal = self.take()
        operator = {"=": "=", "==": "=", "!=": "!=", "in": "in", "notin": "notin"}.get(kind)
        if kind == "id" and literal in ("gt", "lt"):
            operator = literal
        if kind in (">", "<"):
            operator = "gt" if kind == ">" else "lt"
        if operator is None:
            raise ValueError(f"found '{literal}', expected: {_BINARY_OPERATORS}")
        values = self.set_values() if operator in ("in", "notin") else self.exact_value()
        if operator in ("gt", "lt"):
            if len(values) != 1 or not re.fullmatch(r"-?\d+", values[0]):
                raise ValueError(
                    f"values: Invalid value: \"{values[0] if values else ''}\": for 'Gt', "
                    "'Lt' operators, the value must be an integer"
                )
        else:
            for index, value in enumerate(values):
                problem = _value_error(value)
                if problem:
                    raise ValueError(f'values[{index}][{key}]: Invalid value: "{value}": {problem}')
        return _Requirement(key, operator, values)

    def exact_value(self) -> tuple[str, ...]:
        kind, literal = self.peek(values_mode=True)
        if kind in ("end", ","):
            return ("",)
        self.take(values_mode=True)
        if kind != "id":
            raise ValueError(f"found '{literal}', expected: identifier")
        return (literal,)

    def set_values(self) -> tuple[str, ...]:
        kind, literal = self.take(values_mode=True)
        if kind != "(":
            raise ValueError(f"found '{literal}' expected: '('")
        values: list[str] = []
        kind, literal = self.peek(values_mode=True)
        if kind == ")":
            self.take()
            return ("",)
        while True:
            kind, literal = self.take(values_mode=True)
            if kind == "id":
                values.append(literal)
            elif kind in (",", ")"):
                values.append("")  # an empty member, as in `in (a,,b)` or `in (a,)`
                self.position -= 1
            else:
                raise ValueError(f"found '{literal}', expected: ',', or identifier")
            kind, literal = self.take(values_mode=True)
            if kind == ")":
                return tuple(values)
            if kind != ",":
                raise ValueError(f"found '{literal}', expected: ',' or ')'")


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `app=web,tier in (a,b),!canary`; raises a 400 ApiError on bad syntax."""
    if not text or not text.strip():
        return LabelSelector()
    try:
        requirements = _LabelParser(text).parse()
    except ValueError as error:
        raise bad_request(str(error)) from None
    return LabelSelector(tuple(requirements))
