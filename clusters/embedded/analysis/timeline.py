"""Map wall-clock timestamps onto the cluster's warped timeline for the pure analysis logic.

Objects carry wall-clock stamps (as a learner sees them), but intervals, initial delays, error
retries and TTLs are cluster durations. `WarpedTimeline` stretches wall time around a fixed
origin by the clock's time scale, so `finishedAt + interval` in the warped view is exactly
`interval` cluster seconds after the measurement, and converts answers back to cluster seconds.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from clusters.embedded.clock import Clock, parse_timestamp

__all__ = ["WarpedTimeline"]

_MEASUREMENT_TIMES = ("startedAt", "finishedAt", "resumeAt")


class WarpedTimeline:
    """Affine map wall -> warped time: origin + (t - origin) * time_scale."""

    def __init__(self, clock: Clock, origin: datetime | None = None) -> None:
        self.clock = clock
        self.origin = origin or clock.now()

    def warp(self, moment: datetime | str) -> datetime:
        wall = parse_timestamp(moment) if isinstance(moment, str) else moment
        return self.origin + (wall - self.origin) * self.clock.time_scale

    def unwarp(self, moment: datetime) -> datetime:
        return self.origin + (moment - self.origin) / self.clock.time_scale

    def now(self) -> datetime:
        return self.warp(self.clock.now())

    def view(self, run: dict[str, Any]) -> dict[str, Any]:
        """A copy of `run` whose status timestamps are warped datetimes."""
        out = copy.deepcopy(run)
        status = out.get("status") or {}
        if status.get("startedAt"):
            status["startedAt"] = self.warp(status["startedAt"])
        for result in status.get("metricResults") or []:
            for measurement in result.get("measurements") or []:
                for key in _MEASUREMENT_TIMES:
                    if measurement.get(key):
                        measurement[key] = self.warp(measurement[key])
        return out

    def seconds_until(self, warped: datetime) -> float:
        """Cluster seconds from now until a warped instant (negative when past)."""
        return (warped - self.now()).total_seconds()
