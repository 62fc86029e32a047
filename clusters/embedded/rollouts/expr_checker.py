"""Static type check of an expr syntax tree, mirroring expr v1.15.5's checker and its messages.

Upstream compiles every condition against the *types of the env values*, so a mismatch such as
`result >= 0.95` with a []float64 result is a compile error even on a branch that would be
short-circuited. Types read out of JSON maps are `interface {}` and defer checks to run time.
"""

from __future__ import annotations

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
from clusters.embedded.rollouts.expr_types import (
    ANY,
    ARRAY,
    BOOL,
    FLOAT,
    INT,
    MAP,
    STRING,
    GoType,
    slice_of,
)

__all__ = ["check"]

T = GoType | None
_INTS = {"int", "int64"}
_LITERAL_TYPES: dict[str, T] = {
    "int": INT,
    "float64": FLOAT,
    "string": STRING,
    "bool": BOOL,
    "nil": None,
}
_NUMERIC_BUILTINS = {"abs", "ceil", "floor", "round"}


def _kind(t: T) -> str:
    return "invalid" if t is None else t.kind


def _is_any(t: T) -> bool:
    return t is not None and t.kind == "interface"


def _is_int(t: T) -> bool:
    return _kind(t) in _INTS


def _is_num(t: T) -> bool:
    return _kind(t) in _INTS or _kind(t) == "float64"


def _is(kind: str):
    return lambda t: _kind(t) == kind


_is_bool = _is("bool")
_is_str = _is("string")
_is_array = _is("slice")
_is_map = _is("map")


def _either(left: T, right: T, *preds) -> bool:
    """Upstream's `or`: one side is interface {} and the other fits one of the predicates."""
    if _is_any(left) and _is_any(right):
        return True
    if _is_any(left) and any(p(right) for p in preds):
        return True
    return _is_any(right) and any(p(left) for p in preds)


def _comparable(left: T, right: T) -> bool:
    if left is None or right is None:
        return True
    return (
        left.kind == right.kind
        or (_is_num(left) and _is_num(right))
        or _is_any(left)
        or _is_any(right)
    )


def _combined(left: GoType, right: GoType) -> GoType:
    if left.kind == right.kind:
        return left
    return FLOAT if "float64" in (left.kind, right.kind) else INT


def _assignable(src: T, dst: T) -> bool:
    if src is None or dst is None:
        return src is dst
    return src == dst or dst.kind == "interface"


def _mismatch(op: str, left: T, right: T) -> ExprError:
    return ExprError(f"invalid operation: {op} (mismatched types {_fmt(left)} and {_fmt(right)})")


def _fmt(t: T) -> str:
    return "<nil>" if t is None else str(t)


class _Checker:
    def __init__(self, types: dict[str, T]) -> None:
        self.types = types
        self.scopes: list[tuple[T, dict[str, T]]] = []

    def visit(self, node: Node) -> tuple[T, T]:
        """Return (type, element type of an array literal or None)."""
        method = getattr(self, "visit_" + type(node).__name__)
        return method(node)

    def visit_Literal(self, node: Literal) -> tuple[T, T]:
        return _LITERAL_TYPES[node.kind], None

    def visit_Identifier(self, node: Identifier) -> tuple[T, T]:
        if node.name not in self.types:
            raise ExprError(f"unknown name {node.name}")
        return self.types[node.name], None

    def visit_Pointer(self, node: Pointer) -> tuple[T, T]:
        if not self.scopes:
            raise ExprError("cannot use pointer accessor outside closure")
        collection, extra = self.scopes[-1]
        if node.name == "":
            if _is_any(collection):
                return ANY, None
            if _is_array(collection):
                assert collection is not None
                return collection.elem, None
            raise ExprError(f"cannot use {_fmt(collection)} as array")
        if node.name in extra:
            return extra[node.name], None
        raise ExprError(f"unknown pointer #{node.name}")

    def visit_Unary(self, node: Unary) -> tuple[T, T]:
        t, _ = self.visit(node.node)
        if node.op in ("!", "not"):
            if _is_bool(t) or _is_any(t):
                return BOOL, None
        elif _is_num(t):
            return t, None
        elif _is_any(t):
            return ANY, None
        raise ExprError(f"invalid operation: {node.op} (mismatched type {_fmt(t)})")

    def visit_Binary(self, node: Binary) -> tuple[T, T]:
        left, _ = self.visit(node.left)
        right, right_elem = self.visit(node.right)
        op = node.op
        if op in ("==", "!="):
            if _comparable(left, right):
                return BOOL, None
        elif op in ("or", "||", "and", "&&"):
            if (_is_bool(left) and _is_bool(right)) or _either(left, right, _is_bool):
                return BOOL, None
        elif op in ("<", ">", "<=", ">="):
            if (_is_num(left) and _is_num(right)) or (_is_str(left) and _is_str(right)):
                return BOOL, None
            if _either(left, right, _is_num, _is_str):
                return BOOL, None
        elif op in ("-", "*"):
            if _is_num(left) and _is_num(right):
                assert left is not None and right is not None
                return _combined(left, right), None
            if _either(left, right, _is_num):
                return ANY, None
        elif op in ("/", "**", "^"):
            if (_is_num(left) and _is_num(right)) or _either(left, right, _is_num):
                return FLOAT, None
        elif op == "%":
            if _is_int(left) and _is_int(right):
                assert left is not None and right is not None
                return _combined(left, right), None
            if _either(left, right, _is_int):
                return ANY, None
        elif op == "+":
            if _is_num(left) and _is_num(right):
                assert left is not None and right is not None
                return _combined(left, right), None
            if _is_str(left) and _is_str(right):
                return STRING, None
            if _either(left, right, _is_num, _is_str):
                return ANY, None
        elif op == "in":
            return self._check_in(left, right, right_elem), None
        elif op in ("matches", "contains", "startsWith", "endsWith"):
            if (_is_str(left) and _is_str(right)) or _either(left, right, _is_str):
                return BOOL, None
        elif op == "..":
            if (_is_int(left) and _is_int(right)) or _either(left, right, _is_int):
                return slice_of(INT), None
        elif op == "??":
            if left is None:
                return right, None
            if right is None or _assignable(right, left):
                return left, None
            return ANY, None
        raise _mismatch(op, left, right)

    def _check_in(self, left: T, right: T, right_elem: T) -> T:
        if _is_map(right):
            if left is not None and not _is_any(left) and not _is_str(left):
                raise ExprError(f"cannot use {_fmt(left)} as type string in map key")
            return BOOL
        if _is_array(right):
            assert right is not None
            if left is None:
                return BOOL
            if not _comparable(left, right.elem):
                raise ExprError(f"cannot use {_fmt(left)} as type {_fmt(right.elem)} in array")
            if not _comparable(left, right_elem):
                raise ExprError(f"cannot use {_fmt(left)} as type {_fmt(right_elem)} in array")
            return BOOL
        if _is_any(left) and (_is_str(right) or _is_array(right) or _is_map(right)):
            return BOOL
        if _is_any(right):
            return BOOL
        raise _mismatch("in", left, right)

    def visit_Member(self, node: Member) -> tuple[T, T]:
        base, _ = self.visit(node.node)
        prop, _ = self.visit(node.prop)
        if isinstance(node.prop, Literal) and node.prop.kind == "string" and base is None:
            raise ExprError(f"type <nil> has no field {node.prop.value}")
        kind = _kind(base)
        if kind == "interface":
            return ANY, None
        if kind == "map":
            assert base is not None
            if prop is not None and not _is_str(prop) and not _is_any(prop):
                raise ExprError(f"cannot use {_fmt(prop)} to get an element from {base}")
            return base.elem, None
        if kind == "slice":
            assert base is not None
            if not _is_int(prop) and not _is_any(prop):
                raise ExprError(
                    f"array elements can only be selected using an integer (got {_fmt(prop)})"
                )
            return base.elem, None
        raise ExprError(f"type {_fmt(base)}[{_fmt(prop)}] is undefined")

    def visit_Slice(self, node: Slice) -> tuple[T, T]:
        t, _ = self.visit(node.node)
        if _kind(t) not in ("interface", "string", "slice"):
            raise ExprError(f"cannot slice {_fmt(t)}")
        for bound in (node.start, node.stop):
            if bound is not None:
                bt, _ = self.visit(bound)
                if not _is_int(bt) and not _is_any(bt):
                    raise ExprError(f"non-integer slice index {_fmt(bt)}")
        return t, None

    def visit_Call(self, node: Call) -> tuple[T, T]:
        if isinstance(node.callee, Member):
            self.visit(node.callee)  # upstream's member errors first, e.g. type bool[string]
            raise ExprError("method calls are not supported by this evaluator")
        fn, _ = self.visit(node.callee)
        name = node.callee.name if isinstance(node.callee, Identifier) else "function"
        if fn is None:
            raise ExprError(f"{name} is nil; cannot call nil as function")
        if fn.kind == "interface":
            return ANY, None
        if fn.kind != "func":
            raise ExprError(f"{fn} is not callable")
        if len(node.args) > len(fn.params):
            raise ExprError(f"too many arguments to call {name}")
        if len(node.args) < len(fn.params):
            raise ExprError(f"not enough arguments to call {name}")
        for arg, param in zip(node.args, fn.params, strict=True):
            t, _ = self.visit(arg)
            if param is not None and param.kind == "float64" and _is_int(t):
                _promote_int_literals(arg)
                continue
            if t is None or _is_any(t):
                continue
            if not _assignable(t, param):
                raise ExprError(
                    f"cannot use {_fmt(t)} as argument (type {_fmt(param)}) to call {name} "
                )
        return fn.result, None

    def visit_Closure(self, node: Closure) -> tuple[T, T]:
        t, _ = self.visit(node.body)
        if t is None:
            raise ExprError("closure cannot be nil")
        return t, None

    def visit_Builtin(self, node: Builtin) -> tuple[T, T]:
        name = node.name
        if name in ("all", "none", "any", "one", "filter", "count", "find", "findIndex", "map",
                    "findLast", "findLastIndex"):  # fmt: skip
            collection, _ = self.visit(node.args[0])
            if not _is_array(collection) and not _is_any(collection):
                raise ExprError(f"builtin {name} takes only array (got {_fmt(collection)})")
            self.scopes.append((collection, {"index": INT} if name == "map" else {}))
            out, _ = self.visit(node.args[1])
            self.scopes.pop()
            if name == "map":
                return slice_of(out), None
            if not _is_bool(out) and not _is_any(out):
                raise ExprError(f"predicate should return boolean (got {_fmt(out)})")
            if name == "filter":
                return (ARRAY if _is_any(collection) else collection), None
            if name in ("count", "findIndex", "findLastIndex"):
                return INT, None
            if name in ("find", "findLast"):
                return (ANY if _is_any(collection) else collection.elem), None  # type: ignore[union-attr]
            return BOOL, None
        args = [self.visit(a)[0] for a in node.args]
        return _builtin_type(name, args), None

    def visit_Conditional(self, node: Conditional) -> tuple[T, T]:
        cond, _ = self.visit(node.cond)
        if not _is_bool(cond) and not _is_any(cond):
            raise ExprError(f"non-bool expression (type {_fmt(cond)}) used as condition")
        yes, _ = self.visit(node.yes)
        no, _ = self.visit(node.no)
        if yes is None:
            return no, None
        if no is None:
            return yes, None
        return (yes if _assignable(yes, no) else ANY), None

    def visit_Array(self, node: Array) -> tuple[T, T]:
        prev: T = None
        same = True
        for i, item in enumerate(node.items):
            cur, _ = self.visit(item)
            if i > 0 and (cur is None or prev is None or cur.kind != prev.kind):
                same = False
            prev = cur
        return ARRAY, (prev if same and prev is not None else None)

    def visit_MapLit(self, node: MapLit) -> tuple[T, T]:
        for key, value in node.pairs:
            self.visit(key)
            self.visit(value)
        return MAP, None


def _builtin_type(name: str, args: list[T]) -> T:
    def arity(n: int) -> None:
        if len(args) != n:
            raise ExprError(f"invalid number of arguments (expected {n}, got {len(args)})")

    if name == "len":
        arity(1)
        if _kind(args[0]) in ("slice", "map", "string", "interface"):
            return INT
        raise ExprError(f"invalid argument for len (type {_gofmt_s(args[0])})")
    if name in _NUMERIC_BUILTINS:
        arity(1)
        if _is_num(args[0]) or _is_any(args[0]):
            return args[0] if name == "abs" else FLOAT
        label = "floor" if name == "round" else name  # upstream's round reuses floor's text
        raise ExprError(f"invalid argument for {label} (type {_gofmt_s(args[0])})")
    if name in ("int", "float"):
        arity(1)
        if _is_num(args[0]) or _is_any(args[0]) or _is_str(args[0]):
            return INT if name == "int" else FLOAT
        raise ExprError(f"invalid argument for {name} (type {_gofmt_s(args[0])})")
    if name in ("max", "min"):
        if not args:
            raise ExprError(f"not enough arguments to call {name}")
        for arg in args:
            if _is_any(arg):
                return ANY
            if not _is_num(arg):
                raise ExprError(f"invalid argument for {name} (type {_gofmt_s(arg)})")
        return args[0]
    if name in ("string", "type", "trim", "upper", "lower"):
        return STRING
    if name == "split":
        return slice_of(STRING)
    if name in ("sum", "mean", "median", "first", "last"):
        arity(1)
        if _is_any(args[0]):
            return FLOAT if name in ("mean", "median") else ANY
        if not _is_array(args[0]):
            label = {"mean": "avg", "first": "get first element from"}.get(name, name)
            label = "get last element from" if name == "last" else label
            raise ExprError(f"cannot {label} {_gofmt_s(args[0])}")
        if name in ("first", "last"):
            return args[0].elem  # type: ignore[union-attr]
        return FLOAT if name in ("mean", "median") else ANY
    if name in ("keys", "values"):
        arity(1)
        return ARRAY
    raise ExprError(f"unknown builtin {name}")


def _gofmt_s(t: T) -> str:
    """`%s` of a reflect.Type; a nil type prints as Go's bad-verb marker."""
    return "%!s(<nil>)" if t is None else str(t)


def _promote_int_literals(node: Node) -> None:
    """Upstream rewrites integer literals passed to float64 parameters into floats."""
    if isinstance(node, Literal) and node.kind == "int":
        node.value = float(node.value)
        node.kind = "float64"
    elif isinstance(node, Unary):
        _promote_int_literals(node.node)
    elif isinstance(node, Binary) and node.op in ("+", "-", "*"):
        _promote_int_literals(node.left)
        _promote_int_literals(node.right)


def check(node: Node, types: dict[str, T]) -> T:
    """Type-check a tree against env name types; return its type or raise ExprError."""
    return _Checker(types).visit(node)[0]
