"""Continue tokens for paged lists: opaque base64 JSON naming the list's RV and the last key.

A continued page is served from the state of the store at the first page's resourceVersion
(rebuilt from the change history), so pages stay consistent while objects change; once that
history is gone the token expires with 410, as after etcd compaction.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Reversible
from dataclasses import dataclass
from typing import Any

from clusters.embedded.status import expired
from clusters.embedded.store_errors import continue_expired, continue_invalid
from clusters.embedded.watch import ChangeEvent

__all__ = ["ContinueToken", "decode_continue", "encode_continue", "state_at"]

_VERSION = "meta.k8s.io/v1"


@dataclass(frozen=True)
class ContinueToken:
    rv: int
    start: tuple[str, str]  # (namespace, name) of the last item already returned


def encode_continue(rv: int, last: tuple[str, str]) -> str:
    payload = {"v": _VERSION, "rv": rv, "start": [last[0], last[1]]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> ContinueToken:
    """Parse a token or raise 400 `continue key is not valid: ...`."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise continue_invalid("illegal base64 data or JSON in continue token") from None
    if not isinstance(payload, dict) or payload.get("v") != _VERSION:
        raise continue_invalid(f"server does not recognize this encoded version ({_VERSION})")
    rv, start = payload.get("rv"), payload.get("start")
    if not isinstance(rv, int) or rv <= 0:
        raise continue_invalid("incorrect encoded start resourceVersion")
    if not (isinstance(start, list) and len(start) == 2 and all(isinstance(s, str) for s in start)):
        raise continue_invalid("encoded start key is malformed")
    return ContinueToken(rv, (start[0], start[1]))


def state_at(
    current: dict[tuple[str, str], dict[str, Any]],
    history: Reversible[ChangeEvent],
    type_key: tuple[str, str],
    rv: int,
    *,
    current_rv: int,
    base_rv: int,
    paging: bool,
) -> dict[tuple[str, str], dict[str, Any]]:
    """The objects of one type as they were at `rv`, by undoing the later history.

    `history` must hold every change after `base_rv`; older RVs are 410 Expired.
    """
    if rv >= current_rv:
        return current
    if rv < base_rv:
        if paging:
            raise continue_expired()
        raise expired(f"too old resource version: {rv} ({base_rv})")
    state = dict(current)
    for event in reversed(history):
        if event.rv <= rv:
            break
        if event.type_key != type_key:
            continue
        meta = event.obj["metadata"]
        key = (meta.get("namespace") or "", meta["name"])
        if event.prev is None:
            state.pop(key, None)
        else:
            state[key] = event.prev
    return state
