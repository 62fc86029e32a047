"""One clock for the embedded cluster: wall-clock timestamps, time-warped durations.

`Clock(time_scale=60)` makes a 5-minute pause take 5 seconds: every controller duration
(pause steps, probe periods, back-offs, progress deadlines, analysis intervals) is divided
by the scale through `sleep()`/`monotonic()`, while timestamps written into objects stay
wall-clock (`now()`), as learners would see on a real cluster.
"""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "format_timestamp", "parse_timestamp"]


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 with second precision and a Z suffix, as the Kubernetes API writes it."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp as written by the API (Z or offset, optional fraction)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    """Scaled durations over a real clock.

    Controller time ("cluster seconds") advances `time_scale` times faster than real time.
    `now()` returns the *cluster* time, which starts at the wall clock and then runs at the
    warped rate, so durations computed from two `now()` readings match the spec's durations;
    `wall_now()` is plain wall clock.
    """

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError(f"time scale must be positive, got {time_scale!r}")
        self.time_scale = float(time_scale)
        self._wall_origin = datetime.now(UTC)
        self._mono_origin = time.monotonic()
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        """Cluster seconds since the clock started (warped)."""
        return (time.monotonic() - self._mono_origin) * self.time_scale

    def now(self) -> datetime:
        """Cluster time as a datetime: wall clock at start, then warped."""
        return self._wall_origin + timedelta(seconds=self.monotonic())

    def wall_now(self) -> datetime:
        return datetime.now(UTC)

    def real_seconds(self, cluster_seconds: float) -> float:
        """How many real seconds a cluster duration takes."""
        return max(0.0, cluster_seconds) / self.time_scale

    async def sleep(self, cluster_seconds: float) -> None:
        """Sleep for a cluster duration (asyncio)."""
        await asyncio.sleep(self.real_seconds(cluster_seconds))

    def sleep_blocking(self, cluster_seconds: float) -> None:
        """Sleep for a cluster duration (threads)."""
        time.sleep(self.real_seconds(cluster_seconds))
