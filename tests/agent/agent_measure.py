"""Measure one running agent on the standard mix over real HTTP (shared by the agent tests)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from agent.mix import standard_mix


@dataclass
class Measurement:
    """Client-side view of one standard-mix run plus the agent's own /stats afterwards."""

    statuses: list[int]
    priorities: list[dict[str, str] | None]  # per request: task id -> priority; None if failed
    bodies: list[dict[str, Any]]
    stats: dict[str, Any]
    probes: dict[str, tuple[int, dict[str, Any]]]  # path -> (status, JSON) for healthz/readyz

    @property
    def error_rate(self) -> float:
        return sum(1 for s in self.statuses if s >= 500) / len(self.statuses)

    @property
    def urgent_ratio(self) -> float:
        planned = [p for plan in self.priorities if plan for p in plan.values()]
        return sum(1 for p in planned if p == "P0") / len(planned)


def measure(base_url: str, seed: int = 0, workers: int = 8) -> Measurement:
    """POST every standard-mix body (a few at a time), then read /stats."""
    mix = standard_mix(seed)
    with httpx.Client(base_url=base_url, timeout=10) as client:

        def post(body: dict[str, Any]) -> httpx.Response:
            return client.post("/v1/plan", json=body)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            responses = list(pool.map(post, mix))
        stats = client.get("/stats").json()
        probes = {}
        for path in ("/healthz", "/readyz"):
            probe = client.get(path)
            probes[path] = (probe.status_code, probe.json())
    priorities: list[dict[str, str] | None] = []
    for response in responses:
        if response.status_code == 200:
            priorities.append({task["id"]: task["priority"] for task in response.json()["tasks"]})
        else:
            priorities.append(None)
    return Measurement(
        [r.status_code for r in responses], priorities, [r.json() for r in responses], stats, probes
    )
