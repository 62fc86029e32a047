"""Tokenizer for the expr-language subset used in analysis conditions (expr v1.15.5 rules)."""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["ExprError", "Token", "tokenize"]

_WORD_OPERATORS = {"in", "or", "and", "matches", "contains", "startsWith", "endsWith", "let"}
_NOT_FOLLOWERS = {"in", "matches", "contains", "startsWith", "endsWith"}
_ESCAPES = {
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
    "\\": "\\",
    "'": "'",
    '"': '"',
}


class ExprError(Exception):
    """An expression failed to lex, type-check or run; `message` matches upstream's wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Token:
    """One lexical token: kind is Identifier, Number, String, Operator, Bracket or EOF."""

    kind: str
    value: str
    pos: int

    def is_(self, kind: str, *values: str) -> bool:
        """True when the token has this kind (and one of the values, if given)."""
        return self.kind == kind and (not values or self.value in values)

    def __str__(self) -> str:
        if self.value == "":
            return self.kind
        return f"{self.kind}({json.dumps(self.value)})"


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch == "$" or ch.isalpha() or ch.isdigit()


def _unrecognized(ch: str) -> ExprError:
    return ExprError(f"unrecognized character: U+{ord(ch):04X} {ch!r}".replace('"', "'"))


def _scan_string(src: str, start: int) -> tuple[str, int]:
    quote = src[start]
    i = start + 1
    out: list[str] = []
    while True:
        if i >= len(src) or src[i] == "\n":
            raise ExprError("literal not terminated")
        ch = src[i]
        if ch == quote:
            return "".join(out), i + 1
        if ch == "\\":
            i += 1
            if i >= len(src):
                raise ExprError("literal not terminated")
            esc = src[i]
            if esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                i += 1
                continue
            if esc in "xuU" or esc.isdigit():
                width = {"x": 2, "u": 4, "U": 8}.get(esc, 3)
                digits = src[i + 1 : i + 1 + width] if not esc.isdigit() else src[i : i + 3]
                base = 8 if esc.isdigit() else 16
                try:
                    out.append(chr(int(digits, base)))
                except ValueError as error:
                    raise ExprError("invalid char escape") from error
                i += 1 + width if not esc.isdigit() else 3
                continue
            raise ExprError("invalid char escape")
        out.append(ch)
        i += 1


def _scan_number(src: str, start: int) -> int:
    i = start
    digits = "0123456789_"
    if src.startswith(("0x", "0X"), i):
        i += 2
        digits = "0123456789abcdefABCDEF_"
    while i < len(src) and src[i] in digits:
        i += 1
    if i < len(src) and src[i] == "." and not src.startswith("..", i):
        i += 1
        while i < len(src) and src[i] in digits:
            i += 1
    if i < len(src) and src[i] in "eE":
        i += 1
        if i < len(src) and src[i] in "+-":
            i += 1
        while i < len(src) and src[i] in digits:
            i += 1
    if i < len(src) and _is_alnum(src[i]):
        raise ExprError(f"bad number syntax: {json.dumps(src[start : i + 1])}")
    return i


def tokenize(src: str) -> list[Token]:
    """Split an expression into tokens, raising ExprError with expr's lexer messages."""
    tokens: list[Token] = []
    i = 0
    n = len(src)
    while i < n:
        ch = src[i]
        if ch.isspace():
            i += 1
        elif ch in "'\"":
            value, end = _scan_string(src, i)
            tokens.append(Token("String", value, i))
            i = end
        elif ch.isdigit() or (ch == "." and i + 1 < n and src[i + 1].isdigit()):
            end = _scan_number(src, i)
            tokens.append(Token("Number", src[i:end], i))
            i = end
        elif ch == "?":
            end = i + 2 if i + 1 < n and src[i + 1] in ".?" else i + 1
            tokens.append(Token("Operator", src[i:end], i))
            i = end
        elif ch == "/":
            if src.startswith("//", i):
                nl = src.find("\n", i)
                i = n if nl < 0 else nl + 1
            elif src.startswith("/*", i):
                close = src.find("*/", i + 2)
                if close < 0:
                    raise ExprError("unclosed comment")
                i = close + 2
            else:
                tokens.append(Token("Operator", "/", i))
                i += 1
        elif ch == "#":
            tokens.append(Token("Operator", "#", i))
            i += 1
            j = i
            while j < n and _is_alnum(src[j]):
                j += 1
            if j > i:
                tokens.append(Token("Identifier", src[i:j], i))
            i = j
        elif ch == "|":
            end = i + 2 if src.startswith("||", i) else i + 1
            tokens.append(Token("Operator", src[i:end], i))
            i = end
        elif ch in "([{)]}":
            tokens.append(Token("Bracket", ch, i))
            i += 1
        elif ch in ",:;%+-^":
            tokens.append(Token("Operator", ch, i))
            i += 1
        elif ch in "&!=*<>":
            end = i + 2 if i + 1 < n and src[i + 1] in "&=*" else i + 1
            tokens.append(Token("Operator", src[i:end], i))
            i = end
        elif ch == ".":
            end = i + 2 if src.startswith("..", i) else i + 1
            tokens.append(Token("Operator", src[i:end], i))
            i = end
        elif _is_alnum(ch):
            j = i
            while j < n and _is_alnum(src[j]):
                j += 1
            word = src[i:j]
            if word == "not":
                tokens.append(Token("Operator", "not", i))
                k = j
                while k < n and src[k].isspace():
                    k += 1
                m = k
                while m < n and _is_alnum(src[m]):
                    m += 1
                if src[k:m] in _NOT_FOLLOWERS:
                    tokens.append(Token("Operator", src[k:m], k))
                    j = m
            elif word in _WORD_OPERATORS:
                tokens.append(Token("Operator", word, i))
            else:
                tokens.append(Token("Identifier", word, i))
            i = j
        else:
            raise _unrecognized(ch)
    tokens.append(Token("EOF", "", n))
    return tokens
