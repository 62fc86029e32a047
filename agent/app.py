"""The FastAPI app: `POST /v1/plan` plus probes, version, metrics and the `/stats` window."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agent.middleware import (
    MAX_BODY_BYTES,
    PRIORITIES_STATE_KEY,
    BodyLimitMiddleware,
    ObserveMiddleware,
    RequestRecord,
)
from agent.models import PlanRequest, PlanResponse
from agent.planner import build_plan, should_fail, thinking_delay_ms
from agent.telemetry import DEFAULT_WINDOW_SECONDS, AgentMetrics, RollingWindow
from agent.template import PromptTemplate, load_template

__all__ = ["PLAN_PATH", "create_app", "default_pod_name", "stdout_request_log"]

PLAN_PATH = "/v1/plan"
_KNOWN_PATHS = {PLAN_PATH, "/healthz", "/readyz", "/version", "/metrics", "/stats"}


def default_pod_name() -> str:
    """POD_NAME from the environment (set by the manifest's downward API), else the hostname."""
    return os.environ.get("POD_NAME") or socket.gethostname()


def stdout_request_log(line: str) -> None:
    """Write one request line to stdout and flush, so `kubectl logs` shows it at once."""
    print(line, file=sys.stdout, flush=True)


def _format_log(version: str, pod: str, record: RequestRecord) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
    return (
        f"{stamp} {version} {pod} {record.method} {record.path} {record.status} "
        f"{record.latency_seconds * 1000:.1f}ms"
    )


def create_app(
    version: str = "v1",
    *,
    clock: Callable[[], float] = time.monotonic,
    pod_name: str | None = None,
    request_log: Callable[[str], None] | None = stdout_request_log,
    template: PromptTemplate | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """Build the agent for one version; `clock` drives the `/stats` window (tests fake it)."""
    prompt = template or load_template(version)
    pod = pod_name or default_pod_name()
    metrics = AgentMetrics(prompt.version, prompt.name)
    window = RollingWindow(clock=clock)

    def on_finish(record: RequestRecord) -> None:
        is_plan = record.path == PLAN_PATH and record.method == "POST"
        label = record.path if record.path in _KNOWN_PATHS else "other"
        metrics.observe_request(label, record.status, record.latency_seconds if is_plan else None)
        if is_plan:
            urgent = sum(1 for p in record.priorities if p == "P0")
            window.record(
                record.status, record.latency_seconds * 1000, len(record.priorities), urgent
            )
        if request_log is not None:
            request_log(_format_log(prompt.version, pod, record))

    app = FastAPI(
        title="Rollout Lab task-planning agent",
        version=prompt.version,
        summary=prompt.description,
    )
    app.state.template = prompt
    app.state.window = window
    app.state.metrics = metrics

    @app.post(PLAN_PATH, response_model=PlanResponse, response_model_exclude_none=True)
    async def plan(body: PlanRequest, request: Request) -> PlanResponse | JSONResponse:
        """Prioritise the tasks towards the goal, as this version's template says."""
        await asyncio.sleep(thinking_delay_ms(prompt, body) / 1000)
        if should_fail(prompt, body):
            return JSONResponse(
                {"detail": prompt.failure_message, "agent_version": prompt.version},
                status_code=500,
            )
        result = build_plan(prompt, body)
        priorities = [task.priority for task in result.tasks]
        setattr(request.state, PRIORITIES_STATE_KEY, priorities)
        metrics.observe_priorities(priorities)
        return result

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "version": prompt.version}

    @app.get("/readyz", response_model=None)
    async def readyz() -> dict[str, object] | JSONResponse:
        """Readiness: 503 with a reason when the template says the agent cannot serve."""
        if not prompt.ready:
            return JSONResponse(
                {"ready": False, "version": prompt.version, "reason": prompt.not_ready_reason},
                status_code=503,
            )
        return {"ready": True, "version": prompt.version}

    @app.get("/version")
    async def version_info() -> dict[str, str]:
        """Which version, template and image this process runs."""
        return {
            "version": prompt.version,
            "template": prompt.name,
            "template_revision": prompt.revision,
            "description": prompt.description,
            "image": prompt.image,
            "pod": pod,
        }

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        """Prometheus text exposition of this app's own registry."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/stats")
    async def stats(
        window_seconds: float = Query(
            DEFAULT_WINDOW_SECONDS, alias="window", gt=0, le=600, description="seconds"
        ),
    ) -> dict[str, object]:
        """Plan-request rates over the rolling window, for AnalysisTemplates' web provider."""
        summary = window.stats(window_seconds)
        return {**asdict(summary), "version": prompt.version, "pod": pod}

    app.add_middleware(BodyLimitMiddleware, limit=max_body_bytes)
    app.add_middleware(ObserveMiddleware, version=prompt.version, on_finish=on_finish)
    return app
