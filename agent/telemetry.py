"""What the agent observes about itself: Prometheus metrics and the rolling `/stats` window.

The window counts only `POST /v1/plan` requests (probes and scrapes would dilute the rates an
AnalysisTemplate judges). An error is an HTTP 5xx; `urgent_ratio` is the share of planned tasks
given P0. The clock is injectable so tests can age requests out without sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = [
    "DEFAULT_WINDOW_SECONDS",
    "AgentMetrics",
    "PlanEvent",
    "RollingWindow",
    "WindowStats",
    "p95",
]

DEFAULT_WINDOW_SECONDS = 60.0
MAX_WINDOW_SECONDS = 600.0
MAX_EVENTS = 100_000
LATENCY_BUCKETS = (0.002, 0.004, 0.006, 0.008, 0.010, 0.012, 0.015, 0.02, 0.05, 0.1, 0.5, 1.0)


@dataclass(frozen=True)
class PlanEvent:
    """One finished plan request: when, outcome, latency and how many tasks were P0."""

    at: float
    status: int
    latency_ms: float
    tasks: int
    urgent_tasks: int


@dataclass(frozen=True)
class WindowStats:
    """Aggregates over the window; field names are what AnalysisTemplates query."""

    window_seconds: float
    requests: int
    errors: int
    error_rate: float
    tasks: int
    urgent_tasks: int
    urgent_ratio: float
    p95_latency_ms: float


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile (0.0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class RollingWindow:
    """Plan events of the last `MAX_WINDOW_SECONDS`, summarised over any shorter window."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._events: deque[PlanEvent] = deque(maxlen=MAX_EVENTS)
        self._lock = threading.Lock()

    def record(self, status: int, latency_ms: float, tasks: int = 0, urgent_tasks: int = 0) -> None:
        """Add one finished request, stamped with the window's clock."""
        event = PlanEvent(self._clock(), status, latency_ms, tasks, urgent_tasks)
        with self._lock:
            self._events.append(event)
            self._drop_older_than(event.at - MAX_WINDOW_SECONDS)

    def _drop_older_than(self, cutoff: float) -> None:
        while self._events and self._events[0].at < cutoff:
            self._events.popleft()

    def stats(self, window_seconds: float = DEFAULT_WINDOW_SECONDS) -> WindowStats:
        """Summarise events no older than `window_seconds` (clamped to 0 < w <= 600)."""
        window = min(max(window_seconds, 0.001), MAX_WINDOW_SECONDS)
        cutoff = self._clock() - window
        with self._lock:
            self._drop_older_than(cutoff - MAX_WINDOW_SECONDS)
            recent = [event for event in self._events if event.at >= cutoff]
        return summarise(recent, window)


def summarise(events: Iterable[PlanEvent], window_seconds: float) -> WindowStats:
    """Counts and rates over the given events."""
    items = list(events)
    errors = sum(1 for event in items if event.status >= 500)
    tasks = sum(event.tasks for event in items)
    urgent = sum(event.urgent_tasks for event in items)
    return WindowStats(
        window_seconds=window_seconds,
        requests=len(items),
        errors=errors,
        error_rate=errors / len(items) if items else 0.0,
        tasks=tasks,
        urgent_tasks=urgent,
        urgent_ratio=urgent / tasks if tasks else 0.0,
        p95_latency_ms=round(p95([event.latency_ms for event in items]), 3),
    )


class AgentMetrics:
    """Prometheus metrics in a registry of their own, so each app (and test) starts at zero."""

    def __init__(self, version: str, template: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.version = version
        self.requests = Counter(
            "agent_http_requests",
            "HTTP requests served, by route, status code and agent version.",
            ["version", "path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "agent_http_request_duration_seconds",
            "Time to answer POST /v1/plan, by agent version.",
            ["version"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.planned = Counter(
            "agent_planned_tasks",
            "Tasks planned, by the priority the agent gave them.",
            ["version", "priority"],
            registry=self.registry,
        )
        info = Gauge(
            "agent_build_info",
            "Always 1; labels name the running version and prompt template.",
            ["version", "template"],
            registry=self.registry,
        )
        info.labels(version=version, template=template).set(1)

    def observe_request(self, path: str, status: int, latency_seconds: float | None) -> None:
        """Count one request; `latency_seconds` is given for plan requests only."""
        self.requests.labels(version=self.version, path=path, status=str(status)).inc()
        if latency_seconds is not None:
            self.latency.labels(version=self.version).observe(latency_seconds)

    def observe_priorities(self, priorities: Iterable[str]) -> None:
        """Count the priorities of one plan's tasks."""
        for priority in priorities:
            self.planned.labels(version=self.version, priority=priority).inc()
