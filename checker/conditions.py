"""Evaluate AnalysisTemplate success/failure conditions the way the analysis controller does.

Uses the embedded cluster's expr engine (`clusters.embedded.rollouts.expr.evaluate`) when it is
importable, so grading agrees with the emulated controller. Otherwise a small evaluator covers
what lab conditions use: `result`, indexing, fields, numbers, strings, comparisons, `&&`/`||`/
`!`/`and`/`or`/`not`, parentheses and `asFloat`/`asInt`/`len`/`isNaN`/`isInf`.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable
from typing import Any

__all__ = ["ConditionError", "engine_name", "evaluate_condition"]


class ConditionError(Exception):
    """The condition does not compile or cannot be evaluated on the given result."""


def _load_engine() -> tuple[Callable[[str, dict[str, Any]], Any], type[Exception]] | None:
    try:
        module = importlib.import_module("clusters.embedded.rollouts.expr")
    except ImportError:
        return None
    evaluate = getattr(module, "evaluate", None)
    error = getattr(module, "ExprError", None)
    if callable(evaluate) and isinstance(error, type) and issubclass(error, Exception):
        return evaluate, error
    return None


_ENGINE = _load_engine()


def engine_name() -> str:
    """`embedded` when the cluster's expr engine is used, else `builtin-subset`."""
    return "embedded" if _ENGINE is not None else "builtin-subset"


def evaluate_condition(expression: str, result: Any) -> bool:
    """True/False for `expression` with `result` bound; ConditionError when it cannot decide."""
    if _ENGINE is not None:
        evaluate, expr_error = _ENGINE
        try:
            value = evaluate(expression, {"result": result})
        except expr_error as error:
            raise ConditionError(str(error)) from error
        except Exception as error:  # engine bugs must not crash grading
            raise ConditionError(f"{type(error).__name__}: {error}") from error
    else:
        value = _Parser(expression, result).run()
    if not isinstance(value, bool):
        raise ConditionError(f"expected bool, but got {type(value).__name__}")
    return value


_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)|(?P<str>'[^']*'|\"[^\"]*\")"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>&&|\|\||==|!=|<=|>=|[<>!()\[\].,+\-*/]))"
)
_BINARY = {
    "||": 1,
    "or": 1,
    "&&": 2,
    "and": 2,
    "==": 3,
    "!=": 3,
    "<": 4,
    ">": 4,
    "<=": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise ConditionError(f"asFloat: cannot convert {value!r}") from error


def _as_int(value: Any) -> int:
    if _number(value):
        return int(value)
    try:
        return int(str(value), 10)
    except ValueError as error:
        raise ConditionError(f"asInt: cannot convert {value!r}") from error


_FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "asFloat": _as_float,
    "asInt": _as_int,
    "len": lambda v: len(v) if isinstance(v, str | list | dict) else _bad("len", v),
    "isNaN": lambda v: isinstance(v, float) and math.isnan(v),
    "isInf": lambda v: isinstance(v, float) and math.isinf(v),
}


def _bad(name: str, value: Any) -> Any:
    raise ConditionError(f"invalid argument for {name} (type {type(value).__name__})")


class _Parser:
    """Precedence-climbing evaluator over the token list; no Python eval anywhere."""

    def __init__(self, text: str, result: Any) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise ConditionError(f"unexpected character at {position}: {text[position]!r}")
            kind = match.lastgroup or "op"
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.index = 0
        self.result = result

    def run(self) -> Any:
        if not self.tokens:
            raise ConditionError("empty expression")
        value = self.expression(0)
        if self.index != len(self.tokens):
            raise ConditionError(f"unexpected token {self.tokens[self.index][1]!r}")
        return value

    def peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise ConditionError("unexpected end of expression")
        token = self.tokens[self.index]
        if expected is not None and token[1] != expected:
            raise ConditionError(f"expected {expected!r}, got {token[1]!r}")
        self.index += 1
        return token

    def expression(self, floor: int) -> Any:
        left = self.unary()
        while (op := self.peek()) in _BINARY and _BINARY[op] > floor:
            self.take()
            right = self.expression(_BINARY[op])
            left = _apply(op, left, right)
        return left

    def unary(self) -> Any:
        if self.peek() in ("!", "not"):
            self.take()
            value = self.unary()
            if not isinstance(value, bool):
                raise ConditionError("invalid operation: ! on a non-bool")
            return not value
        if self.peek() == "-":
            self.take()
            value = self.unary()
            if not _number(value):
                raise ConditionError("invalid operation: - on a non-number")
            return -value
        return self.postfix(self.primary())

    def primary(self) -> Any:
        kind, text = self.take()
        if kind == "num":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "str":
            return text[1:-1]
        if text == "(":
            value = self.expression(0)
            self.take(")")
            return value
        if kind == "name":
            if text in ("true", "false"):
                return text == "true"
            if text in ("nil", "null"):
                return None
            if text == "result":
                return self.result
            if text in _FUNCTIONS and self.peek() == "(":
                self.take("(")
                argument = self.expression(0)
                self.take(")")
                return _FUNCTIONS[text](argument)
            raise ConditionError(f"unknown name {text}")
        raise ConditionError(f"unexpected token {text!r}")

    def postfix(self, value: Any) -> Any:
        while self.peek() in (".", "["):
            if self.take()[1] == ".":
                key = self.take()[1]
                value = value.get(key) if isinstance(value, dict) else _bad(f"field {key}", value)
            else:
                index = self.expression(0)
                self.take("]")
                value = _index(value, index)
        return value


def _index(value: Any, index: Any) -> Any:
    if isinstance(value, dict):
        return value.get(index)
    if isinstance(value, list) and _number(index):
        position = int(index)
        if not -len(value) <= position < len(value):
            raise ConditionError(f"index out of range: {position} (array length is {len(value)})")
        return value[position]
    return _bad("index", value)


def _apply(op: str, left: Any, right: Any) -> Any:
    if op in ("&&", "and", "||", "or"):
        if not isinstance(left, bool) or not isinstance(right, bool):
            raise ConditionError(f"invalid operation: {op} needs bool operands")
        return (left and right) if op in ("&&", "and") else (left or right)
    if op == "==":
        return left == right and (_number(left) == _number(right))
    if op == "!=":
        return not (left == right and (_number(left) == _number(right)))
    comparable = (_number(left) and _number(right)) or (
        isinstance(left, str) and isinstance(right, str)
    )
    if not comparable:
        raise ConditionError(
            f"invalid operation: {_go_type(left)} {op} {_go_type(right)} (mismatched types)"
        )
    if op in ("<", ">", "<=", ">="):
        return {"<": left < right, ">": left > right, "<=": left <= right, ">=": left >= right}[op]
    if isinstance(left, str):
        if op == "+":
            return left + right
        raise ConditionError(f"invalid operation: string {op} string")
    if op == "/" and right == 0:
        return math.inf
    return {"+": left + right, "-": left - right, "*": left * right, "/": left / right}[op]


def _go_type(value: Any) -> str:
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "[]interface {}"
    return "map[string]interface {}"
