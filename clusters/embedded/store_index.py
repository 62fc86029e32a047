"""Secondary indexes of the store: objects by uid, and owners' dependents by owner uid.

Garbage collection needs "who depends on uid X" and "does uid X exist" at every delete; both
are kept in step with each write instead of scanning all objects.
"""

from __future__ import annotations

from typing import Any

__all__ = ["OwnerIndex"]

_TypeKey = tuple[str, str]
_ObjKey = tuple[str, str]


class OwnerIndex:
    """`by_uid[uid] -> (type key, object key)`; `dependents[owner uid] -> {(type, object)}`."""

    def __init__(self) -> None:
        self.by_uid: dict[str, tuple[_TypeKey, _ObjKey]] = {}
        self.dependents: dict[str, set[tuple[_TypeKey, _ObjKey]]] = {}

    def update(
        self,
        tk: _TypeKey,
        key: _ObjKey,
        old: dict[str, Any] | None,
        new: dict[str, Any] | None,
    ) -> None:
        """Replace `old`'s entries (if any) by `new`'s (if any) for one object."""
        if old is not None:
            meta = old["metadata"]
            uid = meta.get("uid")
            if uid and (new is None or new["metadata"].get("uid") != uid):
                self.by_uid.pop(uid, None)
            for owner_uid in _owner_uids(meta):
                dependents = self.dependents.get(owner_uid)
                if dependents is not None:
                    dependents.discard((tk, key))
                    if not dependents:
                        del self.dependents[owner_uid]
        if new is not None:
            meta = new["metadata"]
            if meta.get("uid"):
                self.by_uid[meta["uid"]] = (tk, key)
            for owner_uid in _owner_uids(meta):
                self.dependents.setdefault(owner_uid, set()).add((tk, key))


def _owner_uids(meta: dict[str, Any]) -> list[str]:
    return [ref["uid"] for ref in meta.get("ownerReferences") or [] if ref.get("uid")]
