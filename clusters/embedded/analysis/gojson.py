"""Go's text forms of JSON values and floats, so measurement values read as upstream writes them.

`go_json(value)` is `encoding/json.Marshal` for decoded JSON (numbers are float64, map keys
sorted, `<>&` escaped); `prometheus_float(f)` is `strconv.FormatFloat(f, 'f', -1, 64)` as
Prometheus' SampleValue prints.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from typing import Any

__all__ = ["decode_json", "go_float", "go_json", "prometheus_float"]


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-tripping digits and decimal exponent: value = 0.DIGITS * 10**exp."""
    _sign, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(str(d) for d in digits)
    return text, len(text) + int(exponent)


def _plain(value: float) -> str:
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = _shortest_digits(value)
    if point <= 0:
        body = "0." + "0" * (-point) + digits
    elif point >= len(digits):
        body = digits + "0" * (point - len(digits))
    else:
        body = digits[:point] + "." + digits[point:]
    return ("-" if value < 0 else "") + body


def _scientific(value: float) -> str:
    digits, point = _shortest_digits(value)
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    exponent = point - 1
    sign = "-" if exponent < 0 else "+"
    return ("-" if value < 0 else "") + f"{mantissa}e{sign}{abs(exponent):02d}"


def go_float(value: float) -> str:
    """A float64 as encoding/json writes it: plain digits, exponent form outside [1e-6, 1e21)."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"json: unsupported value: {prometheus_float(value)}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = _scientific(value)
        # Go trims a leading zero of a two-digit negative exponent: 1e-07 -> 1e-7.
        if len(text) >= 4 and text[-4] == "e" and text[-3] == "-" and text[-2] == "0":
            text = text[:-2] + text[-1]
        return text
    return _plain(value)


def prometheus_float(value: float) -> str:
    """strconv.FormatFloat(v, 'f', -1, 64): NaN, +Inf, -Inf, else shortest plain digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return _plain(value)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _go_string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char in _HTML:
            out.append(_HTML[char])
        elif ord(char) < 0x20:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def go_json(value: Any) -> str:
    """json.Marshal of a decoded JSON value (an `any` in Go)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return go_float(float(value))
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{_go_string(str(k))}:{go_json(v)}" for k, v in items) + "}"
    raise TypeError(f"json: unsupported type: {type(value).__name__}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid character '{name[0]}' looking for beginning of value")


def decode_json(body: bytes) -> Any:
    """json.Unmarshal into `any`: every number a float64; NaN/Infinity are not JSON (ValueError)."""
    text = body.decode("utf-8", errors="replace")
    return json.loads(text, parse_int=float, parse_constant=_reject_constant)
