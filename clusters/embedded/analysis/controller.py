"""AnalysisRun controller: the measurement loop of Argo Rollouts v1.9.1 `analysis/analysis.go`.

Each pass over a run that is not completed: resolve `{{args.*}}` (secret args from Secrets in
the run's namespace), validate the metrics and the dryRun/measurementRetention rules, take,
resume or terminate the measurements that are due (in parallel, one provider call per metric),
assess metric and run phases, emit `Metric<Phase>` / `AnalysisRun<Phase>` events, trim history
and schedule the next pass. Completed runs only wait for their TTL. Decisions come from the
pure `rollouts.analysis_logic`; durations run on the warped cluster clock (`timeline`).
"""

from __future__ import annotations

import asyncio
import copy
import logging
from pathlib import Path
from typing import Any

import httpx

from clusters.embedded.analysis.args import (
    ArgError,
    redact,
    resolve_metrics_with_secrets,
    resolve_metrics_without_secrets,
    secret_value,
)
from clusters.embedded.analysis.providers import (
    ProviderContext,
    ProviderError,
    new_provider,
    provider_type,
)
from clusters.embedded.analysis.resources import served
from clusters.embedded.analysis.timeline import WarpedTimeline
from clusters.embedded.clock import Clock
from clusters.embedded.controllers.base import Controller, Key, Watched
from clusters.embedded.events import EventRecorder
from clusters.embedded.rollouts.analysis_logic import (
    COMPLETED_PHASES,
    MetricTask,
    assess_run,
    dry_run_metric_names,
    is_terminating,
    metric_tasks,
    next_reconcile_time,
    record_measurement,
    retention_limits,
    trim_measurements,
    validate_metrics,
)
from clusters.embedded.status import ApiError, conflict

__all__ = ["ANALYSIS_RUNS", "AnalysisRunController", "ttl_seconds"]

log = logging.getLogger(__name__)
ANALYSIS_RUNS = served("argoproj.io", "v1alpha1", "analysisruns")
JOBS = served("batch", "v1", "jobs")
SECRETS = served("", "v1", "secrets")
COMPONENT = "rollouts-controller"
# Stamps have millisecond precision; wake a hair after a deadline so `now > deadline` holds.
_WAKE_SLACK_REAL_SECONDS = 0.003


def ttl_seconds(run: dict[str, Any]) -> int | None:
    """The TTL that applies to a completed run (success, failure, else completion), or None."""
    strategy = (run.get("spec") or {}).get("ttlStrategy")
    phase = (run.get("status") or {}).get("phase")
    if not strategy:
        return None
    if phase == "Successful" and strategy.get("secondsAfterSuccess") is not None:
        return int(strategy["secondsAfterSuccess"])
    if phase == "Failed" and strategy.get("secondsAfterFailure") is not None:
        return int(strategy["secondsAfterFailure"])
    if strategy.get("secondsAfterCompletion") is not None:
        return int(strategy["secondsAfterCompletion"])
    return None


def _job_run_keys(job: dict[str, Any]) -> list[Key]:
    """A finished Job requeues the AnalysisRun it measures (upstream enqueueJobIfCompleted)."""
    conditions = (job.get("status") or {}).get("conditions") or []
    if not any(c.get("type") in ("Complete", "Failed") for c in conditions):
        return []
    meta = job.get("metadata") or {}
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == "AnalysisRun":
            return [Key(meta.get("namespace", ""), ref.get("name", ""))]
    annotations = meta.get("annotations") or {}
    name = annotations.get("analysisrun.argoproj.io/name")
    namespace = annotations.get("analysisrun.argoproj.io/namespace")
    return [Key(namespace, name)] if name and namespace else []


def _compact(summary: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in summary.items() if v}


class AnalysisRunController(Controller):
    """Reconciles AnalysisRuns in the embedded cluster."""

    name = "analysisrun-controller"
    primary = ANALYSIS_RUNS
    watched = (Watched(JOBS, _job_run_keys),)

    def __init__(
        self,
        store: Any,
        clock: Clock,
        state_dir: Path | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(store, clock)
        resolver = None
        if state_dir is not None:
            from clusters.embedded.dns import Resolver

            resolver = Resolver.in_state_dir(Path(state_dir))
        self.context = ProviderContext(store, clock, resolver, transport)
        self.recorder = EventRecorder(store, clock, COMPONENT)
        self.timeline = WarpedTimeline(clock)

    async def start(self) -> None:
        self.context.http_transport(False)  # build the TLS context now, not in a measurement
        await super().start()

    async def stop(self) -> None:
        await super().stop()
        await self.context.aclose()

    async def reconcile(self, key: Key) -> float | None:
        try:
            run = self.store.get(ANALYSIS_RUNS, key.namespace, key.name)
        except ApiError as error:
            if error.code == 404:
                return None
            raise
        if run["metadata"].get("deletionTimestamp"):
            return None
        if (run.get("status") or {}).get("phase") in COMPLETED_PHASES:
            return self._collect_if_expired(run)
        updated, requeue = await self.reconcile_run(run)
        if (updated.get("status") or {}) != (run.get("status") or {}):
            self._persist(run, updated.get("status") or {})
        if (updated.get("status") or {}).get("phase") in COMPLETED_PHASES:
            ttl_requeue = self._collect_if_expired(updated)
            if ttl_requeue is not None:
                requeue = ttl_requeue if requeue is None else min(requeue, ttl_requeue)
        return requeue

    # -- one pass ------------------------------------------------------------------------------
    async def reconcile_run(self, original: dict[str, Any]) -> tuple[dict[str, Any], float | None]:
        """The run after one pass and the cluster seconds until the next one (or None)."""
        run = copy.deepcopy(original)
        spec = run.get("spec") or {}
        run.setdefault("status", {})
        args = list(spec.get("args") or [])
        try:
            metrics = resolve_metrics_without_secrets(list(spec.get("metrics") or []), args)
        except ArgError as error:
            return self._fail(run, f"Unable to resolve metric arguments: {error}"), None
        problem = validate_metrics(metrics)
        dry_run, dry_problem = dry_run_metric_names(list(spec.get("dryRun") or []), metrics)
        retention, retention_problem = retention_limits(
            list(spec.get("measurementRetention") or []), metrics
        )
        problem = problem or dry_problem or retention_problem
        if problem:
            return self._fail(run, f"Analysis spec invalid: {problem}"), None
        tasks = metric_tasks(self.timeline.view(run), metrics, self.timeline.now())
        try:
            measured, secrets = resolve_metrics_with_secrets(
                list(spec.get("metrics") or []), args, self._secret_lookup(run)
            )
        except ArgError as error:
            return self._fail(run, f"Unable to resolve metric arguments: {error}"), None
        by_name = {m.get("name"): m for m in measured}
        terminating = is_terminating(run)
        outcomes = await asyncio.gather(
            *(self._measure(run, by_name[t.name], t, terminating) for t in tasks)
        )
        for task, (measurement, metadata) in zip(tasks, outcomes, strict=True):
            measurement["message"] = redact(str(measurement.get("message") or ""), secrets)
            if not measurement["message"]:
                measurement.pop("message")
            self._record(run, task.name, measurement, metadata, task.name in dry_run)
        self._assess(run, metrics, dry_run)
        self._trim(run, metrics, retention)
        when = next_reconcile_time(self.timeline.view(run), metrics, self.timeline.now())
        if when is None:
            return run, None
        seconds = max(0.0, self.timeline.seconds_until(when))
        return run, seconds + _WAKE_SLACK_REAL_SECONDS * self.clock.time_scale

    def _fail(self, run: dict[str, Any], message: str) -> dict[str, Any]:
        run["status"]["phase"] = "Error"
        run["status"]["message"] = message
        self._completion_event(run)
        return run

    def _secret_lookup(self, run: dict[str, Any]) -> Any:
        namespace = run["metadata"].get("namespace", "")

        def lookup(name: str, key: str) -> str:
            try:
                secret = self.store.get(SECRETS, namespace, name)
            except ApiError as error:
                raise ArgError(str(error)) from None
            return secret_value(secret, name, key)

        return lookup

    async def _measure(
        self, run: dict[str, Any], metric: dict[str, Any], task: MetricTask, terminating: bool
    ) -> tuple[dict[str, Any], dict[str, str] | None]:
        """Run, resume or terminate one measurement; never raises."""
        incomplete = _last_measurement(run, task.name) if task.resume else None
        namespace = run["metadata"].get("namespace", "")
        try:
            provider = new_provider(metric, self.context, namespace)
        except ProviderError as error:
            measurement = dict(incomplete) if incomplete else {"startedAt": self.clock.stamp()}
            measurement.update(phase="Error", message=str(error))
            return measurement, None
        try:
            if incomplete is None:
                measurement = await provider.run(run, metric)
            elif terminating:
                measurement = await provider.terminate(run, metric, dict(incomplete))
                if measurement.get("phase") == "Successful":
                    measurement["message"] = "Metric Terminated"
            else:
                measurement = await provider.resume(run, metric, dict(incomplete))
        except Exception as error:  # a provider bug must not wedge the run: record it
            log.exception("%s metric %s failed", provider_type(metric), task.name)
            measurement = dict(incomplete) if incomplete else {"startedAt": self.clock.stamp()}
            measurement.update(phase="Error", message=str(error) or type(error).__name__)
        return measurement, provider.metadata(metric)

    def _record(
        self,
        run: dict[str, Any],
        name: str,
        measurement: dict[str, Any],
        metadata: dict[str, str] | None,
        dry_run: bool,
    ) -> None:
        if measurement.get("phase") in COMPLETED_PHASES:
            measurement.setdefault("finishedAt", self.clock.stamp())
        results = run["status"].setdefault("metricResults", [])
        index = next((i for i, r in enumerate(results) if r.get("name") == name), None)
        existing = results[index] if index is not None else None
        updated = record_measurement(existing, name, measurement, dry_run=dry_run)
        if existing is None and metadata:
            updated["metadata"] = dict(metadata)
        if index is None:
            results.append(updated)
        else:
            results[index] = updated

    def _assess(
        self, run: dict[str, Any], metrics: list[dict[str, Any]], dry_run: set[str]
    ) -> None:
        status = run["status"]
        if not status.get("startedAt"):
            status["startedAt"] = self.clock.stamp()
        assessment = assess_run(run, metrics, dry_run)
        for result in status.get("metricResults") or []:
            name = result.get("name")
            if name in assessment.metric_phases:
                phase = assessment.metric_phases[name]
                if phase in COMPLETED_PHASES:
                    kind = "Warning" if phase in ("Error", "Failed") else "Normal"
                    message = f"Metric '{name}' Completed. Result: {phase}"
                    self.recorder.emit(run, kind, f"Metric{phase}", message)
                result["phase"] = phase
            if name in assessment.metric_messages:
                result["message"] = assessment.metric_messages[name]
                if not result["message"]:
                    result.pop("message")
        status["runSummary"] = _compact(assessment.run_summary)
        status["dryRunSummary"] = _compact(assessment.dry_run_summary)
        if assessment.phase != status.get("phase"):
            status["phase"] = assessment.phase
            status["message"] = assessment.message
            if not assessment.message:
                status.pop("message", None)
            if assessment.phase in COMPLETED_PHASES:
                self._completion_event(run)
                status.setdefault("completedAt", self.clock.stamp())

    def _trim(
        self, run: dict[str, Any], metrics: list[dict[str, Any]], limits: dict[str, int]
    ) -> None:
        by_name = {m.get("name"): m for m in metrics}
        for result in run["status"].get("metricResults") or []:
            name = result.get("name")
            limit = limits.get(name, 10)
            measurements = result.get("measurements") or []
            if len(measurements) <= limit or name not in by_name:
                continue
            try:
                provider = new_provider(by_name[name], self.context, run["metadata"]["namespace"])
                provider.garbage_collect(run, by_name[name], limit)
            except (ProviderError, ApiError) as error:
                log.warning("garbage collecting measurements of %s: %s", name, error)
                continue
            result["measurements"] = trim_measurements(measurements, limit)

    def _completion_event(self, run: dict[str, Any]) -> None:
        phase = run["status"].get("phase", "")
        kind = "Warning" if phase in ("Error", "Failed") else "Normal"
        message = f"Analysis Completed. Result: {phase}"
        self.recorder.emit(run, kind, f"AnalysisRun{phase}", message)

    # -- persistence and TTL -------------------------------------------------------------------
    def _persist(self, run: dict[str, Any], status: dict[str, Any]) -> None:
        """Write only `.status` onto the stored run (a merge, like upstream's status patch)."""
        uid = run["metadata"].get("uid")

        def replace_status(current: dict[str, Any]) -> dict[str, Any]:
            if current["metadata"].get("uid") != uid:
                raise conflict(ANALYSIS_RUNS, run["metadata"]["name"])
            current["status"] = status
            return current

        target = {
            "metadata": {"name": run["metadata"]["name"], "namespace": run["metadata"]["namespace"]}
        }
        subresource = "status" if ANALYSIS_RUNS.subresource("status") is not None else None
        self.store.update(ANALYSIS_RUNS, target, subresource=subresource, old_hook=replace_status)

    def _collect_if_expired(self, run: dict[str, Any]) -> float | None:
        """Delete a completed run past its TTL; else the cluster seconds until it will be."""
        ttl = ttl_seconds(run)
        completed_at = (run.get("status") or {}).get("completedAt")
        if ttl is None or not completed_at:
            return None
        elapsed = self.clock.elapsed_since(completed_at)
        if int(elapsed) > ttl:
            try:
                self.store.delete(
                    ANALYSIS_RUNS, run["metadata"]["namespace"], run["metadata"]["name"]
                )
            except ApiError as error:
                if error.code != 404:
                    raise
            return None
        return ttl + 1 - elapsed


def _last_measurement(run: dict[str, Any], name: str) -> dict[str, Any] | None:
    for result in (run.get("status") or {}).get("metricResults") or []:
        if result.get("name") == name:
            measurements = result.get("measurements") or []
            return dict(measurements[-1]) if measurements else None
    return None
