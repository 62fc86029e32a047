"""One pod on the node: its containers, its status as the kubelet reports it, its ending.

Status follows the kubelet: phase Pending until every container has run, Running while any
runs or will restart, Succeeded/Failed once all have stopped for good; conditions
PodScheduled, Initialized, ContainersReady and Ready carry a lastTransitionTime that moves
only when their status flips.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from clusters.embedded.kubelet.container import ContainerRunner
from clusters.embedded.kubelet.context import PodContext

__all__ = ["PodWorker", "qos_class"]

_log = logging.getLogger(__name__)


def qos_class(spec: dict[str, Any]) -> str:
    """Guaranteed, Burstable or BestEffort from the containers' requests and limits."""
    containers = spec.get("containers") or []
    resources = [container.get("resources") or {} for container in containers]
    if not any(r.get("requests") or r.get("limits") for r in resources):
        return "BestEffort"
    for r in resources:
        limits, requests = r.get("limits") or {}, r.get("requests") or {}
        for name in ("cpu", "memory"):
            if name not in limits or requests.get(name, limits[name]) != limits[name]:
                return "Burstable"
    return "Guaranteed"


class PodWorker:
    """Runs one pod's containers and reports its status whenever something changes."""

    def __init__(self, context: PodContext, on_finished: Callable[[], None] | None = None) -> None:
        self.ctx = context
        self._on_finished = on_finished
        context.notify = self.report
        spec = context.pod.get("spec") or {}
        self.init_containers = [
            ContainerRunner(context, dict(item), init=True)
            for item in spec.get("initContainers") or []
        ]
        self.containers = [
            ContainerRunner(context, dict(item)) for item in spec.get("containers") or []
        ]
        self.initialized = not self.init_containers
        if not self.initialized:
            for container in self.containers:
                container.state = {"waiting": {"reason": "PodInitializing"}}
        self._pod_task: asyncio.Task[None] | None = None
        self.start_time = context.now()
        self._conditions: dict[str, tuple[str, str]] = {}
        self._last_reported: dict[str, Any] | None = None
        self._muted = False
        self.terminating: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.report()
        self._pod_task = asyncio.create_task(self._run(), name=f"pod {self.ctx.name}")

    async def _run(self) -> None:
        """Init containers one by one, each to success; then every container at once."""
        for init in self.init_containers:
            init.start()
            await init.wait()
            if self.ctx.stopping or init.exit_code != 0:
                return  # stopped, or failed for good (restartPolicy Never): the pod failed
        self.initialized = True
        self.report()
        for container in self.containers:
            container.start()

    async def _stop_pod_task(self) -> None:
        task = self._pod_task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def update(self, pod: dict[str, Any]) -> list[Awaitable[None]]:
        """Take the newest object (labels, deletion marks). A changed image is the one
        container change a pod update may make: returns the restarts to run for it."""
        self.ctx.pod = pod
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            return []
        spec = pod.get("spec") or {}
        restarts: list[Awaitable[None]] = []
        for runners, key in (
            (self.init_containers, "initContainers"),
            (self.containers, "containers"),
        ):
            images = {c.get("name"): str(c.get("image", "")) for c in spec.get(key) or []}
            for runner in runners:
                image = images.get(runner.name)
                if image is not None and image != runner.image and not runner.finished:
                    restarts.append(runner.change_image(image))
        return restarts

    @property
    def finished(self) -> bool:
        """The pod reached Succeeded or Failed (a completed Job pod, say)."""
        return self.phase() in ("Succeeded", "Failed")

    def phase(self) -> str:
        if any(c.finished and c.exit_code != 0 for c in self.init_containers):
            return "Failed"
        if not self.initialized:
            return "Pending"
        if any(not c.ever_ran and not c.finished for c in self.containers):
            return "Pending"
        if self.containers and all(c.finished or self.ctx.stopping for c in self.containers):
            states = [c.state.get("terminated") for c in self.containers]
            codes = [state["exitCode"] for state in states if state is not None]
            if len(codes) == len(states):
                return "Succeeded" if all(code == 0 for code in codes) else "Failed"
        return "Running"

    def _condition(self, kind: str, ok: bool, reason: str = "", message: str = "") -> dict:
        status = "True" if ok else "False"
        previous = self._conditions.get(kind)
        if previous is None or previous[0] != status:
            self._conditions[kind] = (status, self.ctx.now())
        condition: dict[str, Any] = {
            "type": kind,
            "status": status,
            "lastProbeTime": None,
            "lastTransitionTime": self._conditions[kind][1],
        }
        if reason and not ok:
            condition["reason"] = reason
        if message and not ok:
            condition["message"] = message
        return condition

    def status(self) -> dict[str, Any]:
        """The pod's full `status`, as written through the status subresource."""
        phase = self.phase()
        unready = [c.name for c in self.containers if not c.ready]
        terminal = phase in ("Succeeded", "Failed")
        if terminal:
            reason, message = "PodCompleted", ""
        else:
            reason = "ContainersNotReady"
            message = f"containers with unready status: [{' '.join(unready)}]"
        ready = not unready and not terminal
        incomplete = [c.name for c in self.init_containers if not (c.finished and c.ready)]
        status: dict[str, Any] = {
            "phase": phase,
            "conditions": [
                self._condition(
                    "Initialized",
                    self.initialized,
                    "ContainersNotInitialized",
                    f"containers with incomplete status: [{' '.join(incomplete)}]",
                ),
                self._condition("Ready", ready, reason, message),
                self._condition("ContainersReady", ready, reason, message),
                self._condition("PodScheduled", True),
            ],
            "hostIP": self.ctx.host_ip,
            "hostIPs": [{"ip": self.ctx.host_ip}],
            "podIP": self.ctx.pod_ip,
            "podIPs": [{"ip": self.ctx.pod_ip}],
            "startTime": self.start_time,
            "containerStatuses": [c.status() for c in self.containers],
            "qosClass": qos_class(self.ctx.pod.get("spec") or {}),
        }
        if self.init_containers:
            status["initContainerStatuses"] = [c.status() for c in self.init_containers]
        return status

    def report(self) -> None:
        """Send the status to the API server if it changed since the last report."""
        if self._muted:
            return
        if self._on_finished is not None and self.finished:
            self._on_finished()  # a finished pod keeps its podIP in status but frees the address
            self._on_finished = None
        status = self.status()
        if status == self._last_reported:
            return
        self._last_reported = status
        try:
            self.ctx.reporter.update_pod_status(
                self.ctx.namespace, self.ctx.name, self.ctx.uid, status
            )
        except Exception:
            _log.exception(
                "reporting status of pod %s/%s failed", self.ctx.namespace, self.ctx.name
            )

    async def terminate(self) -> None:
        """Graceful stop: SIGTERM every container, SIGKILL after the grace period."""
        self.ctx.stopping = True
        grace = self.ctx.grace_seconds()
        await self._stop_pod_task()
        await asyncio.gather(*(c.stop(grace) for c in self.init_containers + self.containers))
        self.report()

    async def kill(self) -> None:
        """Stop at once, reporting nothing more (the pod object is gone, or the node stops)."""
        self.ctx.stopping = True
        self._muted = True
        await self._stop_pod_task()
        await asyncio.gather(*(c.kill() for c in self.init_containers + self.containers))
