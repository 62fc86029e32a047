"""Kubernetes JSONPath (client-go `util/jsonpath`) as the web metric provider applies it.

Why our own: PyPI JSONPath libraries implement Goessner/RFC 9535 syntax (`$.a.b`, no `{}`
template, no literal text, different errors); upstream uses the k8s template dialect where
`{$.a}` selects, text outside braces is literal output, and a missing key is the error
`<key> is not found`. This module parses that dialect and returns every node's results, so
the caller can take the first one as upstream's web provider does. Supported: text, `$`/`@`,
`.field`, `['key']`, `[n]`, `[a:b:c]`, `[*]`, `.*`, unions `[0,2]`, `..` recursive descent,
filters `[?(@.k == 'v')]`, quoted literals, numbers and booleans. `range`/`end` (printing
loops) are rejected. Past 400 lines on purpose: the parser and evaluator of one small
language read best side by side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["JSONPath", "JSONPathError", "go_type_name"]

_DICT_KEY = re.compile(r"^'([^']*)'$")
_SLICE = re.compile(r"^(-?\d*)(:-?\d*)?(:-?\d*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=~]+)(.+?)$")


class JSONPathError(ValueError):
    """A template that does not parse, or a path that does not match the data."""


@dataclass
class _Param:
    value: int = 0
    known: bool = False
    derived: bool = False


@dataclass
class _Node:
    kind: str
    value: Any = None
    nodes: list[_Node] = field(default_factory=list)
    params: list[_Param] = field(default_factory=list)
    right: _Node | None = None


def _terminator(char: str) -> bool:
    return char == "" or char in " \t\r\n.,[]$@{}"


def _alnum(char: str) -> bool:
    return char == "_" or char.isalnum()


class _Parser:
    """A port of the state machine of client-go's jsonpath parser (positions, not runes)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.start = 0
        self.root = _Node("list")

    def next(self) -> str:
        if self.pos >= len(self.text):
            self.pos += 1
            return ""
        char = self.text[self.pos]
        self.pos += 1
        return char

    def backup(self) -> None:
        self.pos -= 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def consume(self) -> str:
        value = self.text[self.start : min(self.pos, len(self.text))]
        self.start = self.pos
        return value

    def parse(self) -> _Node:
        self.parse_text(self.root)
        return self.root

    def parse_text(self, cur: _Node) -> None:
        while True:
            if self.text.startswith("{", self.pos):
                if self.pos > self.start:
                    cur.nodes.append(_Node("text", self.consume()))
                self.pos += 1
                self.consume()
                action = _Node("list")
                cur.nodes.append(action)
                self.parse_inside(action)
                return
            if self.next() == "":
                self.pos = len(self.text)
                break
        if self.pos > self.start:
            cur.nodes.append(_Node("text", self.consume()))

    def parse_inside(self, cur: _Node) -> None:
        while True:
            rest = self.text[self.pos :]
            if rest.startswith("}"):
                self.pos += 1
                self.consume()
                self.parse_text(self.root)
                return
            if rest.startswith("[?("):
                self.parse_filter(cur)
                continue
            if rest.startswith(".."):
                if cur.nodes and cur.nodes[-1].kind == "recursive":
                    raise JSONPathError("invalid multiple recursive descent")
                self.pos += 2
                self.consume()
                cur.nodes.append(_Node("recursive"))
                if _alnum(self.peek()):
                    self.parse_field(cur)
                continue
            char = self.next()
            if char == "" or char in "\r\n":
                raise JSONPathError("unclosed action")
            if char in " @$":
                self.consume()
            elif char == "[":
                self.parse_array(cur)
            elif char in "\"'":
                self.parse_quote(cur, char)
            elif char == ".":
                self.parse_field(cur)
            elif char in "+-" or char.isdigit():
                self.backup()
                self.parse_number(cur)
            elif _alnum(char):
                self.backup()
                self.parse_identifier(cur)
            else:
                raise JSONPathError(f"unrecognized character in action: U+{ord(char):04X} '{char}'")

    def parse_identifier(self, cur: _Node) -> None:
        while not _terminator(self.next()):
            pass
        self.backup()
        value = self.consume()
        if value in ("true", "false"):
            cur.nodes.append(_Node("literal", value == "true"))
        else:
            cur.nodes.append(_Node("identifier", value))

    def parse_number(self, cur: _Node) -> None:
        if self.peek() in ("+", "-"):
            self.next()
        while True:
            char = self.next()
            if char != "." and not char.isdigit():
                self.backup()
                break
        value = self.consume()
        try:
            cur.nodes.append(_Node("literal", int(value)))
            return
        except ValueError:
            pass
        try:
            cur.nodes.append(_Node("literal", float(value)))
        except ValueError:
            raise JSONPathError(f"cannot parse number {value}") from None

    def parse_field(self, cur: _Node) -> None:
        self.consume()
        while True:
            char = self.next()
            if char == "\\":
                self.next()
            elif _terminator(char):
                self.backup()
                break
        value = self.consume()
        if value == "*":
            cur.nodes.append(_Node("wildcard"))
        else:
            cur.nodes.append(_Node("field", value.replace("\\", "")))

    def parse_quote(self, cur: _Node, end: str) -> None:
        while True:
            char = self.next()
            if char == "" or char == "\n":
                raise JSONPathError("unterminated quoted string")
            if char == end and self.text[self.pos - 2] != "\\":
                break
        value = self.consume()
        inner = value[1:-1]
        cur.nodes.append(_Node("text", inner.replace("\\" + end, end)))

    def parse_array(self, cur: _Node) -> None:
        while True:
            char = self.next()
            if char == "" or char == "\n":
                raise JSONPathError("unterminated array")
            if char == "]":
                break
        text = self.consume()[1:-1]
        if text == "*":
            text = ":"
        parts = text.split(",")
        if len(parts) > 1:
            union = [_sub_parse(f"[{part.strip(' ')}]") for part in parts]
            cur.nodes.append(_Node("union", nodes=union))
            return
        key = _DICT_KEY.match(text)
        if key:
            cur.nodes.extend(_sub_parse("." + key.group(1)).nodes)
            return
        match = _SLICE.match(text)
        if match is None:
            raise JSONPathError(f"invalid array index {text}")
        groups = list(match.groups())
        params = [_Param(), _Param(), _Param()]
        for i in range(3):
            raw = groups[i] or ""
            if raw:
                if i > 0:
                    raw = raw[1:]
                if i > 0 and raw == "":
                    params[i].known = False
                else:
                    params[i] = _Param(int(raw), True)
            elif i == 1:
                params[i] = _Param(params[0].value + 1, True, True)
        cur.nodes.append(_Node("array", params=params))

    def parse_filter(self, cur: _Node) -> None:
        self.pos += 3
        self.consume()
        begin = end = False
        pair = ""
        while True:
            char = self.next()
            if char == "" or char == "\n":
                raise JSONPathError("unterminated filter")
            if char in "\"'":
                if not begin:
                    begin, pair = True, char
                    continue
                if self.text[self.pos - 2] != "\\" and char == pair:
                    end = True
            elif char == ")" and begin == end:
                break
        if self.next() != "]":
            raise JSONPathError("unclosed array expect ]")
        text = self.consume()[:-2]
        match = _FILTER.match(text)
        if match is None:
            cur.nodes.append(
                _Node("filter", "exists", nodes=[_sub_parse(text)], right=_Node("list"))
            )
        else:
            left, op, right = match.groups()
            cur.nodes.append(_Node("filter", op, nodes=[_sub_parse(left)], right=_sub_parse(right)))


def _sub_parse(text: str) -> _Node:
    parser = _Parser("{" + text + "}")
    root = parser.parse()
    return root.nodes[0]


def go_type_name(value: Any) -> str:
    """Go's name for the type a decoded JSON value has."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    if isinstance(value, dict):
        return "map[string]interface {}"
    return "<nil>"


class JSONPath:
    """A parsed template; `find_results(data)` gives each top-level node's list of values."""

    def __init__(self, template: str) -> None:
        self.template = template
        self._root = _Parser(template).parse()

    def find_results(self, data: Any) -> list[list[Any]]:
        results = []
        for node in self._root.nodes:
            results.append(self._walk([data], node))
        return results

    def first_value(self, data: Any) -> Any:
        """The first value among all results (upstream's getValue); LookupError when none."""
        for values in self.find_results(data):
            for value in values:
                return value
        raise LookupError("result of web metric produced no value")

    def _walk(self, values: list[Any], node: _Node) -> list[Any]:
        kind = node.kind
        if kind == "list":
            current = values
            for child in node.nodes:
                current = self._walk(current, child)
            return current
        if kind == "text":
            return [node.value]
        if kind == "literal":
            return [node.value for _ in values]
        if kind == "field":
            return _eval_field(values, node.value)
        if kind == "array":
            return _eval_array(values, node.params)
        if kind == "union":
            out: list[Any] = []
            for child in node.nodes:
                out.extend(self._walk(values, child))
            return out
        if kind == "wildcard":
            return [item for value in values for item in _children(value)]
        if kind == "recursive":
            return _eval_recursive(values)
        if kind == "filter":
            return self._eval_filter(values, node)
        if kind == "identifier":
            if node.value in ("range", "end"):
                raise JSONPathError(f"{node.value} is not supported in an analysis jsonPath")
            raise JSONPathError(f"unrecognized identifier {node.value}")
        raise JSONPathError(f"unexpected Node {kind}")

    def _eval_filter(self, values: list[Any], node: _Node) -> list[Any]:
        out = []
        for value in values:
            if not isinstance(value, list):
                raise JSONPathError(f"{value} is not array or slice and cannot be filtered")
            for item in value:
                try:
                    lefts = self._walk([item], node.nodes[0])
                except JSONPathError:
                    if node.value == "exists":
                        continue
                    raise
                if node.value == "exists":
                    if lefts:
                        out.append(item)
                    continue
                if not lefts:
                    continue
                if len(lefts) > 1:
                    raise JSONPathError("can only compare one element at a time")
                assert node.right is not None
                rights = self._walk([item], node.right)
                if not rights:
                    continue
                if len(rights) > 1:
                    raise JSONPathError("can only compare one element at a time")
                if _compare(node.value, lefts[0], rights[0]):
                    out.append(item)
        return out


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    if isinstance(value, str):
        return list(value.encode())
    return []


def _eval_field(values: list[Any], name: str) -> list[Any]:
    if not values:
        return []
    out = []
    for value in values:
        if isinstance(value, dict) and name in value:
            out.append(value[name])
    if not out:
        raise JSONPathError(f"{name} is not found")
    return out


def _eval_array(values: list[Any], template: list[_Param]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value is None:
            continue
        if not isinstance(value, list):
            raise JSONPathError(f"{go_type_name(value)} is not array or slice")
        start, stop, step = (_Param(p.value, p.known, p.derived) for p in template)
        length = len(value)
        if not start.known:
            start.value = 0
        if start.value < 0:
            start.value += length
        if not stop.known:
            stop.value = length
        if stop.value < 0 or (stop.value == 0 and stop.derived):
            stop.value += length
        if stop.value == start.value:
            return out
        if start.value >= length or start.value < 0:
            raise JSONPathError(f"array index out of bounds: index {start.value}, length {length}")
        if stop.value > length or stop.value < 0:
            raise JSONPathError(
                f"array index out of bounds: index {stop.value - 1}, length {length}"
            )
        if start.value > stop.value:
            raise JSONPathError(
                f"starting index {start.value} is greater than ending index {stop.value}"
            )
        stride = 1
        if step.known:
            if step.value <= 0:
                raise JSONPathError("step must be > 0")
            stride = step.value
        out.extend(value[start.value : stop.value][::stride])
    return out


def _eval_recursive(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for value in values:
        if value is None:
            continue
        children = _children(value)
        if children:
            out.append(value)
            out.extend(_eval_recursive(children))
    return out


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "=~":
        if not isinstance(left, str) or not isinstance(right, str):
            raise JSONPathError("regexp search only support string now")
        return re.search(right, left) is not None
    numbers = (int, float)
    comparable = (
        isinstance(left, numbers)
        and isinstance(right, numbers)
        and not isinstance(left, bool)
        and not isinstance(right, bool)
    ) or (type(left) is type(right))
    if op == "==":
        return comparable and left == right
    if op == "!=":
        return not (comparable and left == right)
    if not comparable or isinstance(left, bool | dict | list) or left is None:
        raise JSONPathError(f"incompatible types for comparison: {left!r} {op} {right!r}")
    return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]
