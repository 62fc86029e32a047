"""A small level-triggered controller runtime: watches feed a de-duplicating work queue,
one worker reconciles keys, failures retry with back-off, and a periodic resync re-checks all.

Durations are cluster seconds (time-warped through the Clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from clusters.embedded.clock import Clock
from clusters.embedded.resources import ResourceType
from clusters.embedded.status import ApiError

__all__ = ["Controller", "Key", "Watched"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, order=True)
class Key:
    """What a controller reconciles: one object of its primary kind."""

    namespace: str
    name: str


@dataclass(frozen=True)
class Watched:
    """A kind the controller watches and how its events map to keys."""

    resource: ResourceType
    # None: the object's own key; else a function returning keys to enqueue.
    mapper: Any = None


class Controller:
    """Subclasses set `name`, `primary`, `watched` and implement `reconcile`."""

    name = "controller"
    primary: ResourceType
    watched: tuple[Watched, ...] = ()
    resync_seconds = 30.0
    max_backoff_seconds = 60.0

    def __init__(self, store: Any, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._queued: set[Key] = set()
        self._timers: dict[Key, asyncio.TimerHandle] = {}
        self._failures: dict[Key, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- queue -------------------------------------------------------------------------------
    def enqueue(self, key: Key) -> None:
        if key not in self._queued:
            self._queued.add(key)
            self._queue.put_nowait(key)

    def enqueue_after(self, key: Key, cluster_seconds: float) -> None:
        """Reconcile `key` again after a cluster duration (an earlier request wins)."""
        assert self._loop is not None
        delay = self.clock.real_seconds(cluster_seconds)
        existing = self._timers.get(key)
        if existing is not None:
            if existing.when() <= self._loop.time() + delay:
                return
            existing.cancel()
        self._timers[key] = self._loop.call_later(delay, self._fire_timer, key)

    def _fire_timer(self, key: Key) -> None:
        self._timers.pop(key, None)
        self.enqueue(key)

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        watched = (Watched(self.primary), *self.watched)
        for item in watched:
            self._tasks.append(asyncio.create_task(self._watch(item), name=f"{self.name}-watch"))
        self._tasks.append(asyncio.create_task(self._work(), name=f"{self.name}-worker"))
        self._tasks.append(asyncio.create_task(self._resync(), name=f"{self.name}-resync"))

    async def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    def keys_for(self, watched: Watched, obj: dict[str, Any]) -> Iterable[Key]:
        if watched.mapper is not None:
            return watched.mapper(obj)
        meta = obj.get("metadata", {})
        return [Key(meta.get("namespace", ""), meta.get("name", ""))]

    async def _watch(self, watched: Watched) -> None:
        while True:
            watcher = self.store.watch(watched.resource, None)
            try:
                async for event in watcher:
                    if event.get("type") in ("BOOKMARK", "ERROR"):
                        continue
                    for key in self.keys_for(watched, event["object"]):
                        self.enqueue(key)
            except asyncio.CancelledError:
                raise
            except Exception:  # a broken watch is re-opened; the resync covers the gap
                log.exception("%s: watch on %s failed", self.name, watched.resource.plural)
            finally:
                with contextlib.suppress(Exception):
                    await watcher.close()
            await asyncio.sleep(0.2)

    async def _resync(self) -> None:
        while True:
            await self.clock.sleep(self.resync_seconds)
            for obj in self.store.list(self.primary, None).items:
                meta = obj["metadata"]
                self.enqueue(Key(meta.get("namespace", ""), meta["name"]))

    async def _work(self) -> None:
        while True:
            key = await self._queue.get()
            self._queued.discard(key)
            try:
                requeue = await self.reconcile(key)
            except asyncio.CancelledError:
                raise
            except ApiError as error:
                requeue = self._backoff(key)
                if error.code != 409:  # conflicts are routine: someone wrote first
                    log.warning("%s: reconcile %s: %s", self.name, key, error)
            except Exception:
                log.exception("%s: reconcile %s failed", self.name, key)
                requeue = self._backoff(key)
            else:
                self._failures.pop(key, None)
            if requeue is not None:
                self.enqueue_after(key, requeue)

    def _backoff(self, key: Key) -> float:
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        # Real seconds matter here, not cluster seconds: convert so warp does not spin.
        real = min(0.05 * 2 ** (failures - 1), 5.0)
        return real * self.clock.time_scale

    async def reconcile(self, key: Key) -> float | None:
        """Bring `key` to its desired state; return cluster seconds until a re-check, or None."""
        raise NotImplementedError
