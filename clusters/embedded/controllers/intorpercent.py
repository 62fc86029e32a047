"""Resolving IntOrString values such as `maxSurge: 25%` the way apimachinery does."""

from __future__ import annotations

import math

__all__ = ["resolve_fenceposts", "scaled_value"]


def scaled_value(value: int | str | None, total: int, *, round_up: bool, default: str) -> int:
    """`3` -> 3; `"25%"` of total rounded up or down; None -> the default."""
    if value is None:
        value = default
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.endswith("%"):
        text = text[:-1]
    try:
        percent = float(text)
    except ValueError as error:
        raise ValueError(f"invalid value for IntOrString: {value!r}") from error
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)


def resolve_fenceposts(
    max_surge: int | str | None, max_unavailable: int | str | None, desired: int
) -> tuple[int, int]:
    """(surge, unavailable): surge rounds up, unavailable down; both 0 makes unavailable 1."""
    surge = scaled_value(max_surge, desired, round_up=True, default="25%")
    unavailable = scaled_value(max_unavailable, desired, round_up=False, default="25%")
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable
