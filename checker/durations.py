"""Go-style durations as Argo Rollouts reads them (pause durations, metric intervals)."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["format_seconds", "parse_go_duration", "parse_pause_duration"]

_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")


def parse_go_duration(text: str) -> float | None:
    """Seconds for a Go `time.ParseDuration` string ("5m", "1h30m", "250ms"); None if invalid."""
    text = text.strip()
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    if body == "0":
        return 0.0
    if not body:
        return None
    total, position = 0.0, 0
    while position < len(body):
        match = _PART.match(body, position)
        if match is None:
            return None
        total += float(match.group(1)) * _UNIT[match.group(2)]
        position = match.end()
    return sign * total


def parse_pause_duration(value: Any) -> float | None:
    """A pause duration: int seconds, a numeric string (seconds) or a Go duration string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value)
    if isinstance(value, str):
        if value.strip().isdigit():
            return float(value.strip())
        return parse_go_duration(value)
    return None


def format_seconds(seconds: float) -> str:
    """Human text for a duration: 300 -> "5m", 90 -> "1m30s", 2.5 -> "2.5s"."""
    if seconds >= 60 and seconds == int(seconds):
        minutes, rest = divmod(int(seconds), 60)
        return f"{minutes}m" + (f"{rest}s" if rest else "")
    return f"{seconds:g}s"
