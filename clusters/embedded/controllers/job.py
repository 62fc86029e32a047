"""Job controller (batch/v1), the part of kube-controller-manager that analysis jobs rely on.

Creates pods from the Job template (controller ownerReference, `batch.kubernetes.io/`
`controller-uid`/`job-name` labels plus their legacy twins), keeps `parallelism` of them running
until `completions` pods succeeded, counts succeeded and failed pods, and ends the Job with
`SuccessCriteriaMet`+`Complete` or `FailureTarget`+`Failed` (`BackoffLimitExceeded` after more
than `backoffLimit` failed pods, or restarts under `restartPolicy: OnFailure`;
`DeadlineExceeded` past `activeDeadlineSeconds`). Replacement pods wait out upstream's failure
back-off (10 s doubling, at most 6 min) and finished Jobs honour `ttlSecondsAfterFinished`; all
durations are cluster time. Not modelled: Indexed completion, suspend, pod failure policies.
"""

from __future__ import annotations

from typing import Any

from clusters.embedded.controllers.base import Controller, Key, Watched
from clusters.embedded.controllers.podutil import controller_of, is_ready
from clusters.embedded.controllers.replicaset import create_owned_pod, delete_owned_pod
from clusters.embedded.events import EventRecorder
from clusters.embedded.resources import ResourceType, find_plural
from clusters.embedded.status import ApiError

__all__ = ["BACKOFF_LIMIT_MESSAGE", "JobController", "job_labels"]


def _served(group: str, version: str, plural: str) -> ResourceType:
    found = find_plural(group, version, plural)
    if found is None:  # the registry always serves these; fail loudly if that changes
        raise KeyError(f"{plural}.{group}/{version} is not served")
    return found


JOBS = _served("batch", "v1", "jobs")
PODS = _served("", "v1", "pods")
BACKOFF_LIMIT_MESSAGE = "Job has reached the specified backoff limit"
DEADLINE_MESSAGE = "Job was active longer than specified deadline"
COMPLETIONS_MESSAGE = "Reached expected number of succeeded pods"
_BACKOFF_BASE, _BACKOFF_MAX = 10.0, 360.0


def job_labels(job: dict[str, Any]) -> dict[str, str]:
    """The labels the API server adds to a Job's pod template (new and legacy keys)."""
    meta = job["metadata"]
    return {
        "batch.kubernetes.io/controller-uid": meta["uid"],
        "batch.kubernetes.io/job-name": meta["name"],
        "controller-uid": meta["uid"],
        "job-name": meta["name"],
    }


def _pod_job_keys(pod: dict[str, Any]) -> list[Key]:
    ref = controller_of(pod)
    if ref and ref.get("kind") == "Job":
        return [Key(pod["metadata"].get("namespace", ""), ref["name"])]
    return []


def _condition(kind: str, reason: str, message: str, now: str) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True",
        "reason": reason,
        "message": message,
        "lastProbeTime": now,
        "lastTransitionTime": now,
    }


def _finished(job: dict[str, Any]) -> dict[str, Any] | None:
    for condition in (job.get("status") or {}).get("conditions") or []:
        if condition.get("type") in ("Complete", "Failed") and condition.get("status") == "True":
            return condition
    return None


def _restarts(pod: dict[str, Any]) -> int:
    status = pod.get("status") or {}
    statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
    return sum(int(s.get("restartCount") or 0) for s in statuses)


def _failure_time(pod: dict[str, Any]) -> str:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        finished = ((status.get("state") or {}).get("terminated") or {}).get("finishedAt")
        if finished:
            return str(finished)
    return str(pod["metadata"].get("creationTimestamp", ""))


class JobController(Controller):
    name = "job-controller"
    primary = JOBS
    watched = (Watched(PODS, _pod_job_keys),)

    def __init__(self, store: Any, clock: Any) -> None:
        super().__init__(store, clock)
        self.recorder = EventRecorder(store, clock, "job-controller")

    async def reconcile(self, key: Key) -> float | None:
        try:
            job = self.store.get(JOBS, key.namespace, key.name)
        except ApiError as error:
            if error.code == 404:
                return None
            raise
        if job["metadata"].get("deletionTimestamp"):
            return None
        finished = _finished(job)
        if finished is not None:
            return self._expire(job, finished)
        job = self._ensure_selector(job)
        pods = self._owned_pods(job)
        spec = job.get("spec") or {}
        status = dict(job.get("status") or {})
        now = self.clock.stamp()
        status.setdefault("startTime", now)
        restart_policy = ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy")
        active = [
            p
            for p in pods
            if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and not p["metadata"].get("deletionTimestamp")
        ]
        succeeded = max(
            int(status.get("succeeded") or 0),
            sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"),
        )
        failed_pods = [p for p in pods if (p.get("status") or {}).get("phase") == "Failed"]
        failed = max(int(status.get("failed") or 0), len(failed_pods))
        completions = int(spec.get("completions") or 1)
        parallelism = int(spec["parallelism"]) if spec.get("parallelism") is not None else 1
        backoff_limit = int(spec["backoffLimit"]) if spec.get("backoffLimit") is not None else 6
        restarts = sum(_restarts(p) for p in active)
        deadline = spec.get("activeDeadlineSeconds")
        requeue: float | None = None
        failure: tuple[str, str] | None = None
        if failed > backoff_limit or (
            restart_policy == "OnFailure"
            and (restarts > 0 if backoff_limit == 0 else restarts >= backoff_limit)
        ):
            failure = ("BackoffLimitExceeded", BACKOFF_LIMIT_MESSAGE)
        elif deadline is not None:
            left = self.clock.remaining(float(deadline), status["startTime"])
            if left <= 0:
                failure = ("DeadlineExceeded", DEADLINE_MESSAGE)
            else:
                requeue = left
        conditions = list(status.get("conditions") or [])
        if failure is not None:
            for pod in active:
                self._delete_pod(job, pod)
            failed += len(active)
            active = []
            conditions += [
                _condition("FailureTarget", failure[0], failure[1], now),
                _condition("Failed", failure[0], failure[1], now),
            ]
            self.recorder.emit(job, "Warning", failure[0], failure[1])
        elif succeeded >= completions:
            conditions += [
                _condition("SuccessCriteriaMet", "CompletionsReached", COMPLETIONS_MESSAGE, now),
                _condition("Complete", "CompletionsReached", COMPLETIONS_MESSAGE, now),
            ]
            status["completionTime"] = now
            self.recorder.emit(job, "Normal", "Completed", "Job completed")
        else:
            wanted = min(parallelism, completions - succeeded) - len(active)
            if wanted > 0 and failed_pods:
                last = max(_failure_time(p) for p in failed_pods)
                delay = min(_BACKOFF_BASE * 2 ** (len(failed_pods) - 1), _BACKOFF_MAX)
                left = self.clock.remaining(delay, last) if last else 0.0
                if left > 0:
                    wanted = 0
                    requeue = left if requeue is None else min(requeue, left)
            for _ in range(max(0, wanted)):
                active.append(self._create_pod(job))
        status.update(
            active=len(active),
            succeeded=succeeded,
            failed=failed,
            ready=sum(1 for p in active if is_ready(p)),
            terminating=0,
            uncountedTerminatedPods={},
        )
        for counter in ("active", "succeeded", "failed"):
            if not status[counter]:
                status.pop(counter)
        if conditions:
            status["conditions"] = conditions
        self._write_status(job, status)
        return requeue

    def _ensure_selector(self, job: dict[str, Any]) -> dict[str, Any]:
        """Add the generated selector and template labels the real API server adds at create."""
        spec = job.setdefault("spec", {})
        if spec.get("manualSelector") or spec.get("selector"):
            return job
        labels = job_labels(job)
        spec["selector"] = {
            "matchLabels": {
                "batch.kubernetes.io/controller-uid": labels["batch.kubernetes.io/controller-uid"]
            }
        }
        template_meta: dict[str, Any] = spec.setdefault("template", {}).setdefault("metadata", {})
        template_meta["labels"] = {**(template_meta.get("labels") or {}), **labels}
        return self.store.update(JOBS, job)

    def _owned_pods(self, job: dict[str, Any]) -> list[dict[str, Any]]:
        uid = job["metadata"]["uid"]
        return [
            pod
            for pod in self.store.list(PODS, job["metadata"]["namespace"]).items
            if (controller_of(pod) or {}).get("uid") == uid
        ]

    def _create_pod(self, job: dict[str, Any]) -> dict[str, Any]:
        return create_owned_pod(self.store, self.recorder, job, job_labels(job))

    def _delete_pod(self, job: dict[str, Any], pod: dict[str, Any]) -> None:
        delete_owned_pod(self.store, self.recorder, job, pod)

    def _write_status(self, job: dict[str, Any], status: dict[str, Any]) -> None:
        if status == job.get("status"):
            return
        uid = job["metadata"]["uid"]

        def replace(current: dict[str, Any]) -> dict[str, Any]:
            if current["metadata"].get("uid") != uid:
                raise ApiError({"code": 409, "message": "job was replaced", "reason": "Conflict"})
            current["status"] = status
            return current

        target: dict[str, Any] = {
            "metadata": {"name": job["metadata"]["name"], "namespace": job["metadata"]["namespace"]}
        }
        self.store.update(JOBS, target, subresource="status", old_hook=replace)

    def _expire(self, job: dict[str, Any], finished: dict[str, Any]) -> float | None:
        """ttlSecondsAfterFinished: delete the finished Job (and its pods) once it has passed."""
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return None
        since = (job.get("status") or {}).get("completionTime") or finished.get(
            "lastTransitionTime"
        )
        left = self.clock.remaining(float(ttl), since) if since else 0.0
        if left > 0:
            return left
        try:
            self.store.delete(
                JOBS, job["metadata"]["namespace"], job["metadata"]["name"],
                propagation_policy="Background",
            )  # fmt: skip
        except ApiError as error:
            if error.code != 404:
                raise
        return None
