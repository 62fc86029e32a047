"""Ages as kubectl prints them (Go's `duration.HumanDuration`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clusters.embedded.clock import parse_timestamp

__all__ = ["human_duration", "since"]


def human_duration(seconds: float) -> str:
    """Go's `duration.HumanDuration`: `5s`, `3m2s`, `15m`, `5h3m`, `2d`, `2y10d`."""
    total = int(seconds)
    if total < -1:
        return "<invalid>"
    if total < 0:
        return "0s"
    if total < 120:
        return f"{total}s"
    minutes = total // 60
    if minutes < 10:
        rest = total % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = total // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        years = hours // 24 // 365
        return f"{years}y{days}d" if days else f"{years}y"
    return f"{hours // 24 // 365}y"


def since(timestamp: Any, now: datetime) -> str:
    """Age of an RFC 3339 timestamp, or `<unknown>` when absent or unreadable."""
    if not isinstance(timestamp, str) or not timestamp:
        return "<unknown>"
    try:
        moment = parse_timestamp(timestamp)
    except ValueError:
        return "<unknown>"
    return human_duration((now - moment).total_seconds())
