"""What a pod's containers share (identity, addresses, kubelet services) and the back-off.

Restart back-off follows the kubelet: the first restart is immediate, then 10 s doubling to
300 s (CrashLoopBackOff), reset after 10 minutes of healthy running; image pull failures back
off the same way (ImagePullBackOff). Durations are cluster seconds, slept through the Clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusters.embedded.clock import Clock, format_timestamp
from clusters.embedded.kubelet.environment import ObjectLookup
from clusters.embedded.kubelet.images import ImageCatalog
from clusters.embedded.kubelet.portmap import PortMap
from clusters.embedded.kubelet.reporter import PodReporter

__all__ = ["INITIAL_BACKOFF", "BackOff", "PodContext"]

_log = logging.getLogger(__name__)

INITIAL_BACKOFF = 10.0
MAX_BACKOFF = 300.0
BACKOFF_RESET_AFTER = 600.0
EVENT_REPEAT_SECONDS = 1.0


class BackOff:
    """Kubelet-style back-off: `first` delay (0 = immediate), then 10 s doubling up to 300 s."""

    def __init__(self, first: float) -> None:
        self._first = first
        self._current: float | None = None

    def next_delay(self, ran_for: float = 0.0) -> float:
        if ran_for >= BACKOFF_RESET_AFTER:
            self._current = None
        if self._current is None:
            self._current = self._first
        elif self._current == 0:
            self._current = INITIAL_BACKOFF
        else:
            self._current = min(self._current * 2, MAX_BACKOFF)
        return self._current


@dataclass
class PodContext:
    """What every container of a pod shares: identity, addresses and the kubelet's services."""

    pod: dict[str, Any]
    pod_ip: str
    host_ip: str
    clock: Clock
    state_dir: Path
    resolver_path: Path
    catalog: ImageCatalog
    reporter: PodReporter
    lookup: ObjectLookup | None
    notify: Callable[[], None]
    stopping: bool = False
    port_map: PortMap | None = None  # set when pods listen on 127.0.0.1 with mapped ports
    _last_events: dict[tuple[str, str, str], float] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        return str(self.pod["metadata"].get("namespace", "default"))

    @property
    def name(self) -> str:
        return str(self.pod["metadata"]["name"])

    @property
    def uid(self) -> str:
        return str(self.pod["metadata"].get("uid", ""))

    def event(self, type_: str, reason: str, message: str) -> None:
        """Record an event; the same event again within a real second is dropped, so a fast
        clock (probes failing many times a second) does not flood the API server."""
        key, now = (type_, reason, message), time.monotonic()
        if now - self._last_events.get(key, -EVENT_REPEAT_SECONDS) < EVENT_REPEAT_SECONDS:
            return
        self._last_events[key] = now
        try:
            self.reporter.emit_event(self.pod, type_, reason, message)
        except Exception:
            _log.exception(
                "emitting event %s for pod %s/%s failed", reason, self.namespace, self.name
            )

    def now(self) -> str:
        return format_timestamp(self.clock.now())

    def grace_seconds(self) -> float:
        """The pod's termination grace period in cluster seconds."""
        metadata, spec = self.pod.get("metadata") or {}, self.pod.get("spec") or {}
        for value in (
            metadata.get("deletionGracePeriodSeconds"),
            spec.get("terminationGracePeriodSeconds"),
        ):
            if value is not None:
                return float(value)
        return 30.0
