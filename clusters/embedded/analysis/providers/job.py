"""The `job` metric provider: a batch/v1 Job per measurement, judged by its conditions.

As v1.9.1 `metricproviders/job/job.go`: the Job is named `<run-uid>.<metric>.<n>` (n counts
every measurement taken, errors included), labelled with the run's UID, annotated with the
run's name, namespace and metric, and owned by the run. Resume reads the Job: `Complete` is
Successful, `Failed` is Failed, anything else keeps waiting (v1.9.1 sets no resumeAt and has no
image-pull shortcut; the Job's completion requeues the run). Terminate deletes the Job with
foreground propagation and reports Successful, which the controller labels `Metric Terminated`.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from clusters.embedded.analysis.providers import ProviderContext, finished, mark_error
from clusters.embedded.analysis.resources import served
from clusters.embedded.status import ApiError

__all__ = [
    "JOB_NAMESPACE_ENV",
    "JOB_NAMESPACE_KEY",
    "JOB_NAME_KEY",
    "METRIC_ANNOTATION",
    "RUN_NAMESPACE_ANNOTATION",
    "RUN_NAME_ANNOTATION",
    "RUN_UID_LABEL",
    "JobProvider",
    "metric_job",
    "metric_job_name",
]

JOBS = served("batch", "v1", "jobs")
JOB_NAME_KEY = "job-name"
JOB_NAMESPACE_KEY = "job-namespace"
RUN_NAME_ANNOTATION = "analysisrun.argoproj.io/name"
RUN_NAMESPACE_ANNOTATION = "analysisrun.argoproj.io/namespace"
METRIC_ANNOTATION = "analysisrun.argoproj.io/metric-name"
RUN_UID_LABEL = "analysisrun.argoproj.io/uid"
JOB_NAMESPACE_ENV = "ARGO_ROLLOUTS_ANALYSIS_JOB_NAMESPACE"
_DNS_LIMIT = 63


def _result(run: dict[str, Any], name: str) -> dict[str, Any] | None:
    for result in (run.get("status") or {}).get("metricResults") or []:
        if result.get("name") == name:
            return dict(result)
    return None


def metric_job_name(run: dict[str, Any], metric_name: str) -> str:
    """`<uid>.<metric>.<count + error + 1>`, the metric name cut to keep 63 characters."""
    result = _result(run, metric_name) or {}
    number = int(result.get("count") or 0) + int(result.get("error") or 0) + 1
    uid = run["metadata"].get("uid", "")
    name = f"{uid}.{metric_name}.{number}"
    if len(name) <= _DNS_LIMIT:
        return name
    keep = len(metric_name) - (len(name) - _DNS_LIMIT)
    return f"{uid}.{metric_name[:keep]}.{number}"


def metric_job(run: dict[str, Any], metric: dict[str, Any]) -> dict[str, Any]:
    """The Job object upstream's newMetricJob builds for this measurement."""
    job_spec = (metric.get("provider") or {}).get("job") or {}
    meta = job_spec.get("metadata") or {}
    run_meta = run["metadata"]
    namespace = os.environ.get(JOB_NAMESPACE_ENV) or run_meta.get("namespace", "")
    labels = {**(meta.get("labels") or {}), RUN_UID_LABEL: run_meta.get("uid", "")}
    annotations = {
        **(meta.get("annotations") or {}),
        RUN_NAME_ANNOTATION: run_meta.get("name", ""),
        RUN_NAMESPACE_ANNOTATION: run_meta.get("namespace", ""),
        METRIC_ANNOTATION: metric.get("name", ""),
    }
    job: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": metric_job_name(run, str(metric.get("name", ""))),
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
        },
        "spec": copy.deepcopy(job_spec.get("spec") or {}),
    }
    if namespace == run_meta.get("namespace"):
        job["metadata"]["ownerReferences"] = [
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "AnalysisRun",
                "name": run_meta.get("name", ""),
                "uid": run_meta.get("uid", ""),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
    return job


def _controller_uid(job: dict[str, Any]) -> str:
    for ref in job["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return str(ref.get("uid", ""))
    return ""


class JobProvider:
    """Upstream's Job provider over the in-process store."""

    def __init__(self, context: ProviderContext) -> None:
        self.context = context
        self.store = context.store

    def metadata(self, metric: dict[str, Any]) -> dict[str, str] | None:
        return None

    async def run(self, run: dict[str, Any], metric: dict[str, Any]) -> dict[str, Any]:
        from clusters.embedded.controllers.replicaset import admit_created

        clock = self.context.clock
        measurement: dict[str, Any] = {"startedAt": clock.stamp(), "phase": "Running"}
        job = metric_job(run, metric)
        namespace = job["metadata"]["namespace"]
        try:
            created = self.store.create(JOBS, admit_created(JOBS, job))
        except ApiError as error:
            if error.code != 409:
                return mark_error(measurement, str(error), clock)
            try:
                created = self.store.get(JOBS, namespace, job["metadata"]["name"])
            except ApiError:
                return mark_error(measurement, str(error), clock)
            if namespace != run["metadata"].get("namespace"):
                owner = (created["metadata"].get("labels") or {}).get(RUN_UID_LABEL, "")
            else:
                owner = _controller_uid(created)
            if owner != run["metadata"].get("uid"):
                return mark_error(measurement, str(error), clock)
        measurement["metadata"] = {
            JOB_NAME_KEY: created["metadata"]["name"],
            JOB_NAMESPACE_KEY: created["metadata"]["namespace"],
        }
        return measurement

    def _job_key(self, run: dict[str, Any], measurement: dict[str, Any]) -> tuple[str, str]:
        metadata = measurement.get("metadata") or {}
        if not metadata.get(JOB_NAME_KEY):
            raise LookupError("job metadata reference missing")
        namespace = metadata.get(JOB_NAMESPACE_KEY) or run["metadata"].get("namespace", "")
        return str(namespace), str(metadata[JOB_NAME_KEY])

    async def resume(
        self, run: dict[str, Any], metric: dict[str, Any], measurement: dict[str, Any]
    ) -> dict[str, Any]:
        clock = self.context.clock
        try:
            namespace, name = self._job_key(run, measurement)
            job = self.store.get(JOBS, namespace, name)
        except LookupError as error:
            return mark_error(measurement, str(error), clock)
        except ApiError:
            return mark_error(measurement, f'job.batch "{name}" not found', clock)
        phase = ""
        for condition in (job.get("status") or {}).get("conditions") or []:
            if condition.get("type") == "Complete":
                phase = "Successful"
            elif condition.get("type") == "Failed":
                phase = "Failed"
        return finished(measurement, phase, clock) if phase else measurement

    async def terminate(
        self, run: dict[str, Any], metric: dict[str, Any], measurement: dict[str, Any]
    ) -> dict[str, Any]:
        clock = self.context.clock
        try:
            namespace, name = self._job_key(run, measurement)
        except LookupError as error:
            return mark_error(measurement, str(error), clock)
        try:
            self._delete(namespace, name)
        except ApiError as error:
            return mark_error(measurement, str(error), clock)
        return finished(measurement, "Successful", clock)

    def _delete(self, namespace: str, name: str) -> None:
        try:
            self.store.delete(JOBS, namespace, name, propagation_policy="Foreground")
        except ApiError as error:
            if error.code != 404:
                raise

    def garbage_collect(self, run: dict[str, Any], metric: dict[str, Any], limit: int) -> None:
        """Delete the run's oldest Jobs beyond `limit` (all of the run's Jobs, as upstream)."""
        uid = run["metadata"].get("uid", "")
        jobs = [
            job
            for job in self.store.list(JOBS, None).items
            if (job["metadata"].get("labels") or {}).get(RUN_UID_LABEL) == uid
        ]
        jobs.sort(key=lambda job: job["metadata"].get("creationTimestamp", ""))
        for job in jobs[: max(0, len(jobs) - limit)]:
            self._delete(job["metadata"]["namespace"], job["metadata"]["name"])
