"""Go-like static types for the expr checker, and the Go type of a Python value (for `%T`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "ANY",
    "BOOL",
    "FLOAT",
    "INT",
    "INT64",
    "MAP",
    "STRING",
    "Float64Slice",
    "GoType",
    "Int64",
    "func_type",
    "go_type_name",
    "slice_of",
    "static_type_of",
]


@dataclass(frozen=True)
class GoType:
    """A reflect.Type stand-in: kind plus element/parameter types; str() is Go's spelling."""

    kind: str  # bool int int64 float64 string interface slice map func
    elem: GoType | None = None
    params: tuple[GoType | None, ...] = ()
    result: GoType | None = None
    variadic: bool = False

    def __str__(self) -> str:
        if self.kind == "interface":
            return "interface {}"
        if self.kind == "slice":
            return f"[]{self.elem}"
        if self.kind == "map":
            return f"map[string]{self.elem}"
        if self.kind == "func":
            inner = ", ".join(_name(p) for p in self.params)
            return f"func({inner}) {_name(self.result)}"
        return self.kind


def _name(t: GoType | None) -> str:
    return "<nil>" if t is None else str(t)


BOOL = GoType("bool")
INT = GoType("int")
INT64 = GoType("int64")
FLOAT = GoType("float64")
STRING = GoType("string")
ANY = GoType("interface")
MAP = GoType("map", elem=ANY)
ARRAY = GoType("slice", elem=ANY)


def slice_of(elem: GoType | None) -> GoType:
    """The type []elem (a nil elem reads as interface {})."""
    return GoType("slice", elem=elem or ANY)


def func_type(params: tuple[GoType, ...], result: GoType, variadic: bool = False) -> GoType:
    """A Go function type."""
    return GoType("func", params=params, result=result, variadic=variadic)


class Int64(int):
    """An int that Go would type int64 (what upstream's asInt returns)."""


class Float64Slice(list):  # type: ignore[type-arg]
    """A list Go would type []float64: how upstream passes Prometheus vectors and matrices."""


def static_type_of(value: Any) -> GoType | None:
    """The checker's view of an env value: reflect.TypeOf(value); None for nil."""
    if value is None:
        return None
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, Int64):
        return INT64
    if isinstance(value, int):
        return INT
    if isinstance(value, float):
        return FLOAT
    if isinstance(value, str):
        return STRING
    if isinstance(value, Float64Slice):
        return slice_of(FLOAT)
    if isinstance(value, list | tuple):
        return ARRAY
    if isinstance(value, dict):
        return MAP
    return ANY


def go_type_name(value: Any) -> str:
    """Go's `%T` of a runtime value."""
    t = static_type_of(value)
    if isinstance(value, list) and not isinstance(value, Float64Slice) and value is not None:
        # Arrays built inside an expression are []interface {} as well.
        return "[]interface {}"
    return _name(t)
