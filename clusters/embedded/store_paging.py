"""Continue tokens for paged lists: opaque base64 JSON naming the list's RV and the last key.

A continued page is served from the state of the store at the first page's resourceVersion
(rebuilt from the change history), so pages stay consistent while objects change; once that
history is gone the token expires with 410, as after etcd compaction.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from clusters.embedded.store_errors import continue_invalid

__all__ = ["ContinueToken", "decode_continue", "encode_continue"]

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
