"""The served resource types the analysis code uses, looked up once and never None."""

from __future__ import annotations

from clusters.embedded.resources import ResourceType, find_plural

__all__ = ["served"]


def served(group: str, version: str, plural: str) -> ResourceType:
    """The registry entry for a resource this package relies on (KeyError if not served)."""
    found = find_plural(group, version, plural)
    if found is None:
        raise KeyError(f"{plural}.{group}/{version} is not served by the embedded cluster")
    return found
