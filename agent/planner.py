"""The deterministic planner: scores each task with a template's weights and maps to P0..P3.

Everything random-looking (thinking delay, v4's failures) comes from a hash of the request body,
so the same request always gets the same answer, delay and outcome.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, cast

from agent.models import PlannedTask, PlanRequest, PlanResponse, Priority, Task
from agent.template import PRIORITIES, PromptTemplate

__all__ = [
    "build_plan",
    "plan_task",
    "request_fraction",
    "should_fail",
    "thinking_delay_ms",
]


def request_fraction(request: PlanRequest, purpose: str) -> float:
    """A stable number in [0, 1) derived from the (validated) request and a purpose label."""
    body: dict[str, Any] = request.model_dump(mode="json")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    digest = hashlib.sha256(f"{purpose}\n{canonical}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def thinking_delay_ms(template: PromptTemplate, request: PlanRequest) -> float:
    """Simulated model latency: base plus a per-request jitter, both from the template."""
    return template.thinking_base_ms + template.thinking_jitter_ms * request_fraction(
        request, "thinking"
    )


def should_fail(template: PromptTemplate, request: PlanRequest) -> bool:
    """True for the share `failure_rate` of requests (always the same ones)."""
    return request_fraction(request, "failure") < template.failure_rate


def _urgency_points(template: PromptTemplate, due_in_hours: float | None) -> float:
    if due_in_hours is None:
        return 0.0
    for band in template.due_bands:
        if due_in_hours <= band.within_hours:
            return band.points
    return 0.0


def plan_task(template: PromptTemplate, task: Task) -> PlannedTask:
    """Score one task, pick its priority and explain the two biggest contributions."""
    factors: list[tuple[str, float]] = []
    urgency = _urgency_points(template, task.due_in_hours) * template.weight_urgency
    if task.due_in_hours is not None:
        factors.append((f"due in {task.due_in_hours:g}h", urgency))
    factors.append((f"impact {task.impact}/5", task.impact * template.weight_impact))
    factors.append((f"effort {task.effort}/5", -task.effort * template.weight_effort))
    for tag in dict.fromkeys(task.tags):
        if tag in template.tag_points:
            factors.append((f"tag {tag}", template.tag_points[tag]))
    lowered = task.title.lower()
    for word, points in template.title_points.items():
        if word in lowered:
            factors.append((f"'{word}' in title", points))
    score = sum(points for _, points in factors)
    priority = PRIORITIES[-1]
    for candidate in PRIORITIES[:-1]:
        if score >= template.thresholds[candidate]:
            priority = candidate
            break
    top = sorted(factors, key=lambda item: abs(item[1]), reverse=True)[:2]
    reason = f"score {score:.1f}: " + ", ".join(f"{label} ({pts:+.1f})" for label, pts in top)
    subtasks: list[str] = []
    if task.effort >= template.subtask_min_effort:
        subtasks = [step.format(title=task.title) for step in template.subtask_steps]
    return PlannedTask(
        id=task.id,
        title=task.title,
        priority=cast(Priority, priority),
        reason=reason,
        subtasks=subtasks,
    )


def build_plan(template: PromptTemplate, request: PlanRequest) -> PlanResponse:
    """Plan every task; order by priority, keeping the caller's order within a priority."""
    planned = [plan_task(template, task) for task in request.tasks]
    planned.sort(key=lambda item: PRIORITIES.index(item.priority))
    counts = None
    if "priority_counts" in template.extra_fields:
        counts = {p: sum(1 for t in planned if t.priority == p) for p in PRIORITIES}
    return PlanResponse(
        goal=request.goal,
        agent_version=template.version,
        template=template.name,
        template_revision=template.revision,
        tasks=planned,
        priority_counts=counts,
    )
