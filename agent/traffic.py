"""Standard-mix traffic against one agent URL, tallied per responding version.

`python -m agent.traffic --target URL --rps N --duration S [--seed K] [--json]` prints one line
per second and a final summary (`--json`: the summary as JSON on stdout, live lines on stderr).
`run_traffic(...)` is the same as a function; `on_tick` receives a snapshot about once a second
and the final summary. Each request opens a fresh connection (no keep-alive) so a Service
spreads requests over pods the way a canary's replica split intends.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import httpx

from agent.mix import standard_mix
from agent.telemetry import p95

__all__ = [
    "MAX_DURATION_SECONDS",
    "MAX_RPS",
    "TrafficSummary",
    "VersionTally",
    "main",
    "run_traffic",
]

MAX_RPS = 500.0
MAX_DURATION_SECONDS = 3600.0
UNKNOWN_VERSION = "unknown"
LATENCY_SAMPLES = 10_000


@dataclass
class VersionTally:
    """Responses from one agent version: counts, HTTP 5xx errors, P0 share, client latency.

    `p95_latency_ms` covers the most recent `LATENCY_SAMPLES` answers, keeping snapshots small.
    """

    requests: int = 0
    errors: int = 0
    tasks: int = 0
    urgent_tasks: int = 0
    latencies_ms: deque[float] = field(
        default_factory=lambda: deque(maxlen=LATENCY_SAMPLES), repr=False
    )

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def urgent_ratio(self) -> float:
        return self.urgent_tasks / self.tasks if self.tasks else 0.0

    @property
    def p95_latency_ms(self) -> float:
        return round(p95(list(self.latencies_ms)), 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "tasks": self.tasks,
            "urgent_tasks": self.urgent_tasks,
            "urgent_ratio": self.urgent_ratio,
            "p95_latency_ms": self.p95_latency_ms,
        }


@dataclass
class TrafficSummary:
    """Traffic so far (a live snapshot) or in total (`finished` is True)."""

    target: str
    rps: float
    duration_s: float
    seed: int
    elapsed_s: float = 0.0
    sent: int = 0
    completed: int = 0
    transport_errors: int = 0
    finished: bool = False
    by_version: dict[str, VersionTally] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        """HTTP 5xx answers plus requests that got no answer at all."""
        return self.transport_errors + sum(t.errors for t in self.by_version.values())

    @property
    def error_rate(self) -> float:
        return self.errors / self.completed if self.completed else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "rps": self.rps,
            "duration_s": self.duration_s,
            "seed": self.seed,
            "elapsed_s": round(self.elapsed_s, 3),
            "sent": self.sent,
            "completed": self.completed,
            "errors": self.errors,
            "error_rate": self.error_rate,
            "transport_errors": self.transport_errors,
            "finished": self.finished,
            "by_version": {v: t.as_dict() for v, t in sorted(self.by_version.items())},
        }

    def line(self) -> str:
        """One human line: totals, then each version's share, errors and urgent ratio."""
        parts = [
            f"t={self.elapsed_s:5.1f}s sent={self.sent} done={self.completed} errors={self.errors}"
        ]
        for version, tally in sorted(self.by_version.items()):
            parts.append(
                f"{version}: {tally.requests} req, {tally.errors} err "
                f"({tally.error_rate:.0%}), urgent {tally.urgent_ratio:.2f}"
            )
        if self.transport_errors:
            parts.append(f"unreachable: {self.transport_errors}")
        return " | ".join(parts)


def _plan_url(target: str) -> str:
    trimmed = target.rstrip("/")
    return trimmed if trimmed.endswith("/v1/plan") else f"{trimmed}/v1/plan"


def _version_of(response: httpx.Response, body: Any) -> str:
    header = response.headers.get("x-agent-version")
    if header:
        return header
    if isinstance(body, dict) and isinstance(body.get("agent_version"), str):
        return str(body["agent_version"])
    return UNKNOWN_VERSION


def run_traffic(
    target: str,
    rps: float,
    duration: float,
    seed: int = 0,
    on_tick: Callable[[TrafficSummary], None] | None = None,
    *,
    workers: int = 8,
    timeout: float = 5.0,
    transport: httpx.BaseTransport | None = None,
) -> TrafficSummary:
    """Send `ceil(rps*duration)` standard-mix plans to `target`, paced at `rps`; tally them.

    At most `workers` requests are in flight; none starts later than `duration + timeout`
    seconds after the first, so a slow target shortens the run instead of stretching it.
    """
    if not 0 < rps <= MAX_RPS:
        raise ValueError(f"rps must be in (0, {MAX_RPS:g}]")
    if not 0 < duration <= MAX_DURATION_SECONDS:
        raise ValueError(f"duration must be in (0, {MAX_DURATION_SECONDS:g}] seconds")
    url = _plan_url(target)
    bodies = standard_mix(seed)
    total = max(1, math.ceil(rps * duration))
    summary = TrafficSummary(target=target, rps=rps, duration_s=duration, seed=seed)
    lock = threading.Lock()
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=0)
    client = httpx.Client(timeout=timeout, limits=limits, transport=transport)

    def send_one(index: int) -> None:
        with lock:
            summary.sent += 1
        started = time.perf_counter()
        try:
            response = client.post(url, json=bodies[index % len(bodies)])
        except httpx.HTTPError:
            with lock:
                summary.completed += 1
                summary.transport_errors += 1
            return
        latency_ms = (time.perf_counter() - started) * 1000
        try:
            body = response.json()
        except ValueError:
            body = None
        tasks = body.get("tasks") if isinstance(body, dict) else None
        priorities = [t.get("priority") for t in tasks if isinstance(t, dict)] if tasks else []
        with lock:
            tally = summary.by_version.setdefault(_version_of(response, body), VersionTally())
            summary.completed += 1
            tally.requests += 1
            tally.latencies_ms.append(latency_ms)
            if response.status_code >= 500:
                tally.errors += 1
            elif response.status_code == 200:
                tally.tasks += len(priorities)
                tally.urgent_tasks += sum(1 for p in priorities if p == "P0")

    def snapshot(finished: bool = False) -> TrafficSummary:
        with lock:
            summary.elapsed_s = time.monotonic() - start
            summary.finished = finished
            return copy.deepcopy(summary)

    start = time.monotonic()
    deadline = start + duration + timeout  # nothing starts after this; queued requests drop
    next_tick = start + 1.0
    futures: list[Future[None]] = []
    executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="traffic")
    try:
        for index in range(total):
            due = start + index / rps
            while (now := time.monotonic()) < due:
                pause = due - now
                if on_tick is not None:
                    if now >= next_tick:
                        next_tick += 1.0
                        on_tick(snapshot())
                    pause = min(pause, max(next_tick - now, 0.001))
                time.sleep(pause)
            if time.monotonic() > deadline:
                break
            futures.append(executor.submit(send_one, index))
        pending = set(futures)
        while pending and (now := time.monotonic()) < deadline:
            until = deadline if on_tick is None else min(deadline, next_tick)
            _, pending = wait(pending, timeout=max(until - now, 0.001))
            if on_tick is not None and time.monotonic() >= next_tick:
                next_tick += 1.0
                on_tick(snapshot())
    finally:
        # Requests still queued are dropped; those in flight end within `timeout`.
        executor.shutdown(wait=True, cancel_futures=True)
        client.close()
    final = snapshot(finished=True)
    if on_tick is not None:
        on_tick(final)
    return final


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; exit 2 when no request got any HTTP answer."""
    parser = argparse.ArgumentParser(prog="python -m agent.traffic", description=__doc__)
    parser.add_argument("--target", required=True, help="agent or Service base URL")
    parser.add_argument("--rps", type=float, required=True, help=f"requests/s (max {MAX_RPS:g})")
    parser.add_argument("--duration", type=float, required=True, help="seconds to run")
    parser.add_argument("--seed", type=int, default=0, help="standard-mix seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print the final summary as JSON")
    args = parser.parse_args(argv)
    live = sys.stderr if args.json else sys.stdout

    def tick(snap: TrafficSummary) -> None:
        if not snap.finished:
            print(snap.line(), file=live, flush=True)

    try:
        result = run_traffic(args.target, args.rps, args.duration, args.seed, on_tick=tick)
    except ValueError as error:
        parser.error(str(error))
    if args.json:
        print(json.dumps(result.as_dict(), indent=2), flush=True)
    else:
        print(f"final: {result.line()}", flush=True)
    if result.completed and result.transport_errors == result.completed:
        print(f"error: no request to {args.target} got an HTTP answer", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
