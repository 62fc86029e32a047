"""Go value semantics for expr: equality, ordering, `%v` formatting and the builtin functions."""

from __future__ import annotations

import math
import re
from typing import Any

from clusters.embedded.rollouts.expr_lexer import ExprError
from clusters.embedded.rollouts.expr_types import Float64Slice, go_type_name

__all__ = ["call_builtin", "go_compare", "go_equal", "go_format"]

_GO_INT = re.compile(r"[+-]?[0-9]+\Z")
_GO_FLOAT = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)\Z", re.I
)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _deep_equal(a: Any, b: Any) -> bool:
    """reflect.DeepEqual: same Go type required, containers compared element-wise."""
    if go_type_name(a) != go_type_name(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_deep_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_deep_equal(a[k], b[k]) for k in a)
    return bool(a == b)


def go_equal(a: Any, b: Any) -> bool:
    """runtime.Equal: numbers compare by value across int/float; otherwise deep equality."""
    if _is_number(a) and _is_number(b):
        return bool(a == b)
    if a is None and b is None:
        return True
    return _deep_equal(a, b)


def go_compare(op: str, a: Any, b: Any) -> bool:
    """runtime.Less/More/...: numbers with numbers, strings with strings, else a panic."""
    if (_is_number(a) and _is_number(b)) or (isinstance(a, str) and isinstance(b, str)):
        if op == "<":
            return bool(a < b)
        if op == ">":
            return bool(a > b)
        if op == "<=":
            return bool(a <= b)
        return bool(a >= b)
    raise ExprError(f"invalid operation: {go_type_name(a)} {op} {go_type_name(b)}")


def _format_float(f: float) -> str:
    """strconv.FormatFloat(f, 'g', -1, 64): shortest digits, exponent if exp < -4 or >= 6."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "+Inf" if f > 0 else "-Inf"
    if f == 0:
        return "-0" if math.copysign(1.0, f) < 0 else "0"
    digits = repr(abs(f))
    # repr gives the shortest round-trip digits; rebuild them in Go's %v layout.
    if "e" in digits:
        mant, _, e = digits.partition("e")
        exp = int(e)
        body = mant.replace(".", "").rstrip("0") or "0"
    else:
        whole, _, frac = digits.partition(".")
        frac = frac.rstrip("0")
        body_raw = (whole + frac).lstrip("0")
        exp = len(whole) - 1 if whole != "0" else -(len(frac) - len(frac.lstrip("0")) + 1)
        body = body_raw.rstrip("0") or "0"
    sign = "-" if f < 0 else ""
    if exp < -4 or exp >= 6:
        rest = body[1:]
        mant = body[0] + ("." + rest if rest else "")
        return f"{sign}{mant}e{'+' if exp >= 0 else '-'}{abs(exp):02d}"
    if exp >= len(body) - 1:
        return sign + body + "0" * (exp - len(body) + 1)
    if exp >= 0:
        return sign + body[: exp + 1] + "." + body[exp + 1 :]
    return sign + "0." + "0" * (-exp - 1) + body


def go_format(v: Any) -> str:
    """fmt's %v of a value (floats in shortest form, lists as [a b], maps as map[k:v])."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return _format_float(v)
    if isinstance(v, list):
        return "[" + " ".join(go_format(x) for x in v) + "]"
    if isinstance(v, dict):
        return "map[" + " ".join(f"{k}:{go_format(v[k])}" for k in sorted(v)) + "]"
    return str(v)


def _numbers(name: str, values: list[Any]) -> list[float | int]:
    out: list[float | int] = []
    for item in values:
        if not _is_number(item):
            raise ExprError(f"cannot {name} {_kind_name(item)}")
        out.append(item)
    return out


def _kind_name(v: Any) -> str:
    """reflect.Kind's name of a value."""
    if v is None:
        return "invalid"
    name = go_type_name(v)
    if name.startswith("[]"):
        return "slice"
    if name.startswith("map["):
        return "map"
    return name


def _go_round(x: float) -> float:
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def _to_int(x: Any) -> int:
    if isinstance(x, str):
        if not _GO_INT.match(x):
            raise ExprError(f"invalid operation: int({x})")
        return int(x)
    if _is_number(x):
        return int(x)
    raise ExprError(f"invalid operation: int({go_type_name(x)})")


def _to_float(x: Any) -> float:
    if isinstance(x, str):
        if not _GO_FLOAT.match(x):
            raise ExprError(f"invalid operation: float({x})")
        return float(x)
    if _is_number(x):
        return float(x)
    raise ExprError(f"invalid operation: float({go_type_name(x)})")


def _extreme(name: str, args: list[Any]) -> Any:
    best: Any = None
    for arg in args:
        if best is None or go_compare("<" if name == "max" else ">", best, arg):
            best = arg
    return best


def call_builtin(name: str, args: list[Any]) -> Any:
    """Run one non-predicate builtin with Go semantics."""
    first: Any = args[0] if args else None
    if name == "len":
        if isinstance(first, str):
            return len(first.encode())
        if isinstance(first, list | dict):
            return len(first)
        raise ExprError(f"invalid argument for len (type {go_type_name(first)})")
    if name in ("abs", "ceil", "floor", "round"):
        if not _is_number(first):
            raise ExprError(f"invalid argument for {name} (type {go_type_name(first)})")
        if name == "abs":
            return abs(first)
        if math.isinf(first) or math.isnan(first):
            return float(first)
        if name == "ceil":
            return float(math.ceil(first))
        return float(math.floor(first)) if name == "floor" else _go_round(first)
    if name == "int":
        return _to_int(first)
    if name == "float":
        return _to_float(first)
    if name in ("max", "min"):
        return _extreme(name, args)
    if name == "string":
        return go_format(first)
    if name == "type":
        kinds = {"bool": "bool", "int": "int", "int64": "int", "float64": "float"}
        return kinds.get(_kind_name(first), {"slice": "array"}.get(_kind_name(first), "nil"
                         if first is None else _kind_name(first)))  # fmt: skip
    if name in ("upper", "lower", "trim", "split"):
        if not all(isinstance(a, str) for a in args):
            raise ExprError(f"invalid argument for {name}")
        if name == "upper":
            return first.upper()
        if name == "lower":
            return first.lower()
        if name == "trim":
            return first.strip(args[1]) if len(args) > 1 else first.strip(" \t\n\v\f\r")
        return first.split(args[1]) if args[1] else list(first)
    if name in ("sum", "mean", "median"):
        if not isinstance(first, list):
            raise ExprError(f"cannot {name} {_kind_name(first)}")
        values = _numbers(name, first)
        if name == "sum":
            return (
                float(math.fsum(values))
                if any(isinstance(v, float) for v in values) or (isinstance(first, Float64Slice))
                else sum(values)
            )
        if not values:
            return 0.0
        if name == "mean":
            return math.fsum(values) / len(values)
        ordered = sorted(float(v) for v in values)
        mid = len(ordered) // 2
        return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    if name in ("first", "last"):
        if isinstance(first, list) and first:
            return first[0] if name == "first" else first[-1]
        return None
    if name in ("keys", "values"):
        if not isinstance(first, dict):
            raise ExprError(f"cannot get {name} from {go_type_name(first)}")
        return list(first.keys() if name == "keys" else first.values())
    raise ExprError(f"unknown builtin {name}")
