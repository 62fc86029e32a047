"""One clock for the embedded cluster: wall-clock timestamps, time-warped durations.

`Clock(time_scale=60)` makes a 5-minute pause take 5 seconds: every controller duration
(pause steps, probe periods, back-offs, progress deadlines, analysis intervals) is divided
by the scale through `sleep()`, `monotonic()`, `elapsed_since()` and `deadline()`, while
timestamps written into objects stay wall-clock (`now()`, `stamp()`), as learners would see
on a real cluster.

Under time-warp (scale > 1) `stamp()` writes milliseconds: at scale 60 one wall second is a
cluster minute, so second-precision timestamps would make warped durations measured from
them off by up to a minute. At scale 1 timestamps have second precision, as the real API's.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

__all__ = ["Clock", "format_timestamp", "parse_timestamp"]


def format_timestamp(moment: datetime, *, millis: bool = False) -> str:
    """RFC 3339 with a Z suffix, as the Kubernetes API writes it (optionally milliseconds)."""
    moment = moment.astimezone(UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 timestamp as written by the API (Z or offset, optional fraction)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Clock:
    """Scaled durations over the real clock.

    Controller time ("cluster seconds") advances `time_scale` times faster than real time.
    Instants are always wall clock; only durations are scaled.
    """

    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError(f"time scale must be positive, got {time_scale!r}")
        self.time_scale = float(time_scale)
        self._mono_origin = time.monotonic()

    @property
    def warped(self) -> bool:
        return self.time_scale != 1.0

    def monotonic(self) -> float:
        """Cluster seconds since the clock started (warped); for measuring durations."""
        return (time.monotonic() - self._mono_origin) * self.time_scale

    def now(self) -> datetime:
        """The wall-clock instant (what timestamps in objects record)."""
        return datetime.now(UTC)

    def wall_now(self) -> datetime:
        return self.now()

    def stamp(self, moment: datetime | None = None) -> str:
        """A timestamp for an object field: now (or `moment`), precise enough for the warp."""
        return format_timestamp(moment or self.now(), millis=self.warped)

    def real_seconds(self, cluster_seconds: float) -> float:
        """How many real seconds a cluster duration takes."""
        return max(0.0, cluster_seconds) / self.time_scale

    def elapsed_since(self, timestamp: str | datetime) -> float:
        """Cluster seconds elapsed since a wall-clock timestamp written by `stamp()`."""
        moment = parse_timestamp(timestamp) if isinstance(timestamp, str) else timestamp
        return (self.now() - moment).total_seconds() * self.time_scale

    def deadline(self, cluster_seconds: float, since: str | datetime | None = None) -> datetime:
        """The wall-clock instant a cluster duration after `since` (default now) ends."""
        if since is None:
            start = self.now()
        else:
            start = parse_timestamp(since) if isinstance(since, str) else since
        return start + timedelta(seconds=self.real_seconds(cluster_seconds))

    def remaining(self, cluster_seconds: float, since: str | datetime) -> float:
        """Cluster seconds left until `cluster_seconds` after `since` have passed (>= 0)."""
        return max(0.0, cluster_seconds - self.elapsed_since(since))

    async def sleep(self, cluster_seconds: float) -> None:
        """Sleep for a cluster duration (asyncio)."""
        await asyncio.sleep(self.real_seconds(cluster_seconds))

    def sleep_blocking(self, cluster_seconds: float) -> None:
        """Sleep for a cluster duration (threads)."""
        time.sleep(self.real_seconds(cluster_seconds))
