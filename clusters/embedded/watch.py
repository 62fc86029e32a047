"""Watch streams: per-watcher filtering, bounded queues and bookmarks.

The store feeds every change to every registered `Watcher` while holding its lock; a watcher
only filters and appends to its own bounded queue, so a consumer that never reads cannot slow
writers down. When the queue overflows the watcher stops accepting events and its stream ends
after the queued ones (as the apiserver drops slow watchers); clients then re-watch from the
last resourceVersion they saw, which the store's history can usually still serve.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from clusters.embedded.resources import ResourceType
from clusters.embedded.selectors import (
    FieldSelector,
    LabelSelector,
    object_fields,
    parse_field_selector,
    parse_label_selector,
)
from clusters.embedded.status import expired
from clusters.embedded.store_db import clone

__all__ = ["INITIAL_EVENTS_END", "ChangeEvent", "WatchFilter", "Watcher", "bookmark", "prime"]

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


@dataclass(frozen=True)
class ChangeEvent:
    """One committed change; `obj` and `prev` are immutable snapshots owned by the store."""

    rv: int
    type_key: tuple[str, str]  # (group, plural)
    type: str  # ADDED, MODIFIED or DELETED
    obj: dict[str, Any]
    prev: dict[str, Any] | None


@dataclass(frozen=True)
class WatchFilter:
    """Which objects of one resource type a watch (or list) selects."""

    resource: ResourceType
    namespace: str | None = None
    name: str | None = None
    labels: LabelSelector = field(default_factory=LabelSelector)
    fields: FieldSelector = field(default_factory=FieldSelector)

    @classmethod
    def parse(
        cls,
        resource: ResourceType,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        name: str | None = None,
    ) -> WatchFilter:
        """A filter from query parameters; 400 ApiError on bad selector syntax or fields."""
        return cls(
            resource,
            namespace if resource.namespaced else None,
            name,
            parse_label_selector(label_selector),
            parse_field_selector(field_selector, resource),
        )

    def matches(self, obj: dict[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        if self.namespace is not None and meta.get("namespace", "") != self.namespace:
            return False
        if self.name is not None and meta.get("name") != self.name:
            return False
        if not self.labels.matches(meta.get("labels")):
            return False
        return self.fields.empty or self.fields.matches(object_fields(self.resource, obj))

    def convert(self, event: ChangeEvent) -> tuple[str, dict[str, Any]] | None:
        """The event this watcher sees, moving objects in/out of the selection as upstream."""
        now = event.type != "DELETED" and self.matches(event.obj)
        before = event.prev is not None and self.matches(event.prev)
        if now and not before:
            return "ADDED", event.obj
        if now and before:
            return "MODIFIED", event.obj
        if before:
            if event.type == "DELETED":
                return "DELETED", event.obj
            # Left the selection: the previous content, stamped with this event's RV.
            assert event.prev is not None
            prev_meta = {**event.prev["metadata"], "resourceVersion": str(event.rv)}
            return "DELETED", {**event.prev, "metadata": prev_meta}
        return None


def _event(popped: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """A watch event with its own deep copy of the object (made outside the watcher lock)."""
    return {"type": popped[0], "object": clone(popped[1])}


def bookmark(resource: ResourceType, rv: int, initial_end: bool = False) -> dict[str, Any]:
    """A BOOKMARK event object carrying only kind, apiVersion and resourceVersion."""
    meta: dict[str, Any] = {"resourceVersion": str(rv)}
    if initial_end:
        meta["annotations"] = {INITIAL_EVENTS_END: "true"}
    return {"kind": resource.kind, "apiVersion": resource.api_version, "metadata": meta}


class Watcher:
    """An event stream: `async for event in watcher` or `watcher.next_event(timeout)`.

    Events are `{"type": ..., "object": ...}` dicts with deep-copied objects.
    """

    def __init__(
        self,
        watch_filter: WatchFilter,
        start_rv: int,
        *,
        max_queue: int,
        allow_bookmarks: bool,
        bookmark_interval: float,
        on_close: Callable[[Watcher], None],
    ) -> None:
        self.filter = watch_filter
        self.overflowed = False
        self._initial: deque[tuple[str, dict[str, Any]]] = deque()
        self._queue: deque[tuple[str, dict[str, Any]]] = deque()
        self._max_queue = max_queue
        self._allow_bookmarks = allow_bookmarks
        self._bookmark_interval = bookmark_interval
        self._on_close = on_close
        self._fed_rv = start_rv
        self._ended = False  # no more events will be accepted; stream ends once drained
        self._closed = False
        self._last_sent = time.monotonic()
        self._cond = threading.Condition(threading.Lock())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Event | None = None
        self._async_waiting = False

    # -- producer side (the store calls these under its lock) --------------------------------

    def push_initial(self, event_type: str, obj: dict[str, Any]) -> None:
        """Queue a synthetic or replayed event; not bounded (it is a snapshot the caller asked)."""
        with self._cond:
            self._initial.append((event_type, obj))

    def push_final_error(self, status: dict[str, Any]) -> None:
        """Queue an ERROR event and end the stream after it."""
        with self._cond:
            self._initial.append(("ERROR", status))
            self._ended = True
            self._wake_locked()

    def offer(self, event: ChangeEvent) -> bool:
        """Filter and enqueue a live change; False when the watcher overflowed and must go."""
        with self._cond:
            if self._ended:
                return False
            self._fed_rv = event.rv
            if event.type_key != (self.filter.resource.group, self.filter.resource.plural):
                return True
            converted = self.filter.convert(event)
            if converted is None:
                return True
            if len(self._queue) >= self._max_queue:
                self.overflowed = True
                self._ended = True
                self._wake_locked()
                return False
            self._queue.append(converted)
            self._wake_locked()
            return True

    def _wake_locked(self) -> None:
        self._cond.notify_all()
        if self._async_waiting and self._loop is not None and self._wakeup is not None:
            self._async_waiting = False
            # A RuntimeError means the consumer's loop is closed: nobody is listening.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._wakeup.set)

    # -- consumer side -------------------------------------------------------------------------

    def _pop_locked(self) -> tuple[str, dict[str, Any]] | None:
        """The next queued (type, snapshot); the caller copies it after releasing the lock."""
        source = self._initial or self._queue
        if not source:
            return None
        self._last_sent = time.monotonic()
        return source.popleft()

    def _bookmark_due_in(self) -> float | None:
        if not self._allow_bookmarks:
            return None
        return max(0.0, self._last_sent + self._bookmark_interval - time.monotonic())

    def _bookmark_locked(self) -> dict[str, Any]:
        self._last_sent = time.monotonic()
        return {"type": "BOOKMARK", "object": bookmark(self.filter.resource, self._fed_rv)}

    def __aiter__(self) -> Watcher:
        return self

    async def __anext__(self) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        while True:
            with self._cond:
                popped = self._pop_locked()
                if popped is None:
                    if self._ended or self._closed:
                        raise StopAsyncIteration
                    if self._loop is not loop or self._wakeup is None:
                        self._loop, self._wakeup = loop, asyncio.Event()
                    self._wakeup.clear()
                    self._async_waiting = True
                    wakeup, timeout = self._wakeup, self._bookmark_due_in()
            if popped is not None:
                return _event(popped)
            try:
                await asyncio.wait_for(wakeup.wait(), timeout)
            except TimeoutError:
                with self._cond:
                    if not self._initial and not self._queue and not self._ended:
                        return self._bookmark_locked()
            finally:
                with self._cond:
                    self._async_waiting = False

    def next_event(self, timeout: float | None = None) -> dict[str, Any] | None:
        """Blocking variant for threads: the next event, or None at end of stream or timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                popped = self._pop_locked()
                if popped is not None:
                    break
                if self._ended or self._closed:
                    return None
                waits = [t for t in (self._bookmark_due_in(),) if t is not None]
                if deadline is not None:
                    waits.append(deadline - time.monotonic())
                wait = min(waits) if waits else None
                if wait is not None and wait <= 0:
                    due = self._bookmark_due_in()
                    if due is not None and due <= 0:
                        return self._bookmark_locked()
                    return None
                self._cond.wait(wait)
        return _event(popped)

    @property
    def ended(self) -> bool:
        """True once no further events will arrive (queued ones may remain)."""
        return self._ended or self._closed

    def close_nowait(self) -> None:
        """Stop the stream and unregister from the store; safe from any thread, idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._initial.clear()
            self._queue.clear()
            self._wake_locked()
        self._on_close(self)

    async def close(self) -> None:
        self.close_nowait()


def prime(
    watcher: Watcher,
    current: dict[tuple[str, str], dict[str, Any]],
    history: Iterable[ChangeEvent],
    *,
    resource_version: int | None,
    send_initial_events: bool | None,
    current_rv: int,
    base_rv: int,
) -> bool:
    """Queue what a new watch starts with; False when it only gets a 410 and must not go live.

    RV unset/"0" (None here) sends the current state as ADDED unless sendInitialEvents=false;
    sendInitialEvents=true adds the `initial-events-end` bookmark; RV=N replays history after N.
    """
    watch_filter = watcher.filter
    resource = watch_filter.resource
    if send_initial_events or (resource_version is None and send_initial_events is None):
        for key in sorted(current):
            if watch_filter.matches(current[key]):
                watcher.push_initial("ADDED", current[key])
        if send_initial_events:
            watcher.push_initial("BOOKMARK", bookmark(resource, current_rv, initial_end=True))
        return True
    if resource_version is None:
        return True
    if resource_version < base_rv:
        message = f"too old resource version: {resource_version} ({base_rv})"
        watcher.push_final_error(expired(message).status)
        return False
    type_key = (resource.group, resource.plural)
    for event in history:
        if event.rv > resource_version and event.type_key == type_key:
            converted = watch_filter.convert(event)
            if converted is not None:
                watcher.push_initial(*converted)
    return True
