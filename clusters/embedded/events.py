"""Record core/v1 Events the way client-go's recorder does: one object per (object, reason,
message, source), `count` bumped and `lastTimestamp` moved when it repeats."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from clusters.embedded.clock import Clock
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError

__all__ = ["EventRecorder"]

log = logging.getLogger(__name__)
_EVENTS = find_plural("", "v1", "events")
_NAMESPACES = find_plural("", "v1", "namespaces")


class EventRecorder:
    """Writes Events into the store on behalf of a named component."""

    def __init__(self, store: Any, clock: Clock, component: str, host: str = "") -> None:
        self._store = store
        self._clock = clock
        self._component = component
        self._host = host

    def emit(
        self,
        obj: dict[str, Any],
        type_: str,
        reason: str,
        message: str,
        *,
        field_path: str = "",
        component: str | None = None,
    ) -> None:
        """Record an event about `obj`; repeats of the same event bump its count."""
        meta = obj.get("metadata", {})
        namespace = meta.get("namespace") or "default"
        component = component or self._component
        involved = {
            "apiVersion": obj.get("apiVersion", ""),
            "kind": obj.get("kind", ""),
            "name": meta.get("name", ""),
            "namespace": namespace,
            "uid": meta.get("uid", ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        }
        if field_path:
            involved["fieldPath"] = field_path
        digest = hashlib.sha1(
            "\x00".join(
                [involved["kind"], involved["name"], involved["uid"], reason, message, component]
            ).encode()
        ).hexdigest()[:16]
        name = f"{involved['name']}.{digest}"
        now = self._clock.stamp()
        try:
            existing = self._store.get(_EVENTS, namespace, name)
        except ApiError:
            existing = None
        try:
            if existing is not None:
                existing["count"] = int(existing.get("count", 1)) + 1
                existing["lastTimestamp"] = now
                existing["involvedObject"] = involved
                self._store.update(_EVENTS, existing)
                return
            source: dict[str, str] = {"component": component}
            if self._host:
                source["host"] = self._host
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": name, "namespace": namespace},
                "involvedObject": involved,
                "reason": reason,
                "message": message,
                "type": type_,
                "count": 1,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "source": source,
                "reportingComponent": component,
                "reportingInstance": self._host,
            }
            self._store.create(_EVENTS, event)
        except ApiError as error:  # a namespace being deleted refuses new events; not fatal
            log.debug("event %s on %s/%s dropped: %s", reason, namespace, involved["name"], error)
