"""Pratt parser for the expr language: same precedences and error wording as expr v1.15.5."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clusters.embedded.rollouts.expr_lexer import ExprError, Token, tokenize

__all__ = [
    "Array",
    "Binary",
    "Builtin",
    "Call",
    "Closure",
    "Conditional",
    "Identifier",
    "Literal",
    "MapLit",
    "Member",
    "Node",
    "Pointer",
    "Slice",
    "Unary",
    "parse",
]

# Binary operators: precedence, right-associative?
BINARY: dict[str, tuple[int, bool]] = {
    "or": (10, False),
    "||": (10, False),
    "and": (15, False),
    "&&": (15, False),
    "==": (20, False),
    "!=": (20, False),
    "<": (20, False),
    ">": (20, False),
    ">=": (20, False),
    "<=": (20, False),
    "in": (20, False),
    "matches": (20, False),
    "contains": (20, False),
    "startsWith": (20, False),
    "endsWith": (20, False),
    "..": (25, False),
    "+": (30, False),
    "-": (30, False),
    "*": (60, False),
    "/": (60, False),
    "%": (60, False),
    "**": (100, True),
    "^": (100, True),
    "??": (500, False),
}
UNARY: dict[str, int] = {"not": 50, "!": 50, "-": 90, "+": 90}
PREDICATES = {
    "all",
    "none",
    "any",
    "one",
    "filter",
    "map",
    "count",
    "find",
    "findIndex",
    "findLast",
    "findLastIndex",
}
# Names the parser turns into builtin calls (upstream's builtin index, trimmed to what we run).
BUILTIN_NAMES = {
    "len",
    "type",
    "abs",
    "ceil",
    "floor",
    "round",
    "int",
    "float",
    "string",
    "trim",
    "upper",
    "lower",
    "split",
    "max",
    "min",
    "sum",
    "mean",
    "median",
    "first",
    "last",
    "keys",
    "values",
}


class Node:
    """Base of every syntax-tree node."""


@dataclass
class Literal(Node):
    value: Any
    kind: str  # int, float64, string, bool, nil


@dataclass
class Identifier(Node):
    name: str


@dataclass
class Pointer(Node):
    name: str  # "" for the element itself, "index" for #index


@dataclass
class Unary(Node):
    op: str
    node: Node


@dataclass
class Binary(Node):
    op: str
    left: Node
    right: Node


@dataclass
class Member(Node):
    node: Node
    prop: Node
    optional: bool = False
    dotted: bool = False


@dataclass
class Slice(Node):
    node: Node
    start: Node | None
    stop: Node | None


@dataclass
class Call(Node):
    callee: Node
    args: list[Node]


@dataclass
class Builtin(Node):
    name: str
    args: list[Node]


@dataclass
class Closure(Node):
    body: Node


@dataclass
class Conditional(Node):
    cond: Node
    yes: Node
    no: Node


@dataclass
class Array(Node):
    items: list[Node] = field(default_factory=list)


@dataclass
class MapLit(Node):
    pairs: list[tuple[Node, Node]] = field(default_factory=list)


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    @property
    def cur(self) -> Token:
        return self.tokens[self.pos]

    def advance(self) -> None:
        if self.pos + 1 >= len(self.tokens):
            raise ExprError("unexpected end of expression")
        self.pos += 1

    def expect(self, kind: str, *values: str) -> None:
        if self.cur.is_(kind, *values):
            self.advance()
            return
        raise ExprError(f"unexpected token {self.cur}")

    def expression(self, precedence: int = 0) -> Node:
        if precedence == 0 and self.cur.is_("Operator", "let"):
            raise ExprError("let declarations are not supported")
        left = self.primary()
        prev_op = ""
        op_token = self.cur
        while op_token.kind == "Operator":
            negate = False
            if op_token.is_("Operator", "not"):
                save = self.pos
                self.advance()
                negate = True
                op_token = self.cur
                if op_token.value not in BINARY:
                    self.pos = save
                    break
            spec = BINARY.get(op_token.value) if op_token.kind == "Operator" else None
            if spec is None or spec[0] < precedence:
                break
            self.advance()
            if prev_op == "??" and op_token.value != "??":
                raise ExprError(
                    f"Operator ({op_token.value}) and coalesce expressions (??) cannot be mixed. "
                    "Wrap either by parentheses."
                )
            right = self.expression(spec[0] if spec[1] else spec[0] + 1)
            left = Binary(op_token.value, left, right)
            if negate:
                left = Unary("not", left)
            prev_op = op_token.value
            op_token = self.cur
        if precedence == 0:
            left = self.conditional(left)
        return left

    def conditional(self, node: Node) -> Node:
        while self.cur.is_("Operator", "?"):
            self.advance()
            if not self.cur.is_("Operator", ":"):
                yes = self.expression(0)
                self.expect("Operator", ":")
                no = self.expression(0)
            else:
                self.advance()
                yes = node
                no = self.expression(0)
            node = Conditional(node, yes, no)
        return node

    def primary(self) -> Node:
        tok = self.cur
        if tok.kind == "Operator" and tok.value in UNARY:
            self.advance()
            inner = self.expression(UNARY[tok.value])
            return self.postfix(Unary(tok.value, inner))
        if tok.is_("Bracket", "("):
            self.advance()
            inner = self.expression(0)
            self.expect("Bracket", ")")
            return self.postfix(inner)
        if tok.is_("Operator", "#", "."):
            if self.depth == 0:
                raise ExprError("cannot use pointer accessor outside closure")
            name = ""
            if tok.value == "#":
                self.advance()
                if self.cur.kind == "Identifier":
                    name = self.cur.value
                    self.advance()
            return self.postfix(Pointer(name))
        return self.secondary()

    def secondary(self) -> Node:
        tok = self.cur
        node: Node
        if tok.kind == "Identifier":
            self.advance()
            if tok.value in ("true", "false"):
                return Literal(tok.value == "true", "bool")
            if tok.value == "nil":
                return Literal(None, "nil")
            node = self.call(tok)
        elif tok.kind == "Number":
            self.advance()
            return _number(tok.value)
        elif tok.kind == "String":
            self.advance()
            return Literal(tok.value, "string")
        elif tok.is_("Bracket", "["):
            node = self.array()
        elif tok.is_("Bracket", "{"):
            node = self.mapping()
        else:
            raise ExprError(f"unexpected token {tok}")
        return self.postfix(node)

    def call(self, tok: Token) -> Node:
        if not self.cur.is_("Bracket", "("):
            return Identifier(tok.value)
        if tok.value in PREDICATES:
            self.expect("Bracket", "(")
            collection = self.expression(0)
            self.expect("Operator", ",")
            closure = self.closure()
            self.expect("Bracket", ")")
            return Builtin(tok.value, [collection, closure])
        if tok.value in BUILTIN_NAMES:
            return Builtin(tok.value, self.arguments())
        return Call(Identifier(tok.value), self.arguments())

    def closure(self) -> Node:
        braced = self.cur.is_("Bracket", "{")
        if braced:
            self.advance()
        self.depth += 1
        body = self.expression(0)
        self.depth -= 1
        if braced:
            self.expect("Bracket", "}")
        return Closure(body)

    def arguments(self) -> list[Node]:
        self.expect("Bracket", "(")
        args: list[Node] = []
        while not self.cur.is_("Bracket", ")"):
            if args:
                self.expect("Operator", ",")
            args.append(self.expression(0))
        self.expect("Bracket", ")")
        return args

    def array(self) -> Node:
        self.expect("Bracket", "[")
        items: list[Node] = []
        while not self.cur.is_("Bracket", "]"):
            if items:
                self.expect("Operator", ",")
                if self.cur.is_("Bracket", "]"):
                    break
            items.append(self.expression(0))
        self.expect("Bracket", "]")
        return Array(items)

    def mapping(self) -> Node:
        self.expect("Bracket", "{")
        pairs: list[tuple[Node, Node]] = []
        while not self.cur.is_("Bracket", "}"):
            if pairs:
                self.expect("Operator", ",")
                if self.cur.is_("Bracket", "}"):
                    break
            key: Node
            if self.cur.kind in ("Number", "String", "Identifier"):
                key = Literal(self.cur.value, "string")
                self.advance()
            elif self.cur.is_("Bracket", "("):
                key = self.expression(0)
            else:
                raise ExprError(
                    "a map key must be a quoted string, a number, a identifier, or an expression "
                    f"enclosed in parentheses (unexpected token {self.cur})"
                )
            self.expect("Operator", ":")
            pairs.append((key, self.expression(0)))
        self.expect("Bracket", "}")
        return MapLit(pairs)

    def postfix(self, node: Node) -> Node:
        while True:
            tok = self.cur
            if tok.is_("Operator", ".", "?."):
                self.advance()
                prop = self.cur
                self.advance()
                if prop.kind != "Identifier" and not (
                    prop.kind == "Operator" and prop.value.isidentifier()
                ):
                    raise ExprError("expected name")
                optional = tok.value == "?." or (isinstance(node, Member) and node.optional)
                member = Member(node, Literal(prop.value, "string"), optional, dotted=True)
                node = Call(member, self.arguments()) if self.cur.is_("Bracket", "(") else member
            elif tok.is_("Bracket", "["):
                self.advance()
                if self.cur.is_("Operator", ":"):
                    self.advance()
                    stop = None if self.cur.is_("Bracket", "]") else self.expression(0)
                    self.expect("Bracket", "]")
                    node = Slice(node, None, stop)
                    continue
                start = self.expression(0)
                if self.cur.is_("Operator", ":"):
                    self.advance()
                    stop = None if self.cur.is_("Bracket", "]") else self.expression(0)
                    self.expect("Bracket", "]")
                    node = Slice(node, start, stop)
                else:
                    self.expect("Bracket", "]")
                    optional = isinstance(node, Member) and node.optional
                    node = Member(node, start, optional)
            else:
                return node


def _number(text: str) -> Literal:
    value = text.replace("_", "")
    try:
        if "x" in value or "X" in value:
            return Literal(int(value, 16), "int")
        if any(c in value for c in ".eE"):
            return Literal(float(value), "float64")
        number = int(value, 10)
    except ValueError as error:
        raise ExprError(f"invalid number literal: {text}") from error
    if number > 2**63 - 1:
        raise ExprError("integer literal is too large")
    return Literal(number, "int")


def parse(source: str) -> Node:
    """Parse an expression into a syntax tree, raising ExprError with upstream's messages."""
    parser = _Parser(tokenize(source))
    node = parser.expression(0)
    if not parser.cur.is_("EOF"):
        raise ExprError(f"unexpected token {parser.cur}")
    return node
