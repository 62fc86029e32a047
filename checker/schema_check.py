"""Schema validation of one manifest, shared with the embedded API server.

`clusters.embedded.validation.validate_manifest` is what the embedded cluster runs on create,
so the checker and `kubectl apply` against the lab cluster say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clusters.embedded.validation import validate_manifest

__all__ = ["SchemaCause", "validate_object"]


@dataclass(frozen=True)
class SchemaCause:
    """One validation finding: dotted field path (may be empty) and message."""

    field: str
    message: str


def validate_object(obj: dict[str, Any]) -> list[SchemaCause]:
    """Validation causes for one object; an empty list means the API server would accept it."""
    try:
        causes = validate_manifest(obj)
    except Exception as error:  # the validator must never take the checker down
        return [SchemaCause("", f"validator failed on this object: {type(error).__name__}")]
    return [SchemaCause(str(c.get("field") or ""), str(c.get("message") or "")) for c in causes]
