"""The standard mix: one deterministic list of planning requests shared by traffic, tests and bench.

Figures quoted for each version (urgent_ratio, error_rate) are measured on this mix, so changing
it changes the README's table; `tests/agent` re-measures and compares.
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["STANDARD_MIX_SIZE", "standard_mix"]

STANDARD_MIX_SIZE = 200

_GOALS = (
    "Ship the Q3 onboarding revamp",
    "Stabilise the billing service",
    "Prepare the security audit",
    "Launch the mobile beta",
    "Cut cloud spend by 15%",
    "Migrate search to the new cluster",
)
_VERBS = ("Fix", "Write", "Review", "Migrate", "Design", "Test", "Document", "Deploy", "Triage")
_OBJECTS = (
    "login flow",
    "invoice export",
    "rate limiter",
    "dashboard filters",
    "on-call runbook",
    "API pagination",
    "release notes",
    "cache layer",
    "signup email",
    "audit log",
)
_TAGS = ("customer", "bug", "security", "docs", "infra", "research", "billing", "ux")
_DUE = (None, None, 2, 6, 12, 24, 48, 72, 120, 240, 480)


def _task(rng: random.Random, number: int) -> dict[str, Any]:
    task: dict[str, Any] = {
        "id": f"T{number}",
        "title": f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)}",
        "impact": rng.randint(1, 5),
        "effort": rng.randint(1, 5),
        "tags": rng.sample(_TAGS, rng.choice((0, 1, 1, 2))),
    }
    due = rng.choice(_DUE)
    if due is not None:
        task["due_in_hours"] = due
    return task


def standard_mix(seed: int = 0, count: int = STANDARD_MIX_SIZE) -> list[dict[str, Any]]:
    """`count` valid `POST /v1/plan` bodies, 3..6 tasks each, identical for the same seed."""
    if count < 0:
        raise ValueError("count must be >= 0")
    rng = random.Random(seed)
    bodies = []
    for index in range(count):
        tasks = [_task(rng, number) for number in range(1, rng.randint(3, 6) + 1)]
        bodies.append({"goal": f"{rng.choice(_GOALS)} (#{index})", "tasks": tasks})
    return bodies
