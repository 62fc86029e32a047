"""The job provider and the Job controller over the in-memory store.

Given an AnalysisRun with a job metric, when the provider runs, the Job controller creates its
pod and the pod finishes (set by the test, standing in for the kubelet), then the Job's
conditions and the measurement follow upstream batch/v1 and Argo Rollouts v1.9.1.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from analysis_helpers import new_store

from clusters.embedded.analysis.controller import ANALYSIS_RUNS
from clusters.embedded.analysis.providers import ProviderContext
from clusters.embedded.analysis.providers.job import JobProvider, metric_job_name
from clusters.embedded.clock import Clock
from clusters.embedded.controllers.base import Key
from clusters.embedded.controllers.job import JobController
from clusters.embedded.resources import find_plural
from clusters.embedded.store import Store

JOBS = find_plural("batch", "v1", "jobs")
PODS = find_plural("", "v1", "pods")
EVENTS = find_plural("", "v1", "events")


def job_metric(name: str = "check", backoff_limit: int | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "template": {
            "spec": {
                "restartPolicy": "Never",
                "containers": [
                    {"name": "check", "image": "rollout-lab/task-agent:v1", "args": ["check"]}
                ],
            }
        }
    }
    if backoff_limit is not None:
        spec["backoffLimit"] = backoff_limit
    job = {"metadata": {"labels": {"team": "a"}, "annotations": {"note": "x"}}, "spec": spec}
    return {"name": name, "provider": {"job": job}}


def setup(clock: Clock) -> tuple[Store, dict[str, Any]]:
    store = new_store(clock)
    run = store.create(
        ANALYSIS_RUNS,
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AnalysisRun",
            "metadata": {"name": "run", "namespace": "lab"},
            "spec": {"metrics": [job_metric()]},
        },
    )
    return store, run


def finish_pods(store: Store, phase: str, clock: Clock) -> None:
    for pod in store.list(PODS, "lab").items:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        code = 0 if phase == "Succeeded" else 1
        pod["status"] = {
            "phase": phase,
            "containerStatuses": [
                {
                    "name": "check",
                    "restartCount": 0,
                    "state": {"terminated": {"exitCode": code, "finishedAt": clock.stamp()}},
                }
            ],
        }
        store.update(PODS, pod, subresource="status")


def test_run_creates_an_owned_labelled_job_and_resume_follows_its_conditions():
    clock = Clock()
    store, run = setup(clock)
    provider = JobProvider(ProviderContext(store, clock))
    metric = job_metric()
    measurement = asyncio.run(provider.run(run, metric))
    uid = run["metadata"]["uid"]
    name = f"{uid}.check.1"
    assert measurement["phase"] == "Running" and "finishedAt" not in measurement
    assert measurement["metadata"] == {"job-name": name, "job-namespace": "lab"}
    job = store.get(JOBS, "lab", name)
    assert job["metadata"]["labels"] == {"team": "a", "analysisrun.argoproj.io/uid": uid}
    assert job["metadata"]["annotations"] == {
        "note": "x",
        "analysisrun.argoproj.io/name": "run",
        "analysisrun.argoproj.io/namespace": "lab",
        "analysisrun.argoproj.io/metric-name": "check",
    }
    (owner,) = job["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("AnalysisRun", uid, True)
    assert job["spec"]["backoffLimit"] == 6  # API defaulting applied

    still = asyncio.run(provider.resume(run, metric, measurement))
    assert still["phase"] == "Running"
    job["status"] = {"conditions": [{"type": "Complete", "status": "True"}]}
    store.update(JOBS, job, subresource="status")
    done = asyncio.run(provider.resume(run, metric, measurement))
    assert done["phase"] == "Successful" and done["finishedAt"] and "value" not in done

    again = asyncio.run(provider.run(run, metric))  # same n: the existing own job is reused
    assert again["metadata"]["job-name"] == name


def test_terminate_deletes_the_job_and_reports_successful():
    clock = Clock()
    store, run = setup(clock)
    provider = JobProvider(ProviderContext(store, clock))
    measurement = asyncio.run(provider.run(run, job_metric()))
    terminated = asyncio.run(provider.terminate(run, job_metric(), measurement))
    assert terminated["phase"] == "Successful" and terminated["finishedAt"]
    assert store.list(JOBS, "lab").items == []


def test_job_names_count_errors_and_are_cut_to_63_characters():
    run = {
        "metadata": {"uid": "0" * 36, "name": "r", "namespace": "lab"},
        "status": {"metricResults": [{"name": "m", "count": 2, "error": 3}]},
    }
    assert metric_job_name(run, "m") == f"{'0' * 36}.m.6"
    long_name = metric_job_name(run, "x" * 40)
    assert len(long_name) == 63 and long_name.endswith(".1")


def test_job_controller_runs_a_pod_to_completion():
    clock = Clock()
    store, run = setup(clock)
    asyncio.run(JobProvider(ProviderContext(store, clock)).run(run, job_metric()))
    (job,) = store.list(JOBS, "lab").items
    controller = JobController(store, clock)
    key = Key("lab", job["metadata"]["name"])
    asyncio.run(controller.reconcile(key))
    (pod,) = store.list(PODS, "lab").items
    uid = job["metadata"]["uid"]
    assert pod["metadata"]["generateName"] == f"{job['metadata']['name']}-"
    assert pod["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] == uid
    assert pod["metadata"]["labels"]["job-name"] == job["metadata"]["name"]
    assert "analysisrun.argoproj.io/uid" not in pod["metadata"]["labels"]  # v1.9.1: job only
    assert pod["metadata"]["ownerReferences"][0]["kind"] == "Job"
    job = store.get(JOBS, "lab", job["metadata"]["name"])
    assert job["spec"]["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    assert job["status"]["active"] == 1 and job["status"]["startTime"]

    finish_pods(store, "Succeeded", clock)
    asyncio.run(controller.reconcile(key))
    status = store.get(JOBS, "lab", job["metadata"]["name"])["status"]
    assert [c["type"] for c in status["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert status["succeeded"] == 1 and "active" not in status and status["completionTime"]
    reasons = [e["reason"] for e in store.list(EVENTS, "lab").items]
    assert "SuccessfulCreate" in reasons and "Completed" in reasons


def test_job_controller_backs_off_then_fails_past_the_backoff_limit():
    clock = Clock(time_scale=1000)  # the 10 s and 20 s failure back-offs take 10 and 20 ms
    store, run = setup(clock)
    metric = job_metric(backoff_limit=1)
    asyncio.run(JobProvider(ProviderContext(store, clock)).run(run, metric))
    (job,) = store.list(JOBS, "lab").items
    controller = JobController(store, clock)
    key = Key("lab", job["metadata"]["name"])
    asyncio.run(controller.reconcile(key))
    finish_pods(store, "Failed", clock)
    requeue = asyncio.run(controller.reconcile(key))
    assert requeue is not None and 0 < requeue <= 10  # waiting out the back-off
    assert len(store.list(PODS, "lab").items) == 1
    time.sleep(0.03)
    asyncio.run(controller.reconcile(key))
    assert len(store.list(PODS, "lab").items) == 2
    finish_pods(store, "Failed", clock)
    asyncio.run(controller.reconcile(key))
    status = store.get(JOBS, "lab", job["metadata"]["name"])["status"]
    assert status["failed"] == 2
    failed = [c for c in status["conditions"] if c["type"] == "Failed"]
    assert failed[0]["reason"] == "BackoffLimitExceeded"
    assert failed[0]["message"] == "Job has reached the specified backoff limit"
    events = [(e["type"], e["reason"]) for e in store.list(EVENTS, "lab").items]
    assert ("Warning", "BackoffLimitExceeded") in events


def test_garbage_collect_deletes_the_runs_oldest_jobs_beyond_the_limit():
    clock = Clock(time_scale=100)
    store, run = setup(clock)
    provider = JobProvider(ProviderContext(store, clock))
    names = []
    for count in range(3):
        run.setdefault("status", {})["metricResults"] = [{"name": "check", "count": count}]
        names.append(asyncio.run(provider.run(run, job_metric()))["metadata"]["job-name"])
        time.sleep(0.01)
    provider.garbage_collect(run, job_metric(), 2)
    assert sorted(j["metadata"]["name"] for j in store.list(JOBS, "lab").items) == sorted(names[1:])
