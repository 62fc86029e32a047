"""Tree-walking evaluator with expr v1.15.5's run-time semantics (Go numbers, panics as errors)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from clusters.embedded.rollouts.expr_builtins import call_builtin, go_compare, go_equal
from clusters.embedded.rollouts.expr_lexer import ExprError
from clusters.embedded.rollouts.expr_parser import (
    Array,
    Binary,
    Builtin,
    Call,
    Closure,
    Conditional,
    Identifier,
    Literal,
    MapLit,
    Member,
    Node,
    Pointer,
    Slice,
    Unary,
)
from clusters.embedded.rollouts.expr_types import Int64, go_type_name

__all__ = ["run"]

_MAX_RANGE = 1_000_000


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _as_bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ExprError(f"interface conversion: interface {{}} is {go_type_name(v)}, not bool")
    return v


def _int_result(a: int, b: int, value: int) -> int:
    wrapped = (value + 2**63) % 2**64 - 2**63
    return Int64(wrapped) if isinstance(a, Int64) and isinstance(b, Int64) else wrapped


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if not (_is_number(a) and _is_number(b)):
        symbol = "%" if op == "%" else op
        raise ExprError(f"invalid operation: {go_type_name(a)} {symbol} {go_type_name(b)}")
    both_int = isinstance(a, int) and isinstance(b, int)
    if op == "/":
        fa, fb = float(a), float(b)
        if fb == 0.0:
            return (
                math.nan
                if fa == 0.0 or math.isnan(fa)
                else math.copysign(math.inf, fa) * (math.copysign(1.0, fb))
            )
        return fa / fb
    if op == "%":
        if not both_int:
            raise ExprError(f"invalid operation: {go_type_name(a)} % {go_type_name(b)}")
        if b == 0:
            raise ExprError("runtime error: integer divide by zero")
        return _int_result(a, b, int(math.fmod(a, b)))
    if op in ("**", "^"):
        try:
            return math.pow(float(a), float(b))
        except (OverflowError, ValueError):
            return math.inf if float(a) > 0 else math.nan
    value = {"+": a + b, "-": a - b, "*": a * b}[op]
    return _int_result(a, b, value) if both_int else float(value)


def fetch(base: Any, key: Any) -> Any:
    """runtime.Fetch: index a list/string, look up a map key (missing -> nil)."""
    if isinstance(base, dict):
        if key is not None and not isinstance(key, str):
            raise ExprError(
                f"reflect.Value.MapIndex: value of type {go_type_name(key)} "
                "is not assignable to type string"
            )
        return base.get(key)
    if isinstance(base, list | str):
        if not _is_number(key):
            raise ExprError(f"invalid operation: int({go_type_name(key)})")
        index = int(key)
        if index < 0:
            index += len(base)
        if not 0 <= index < len(base):
            what = "string" if isinstance(base, str) else "slice"
            raise ExprError(f"reflect: {what} index out of range")
        item = base[index]
        return ord(item) if isinstance(base, str) else item
    shown = "<nil>" if key is None else key
    raise ExprError(f"cannot fetch {shown} from {go_type_name(base)}")


def _slice(base: Any, start: Any, stop: Any) -> Any:
    if not isinstance(base, list | str):
        raise ExprError(f"cannot slice {start}")
    length = len(base)
    a = 0 if start is None else int(start)
    b = length if stop is None else int(stop)
    a = max(a + length if a < 0 else a, 0)
    b = min(max(b + length if b < 0 else b, 0), length)
    return base[min(a, b) : b]


def _contains(needle: Any, haystack: Any) -> bool:
    if haystack is None:
        return False
    if isinstance(haystack, list):
        return any(go_equal(item, needle) for item in haystack)
    if isinstance(haystack, dict):
        return needle in haystack if isinstance(needle, str) else False
    raise ExprError(f'operator "in" not defined on {go_type_name(haystack)}')


def _string_op(op: str, a: Any, b: Any) -> bool:
    for v in (a, b):
        if not isinstance(v, str):
            raise ExprError(
                f"interface conversion: interface {{}} is {go_type_name(v)}, not string"
            )
    if op == "matches":
        try:
            return re.search(b, a) is not None
        except re.error as error:
            raise ExprError(f"error parsing regexp: {error}") from error
    if op == "contains":
        return b in a
    if op == "startsWith":
        return a.startswith(b)
    return a.endswith(b)


class _Runner:
    def __init__(self, env: dict[str, Any]) -> None:
        self.env = env
        self.scopes: list[dict[str, Any]] = []

    def eval(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Identifier):
            return self.env[node.name]
        if isinstance(node, Pointer):
            scope = self.scopes[-1]
            return scope["#"] if node.name == "" else scope[node.name]
        if isinstance(node, Unary):
            value = self.eval(node.node)
            if node.op in ("!", "not"):
                return not _as_bool(value)
            if not _is_number(value):
                raise ExprError(f"invalid operation: {node.op} {go_type_name(value)}")
            return -value if node.op == "-" else value
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Member):
            base = self.eval(node.node)
            if base is None and node.optional:
                return None
            return fetch(base, self.eval(node.prop))
        if isinstance(node, Slice):
            base = self.eval(node.node)
            start = None if node.start is None else self.eval(node.start)
            stop = None if node.stop is None else self.eval(node.stop)
            return _slice(base, start, stop)
        if isinstance(node, Conditional):
            return self.eval(node.yes) if _as_bool(self.eval(node.cond)) else self.eval(node.no)
        if isinstance(node, Array):
            return [self.eval(item) for item in node.items]
        if isinstance(node, MapLit):
            out: dict[Any, Any] = {}
            for key, value in node.pairs:
                out[self.eval(key)] = self.eval(value)
            return out
        if isinstance(node, Call):
            fn: Callable[..., Any] = self.eval(node.callee)
            return fn(*[self.eval(arg) for arg in node.args])
        if isinstance(node, Builtin):
            return self.builtin(node)
        raise ExprError(f"unsupported node {type(node).__name__}")

    def binary(self, node: Binary) -> Any:
        op = node.op
        if op in ("&&", "and", "||", "or"):
            left = _as_bool(self.eval(node.left))
            if (op in ("&&", "and")) != left:
                return left
            return _as_bool(self.eval(node.right))
        if op == "??":
            left = self.eval(node.left)
            return self.eval(node.right) if left is None else left
        a = self.eval(node.left)
        b = self.eval(node.right)
        if op == "==":
            return go_equal(a, b)
        if op == "!=":
            return not go_equal(a, b)
        if op in ("<", ">", "<=", ">="):
            return go_compare(op, a, b)
        if op == "in":
            return _contains(a, b)
        if op in ("matches", "contains", "startsWith", "endsWith"):
            return _string_op(op, a, b)
        if op == "..":
            if not (isinstance(a, int) and isinstance(b, int)):
                raise ExprError(f"invalid operation: {go_type_name(a)} .. {go_type_name(b)}")
            if b - a > _MAX_RANGE:
                raise ExprError("range is too large")
            return list(range(a, b + 1))
        return _arith(op, a, b)

    def builtin(self, node: Builtin) -> Any:
        name = node.name
        if not isinstance(node.args[-1], Closure) or name in ("len", "max", "min"):
            return call_builtin(name, [self.eval(arg) for arg in node.args])
        collection = self.eval(node.args[0])
        if not isinstance(collection, list):
            raise ExprError(f"cannot iterate over {go_type_name(collection)}")
        closure = node.args[1]
        assert isinstance(closure, Closure)
        body = closure.body
        results: list[Any] = []
        for index, item in enumerate(collection):
            self.scopes.append({"#": item, "index": index})
            try:
                results.append(self.eval(body))
            finally:
                self.scopes.pop()
            if name != "map" and _stop_early(name, results):
                break
        return _finish_predicate(name, collection, results)


def _stop_early(name: str, results: list[Any]) -> bool:
    last = _as_bool(results[-1])
    if name == "all":
        return not last
    if name in ("any", "find", "findIndex"):
        return last
    if name == "none":
        return last
    return False


def _finish_predicate(name: str, collection: list[Any], results: list[Any]) -> Any:
    flags = [bool(r) for r in results] if name != "map" else []
    if name == "map":
        return results
    if name == "all":
        return all(flags)
    if name == "any":
        return any(flags)
    if name == "none":
        return not any(flags)
    if name == "one":
        return flags.count(True) == 1
    if name == "count":
        return flags.count(True)
    if name == "filter":
        return [item for item, keep in zip(collection, flags, strict=False) if keep]
    if name in ("find", "findIndex"):
        for i, keep in enumerate(flags):
            if keep:
                return collection[i] if name == "find" else i
        return None if name == "find" else -1
    hits = [i for i, keep in enumerate(flags) if keep]  # findLast / findLastIndex
    if name == "findLast":
        return collection[hits[-1]] if hits else None
    return hits[-1] if hits else -1


def run(node: Node, env: dict[str, Any]) -> Any:
    """Evaluate a checked tree against env values."""
    return _Runner(env).eval(node)
