"""Request and response bodies of `POST /v1/plan` (pydantic, so FastAPI reports field errors)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PlanRequest", "PlanResponse", "PlannedTask", "Priority", "Task"]

Priority = Literal["P0", "P1", "P2", "P3"]
Tag = Annotated[str, Field(min_length=1, max_length=40)]


class Task(BaseModel):
    """One task the caller wants prioritised."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    due_in_hours: float | None = Field(default=None, ge=0, le=24 * 365)
    impact: int = Field(ge=1, le=5, description="1 (minor) .. 5 (critical)")
    effort: int = Field(ge=1, le=5, description="1 (an hour) .. 5 (weeks)")
    tags: list[Tag] = Field(default_factory=list, max_length=10)


class PlanRequest(BaseModel):
    """A goal and the tasks to plan towards it."""

    model_config = ConfigDict(extra="forbid")

    goal: str = Field(min_length=1, max_length=500)
    tasks: list[Task] = Field(min_length=1, max_length=200)


class PlannedTask(BaseModel):
    """A task with the priority the planner gave it and why."""

    id: str
    title: str
    priority: Priority
    reason: str
    subtasks: list[str] = Field(default_factory=list)


class PlanResponse(BaseModel):
    """The plan: tasks in priority order, plus which agent version and template made it."""

    goal: str
    agent_version: str
    template: str
    template_revision: str
    tasks: list[PlannedTask]
    priority_counts: dict[str, int] | None = Field(
        default=None, description="Tasks per priority; only templates listing it (v2) add it."
    )
