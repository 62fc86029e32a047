"""A tiny in-memory cluster for the Rollout controller's unit tests: the real store, scheduler,
ReplicaSet and Rollout controllers, and a fake node that makes pods Ready at once (images
ending in ':broken' never become ready). AnalysisRun outcomes are written by the tests through
the store, which is the documented seam with the analysis controller."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from clusters.embedded.clock import Clock
from clusters.embedded.controllers.bootstrap import bootstrap
from clusters.embedded.controllers.replicaset import ReplicaSetController
from clusters.embedded.controllers.scheduler import NODE_NAME, SchedulerController
from clusters.embedded.resources import find_plural
from clusters.embedded.rollouts.controller import RolloutController
from clusters.embedded.store import Store
from clusters.embedded.validation import admit

PODS = find_plural("", "v1", "pods")
RS = find_plural("apps", "v1", "replicasets")
SVC = find_plural("", "v1", "services")
NS = find_plural("", "v1", "namespaces")
EVENTS = find_plural("", "v1", "events")
ROLLOUTS = find_plural("argoproj.io", "v1alpha1", "rollouts")
RUNS = find_plural("argoproj.io", "v1alpha1", "analysisruns")
TEMPLATES = find_plural("argoproj.io", "v1alpha1", "analysistemplates")
HASH = "rollouts-pod-template-hash"


def canary_rollout(
    name: str = "ro", image: str = "agent:v1", replicas: int | None = 1, **canary: Any
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app": name}},
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "agent", "image": image}]},
        },
        "strategy": {"canary": canary},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    body = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": "lab"},
        "spec": spec,
    }
    return admit(ROLLOUTS, body).obj


def bluegreen_rollout(name: str = "ro", replicas: int = 1, **blue_green: Any) -> dict[str, Any]:
    body = canary_rollout(name, replicas=replicas)
    body["spec"]["strategy"] = {"blueGreen": {"activeService": f"{name}-active", **blue_green}}
    return body


def service(name: str, app: str) -> dict[str, Any]:
    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": "lab"},
        "spec": {"selector": {"app": app}, "ports": [{"port": 80}]},
    }
    return admit(SVC, body).obj


class FakeNode:
    """Marks scheduled pods Running; Ready unless the image ends in ':broken'."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock

    async def run(self) -> None:
        while True:
            for pod in self.store.list(PODS, None).items:
                status = pod.get("status") or {}
                if pod["spec"].get("nodeName") != NODE_NAME or status.get("podIP"):
                    continue
                ready = (
                    "False" if pod["spec"]["containers"][0]["image"].endswith(":broken") else "True"
                )
                status.update(
                    phase="Running",
                    podIP="127.1.0.9",
                    conditions=[
                        {"type": "Ready", "status": ready, "lastTransitionTime": self.clock.stamp()}
                    ],
                )
                pod["status"] = status
                self.store.update(PODS, pod, subresource="status")
            await asyncio.sleep(0.005)


class Cluster:
    """`async with Cluster() as c:` runs the controllers until the block ends."""

    def __init__(self, time_scale: float = 200) -> None:
        self.clock = Clock(time_scale=time_scale)
        self.store = Store(None, self.clock)
        bootstrap(self.store, self.clock, NODE_NAME)
        self.store.create(
            NS, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}}
        )
        self.controllers = [
            SchedulerController(self.store, self.clock),
            ReplicaSetController(self.store, self.clock),
            RolloutController(self.store, self.clock),
        ]
        self.node = FakeNode(self.store, self.clock)

    async def __aenter__(self) -> Cluster:
        for controller in self.controllers:
            await controller.start()
        self.node_task = asyncio.create_task(self.node.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.node_task.cancel()
        for controller in self.controllers:
            await controller.stop()

    # -- reading -------------------------------------------------------------------------
    def rollout(self, name: str = "ro") -> dict[str, Any]:
        return self.store.get(ROLLOUTS, "lab", name)

    def status(self, name: str = "ro") -> dict[str, Any]:
        return self.rollout(name).get("status") or {}

    def replicasets(self) -> dict[str, dict[str, Any]]:
        return {rs["metadata"]["labels"][HASH]: rs for rs in self.store.list(RS, "lab").items}

    def pods_by_hash(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for pod in self.store.list(PODS, "lab").items:
            if pod["metadata"].get("deletionTimestamp"):
                continue
            key = pod["metadata"]["labels"].get(HASH, "")
            counts[key] = counts.get(key, 0) + 1
        return counts

    def sizes(self) -> dict[str, int]:
        """spec.replicas per RS hash."""
        return {h: rs["spec"]["replicas"] for h, rs in self.replicasets().items()}

    def events(self, name: str = "ro") -> list[tuple[str, str]]:
        items = [
            e
            for e in self.store.list(EVENTS, "lab").items
            if e["involvedObject"].get("kind") == "Rollout" and e["involvedObject"]["name"] == name
        ]
        items.sort(key=lambda e: (e["firstTimestamp"], int(e["metadata"]["resourceVersion"])))
        return [(e["reason"], e["message"]) for e in items]

    def reasons(self, name: str = "ro") -> list[str]:
        return [reason for reason, _ in self.events(name)]

    def event_count(self, reason: str, message: str, name: str = "ro") -> int:
        """How many times an event was recorded (events aggregate by message, like client-go)."""
        return sum(
            int(e.get("count", 1))
            for e in self.store.list(EVENTS, "lab").items
            if e["involvedObject"]["name"] == name
            and e["reason"] == reason
            and e["message"] == message
        )

    def runs(self) -> dict[str, dict[str, Any]]:
        return {r["metadata"]["name"]: r for r in self.store.list(RUNS, "lab").items}

    # -- writing -------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> None:
        kind = body["kind"]
        rt = {"Rollout": ROLLOUTS, "Service": SVC, "AnalysisTemplate": TEMPLATES}[kind]
        self.store.create(rt, copy.deepcopy(body))

    def edit(self, change: Callable[[dict[str, Any]], None], name: str = "ro") -> None:
        rollout = self.rollout(name)
        change(rollout)
        self.store.update(ROLLOUTS, rollout)

    def set_image(self, image: str, name: str = "ro") -> None:
        def change(ro: dict[str, Any]) -> None:
            ro["spec"]["template"]["spec"]["containers"][0]["image"] = image

        self.edit(change, name)

    def patch_status(self, patch: dict[str, Any], name: str = "ro") -> None:
        """A merge patch of /status, as `kubectl argo rollouts` sends it (None deletes)."""
        for _ in range(20):
            rollout = self.rollout(name)
            status = rollout.setdefault("status", {})
            for key, value in patch.items():
                if value is None:
                    status.pop(key, None)
                else:
                    status[key] = value
            try:
                self.store.update(ROLLOUTS, rollout, subresource="status")
                return
            except Exception:  # a conflict with the controller: read again
                continue
        raise AssertionError("status patch kept conflicting")

    def promote(self, name: str = "ro") -> None:
        """The status patch `kubectl argo rollouts promote` sends (spec §7 rules a-c)."""
        status = self.status(name)
        steps = (self.rollout(name)["spec"]["strategy"].get("canary") or {}).get("steps") or []
        step_run = (status.get("canary") or {}).get("currentStepAnalysisRunStatus") or {}
        if (
            step_run.get("status") == "Inconclusive"
            and status.get("pauseConditions")
            and status.get("controllerPause")
        ):
            index = min(int(status.get("currentStepIndex") or 0) + 1, len(steps))
            patch = {"pauseConditions": None, "controllerPause": False, "currentStepIndex": index}
            self.patch_status(patch, name)
        elif status.get("pauseConditions"):
            self.patch_status({"pauseConditions": None}, name)
        elif self.rollout(name)["spec"]["strategy"].get("canary") is not None:
            steps = self.rollout(name)["spec"]["strategy"]["canary"].get("steps") or []
            index = min(int(status.get("currentStepIndex") or 0) + 1, len(steps))
            self.patch_status({"pauseConditions": None, "currentStepIndex": index}, name)

    def set_run_phase(self, run_name: str, phase: str, message: str = "") -> None:
        run = self.store.get(RUNS, "lab", run_name)
        run["status"] = {"phase": phase, **({"message": message} if message else {})}
        self.store.update(RUNS, run, subresource="status")

    async def wait(
        self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = ""
    ) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                if predicate():
                    return
            except (KeyError, IndexError, TypeError):
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(
                    f"not reached in time: {what}\nstatus={self.status()}\nsizes={self.sizes()}"
                )
            await asyncio.sleep(0.01)

    def healthy(self, name: str = "ro") -> bool:
        status = self.status(name)
        return status.get("phase") == "Healthy" and status.get("stableRS") == status.get(
            "currentPodHash"
        )


def run(coro: Any, timeout: float = 30) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))
