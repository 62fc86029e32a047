"""The one-node scheduler: binds every unscheduled pod to `rollout-lab-node`."""

from __future__ import annotations

from typing import Any

from clusters.embedded.controllers.base import Controller, Key
from clusters.embedded.events import EventRecorder
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError

__all__ = ["NODE_NAME", "SchedulerController"]

NODE_NAME = "rollout-lab-node"
PODS = find_plural("", "v1", "pods")


class SchedulerController(Controller):
    name = "default-scheduler"
    primary = PODS
    resync_seconds = 60.0

    def __init__(self, store: Any, clock: Any, node_name: str = NODE_NAME) -> None:
        super().__init__(store, clock)
        self.node_name = node_name
        self.recorder = EventRecorder(store, clock, "default-scheduler")

    async def reconcile(self, key: Key) -> float | None:
        try:
            pod = self.store.get(PODS, key.namespace, key.name)
        except ApiError as error:
            if error.code == 404:
                return None
            raise
        if pod.get("spec", {}).get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            return None
        pod["spec"]["nodeName"] = self.node_name
        bound = self.store.update(PODS, pod)
        status = dict(bound.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        conditions.insert(
            0,
            {
                "type": "PodScheduled",
                "status": "True",
                "lastProbeTime": None,
                "lastTransitionTime": self.clock.stamp(),
            },
        )
        status["conditions"] = conditions
        status.setdefault("phase", "Pending")
        bound["status"] = status
        self.store.update(PODS, bound, subresource="status")
        self.recorder.emit(
            bound,
            "Normal",
            "Scheduled",
            f"Successfully assigned {key.namespace}/{key.name} to {self.node_name}",
        )
        return None
