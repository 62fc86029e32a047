"""Everything that runs inside the embedded cluster process besides the API: the built-in
controllers, the one-node scheduler, the process kubelet and the Service proxy, all fed by
the store's watches (level-triggered, with resyncs)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import logging
from pathlib import Path
from typing import Any

from clusters.embedded.clock import Clock
from clusters.embedded.controllers.base import Controller
from clusters.embedded.controllers.bootstrap import bootstrap
from clusters.embedded.controllers.registry import CONTROLLERS
from clusters.embedded.controllers.scheduler import NODE_NAME
from clusters.embedded.events import EventRecorder
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError

__all__ = ["ClusterRuntime", "StoreReporter", "build_controllers", "run_cluster_runtime"]

log = logging.getLogger(__name__)
PODS = find_plural("", "v1", "pods")
SERVICES = find_plural("", "v1", "services")
ENDPOINTS = find_plural("", "v1", "endpoints")


class StoreReporter:
    """The kubelet's PodReporter: writes pod status, events and final removal to the store."""

    def __init__(self, store: Any, clock: Clock, node_name: str) -> None:
        self._store = store
        self._recorder = EventRecorder(store, clock, "kubelet", host=node_name)

    def update_pod_status(
        self, namespace: str, name: str, uid: str, status: dict[str, Any]
    ) -> None:
        try:
            pod = self._store.get(PODS, namespace, name)
        except ApiError:
            return
        if pod["metadata"].get("uid") != uid:
            return
        scheduled = [
            c
            for c in (pod.get("status") or {}).get("conditions") or []
            if c.get("type") == "PodScheduled"
        ]
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        merged = {**status, "conditions": [*scheduled, *conditions]}
        if merged == pod.get("status"):
            return
        pod["status"] = merged
        try:
            self._store.update(PODS, pod, subresource="status")
        except ApiError as error:
            log.debug("pod %s/%s status not written: %s", namespace, name, error)

    def emit_event(self, pod: dict[str, Any], type_: str, reason: str, message: str) -> None:
        self._recorder.emit(pod, type_, reason, message)

    def pod_terminated(self, namespace: str, name: str, uid: str) -> None:
        try:
            pod = self._store.get(PODS, namespace, name)
            if pod["metadata"].get("uid") == uid:
                self._store.delete(PODS, namespace, name, grace_period_seconds=0)
        except ApiError as error:
            if error.code != 404:
                log.warning("pod %s/%s not removed: %s", namespace, name, error)


def build_controllers(store: Any, clock: Clock, state_dir: Path) -> list[Controller]:
    """Instantiate every registered controller with the arguments it asks for."""
    available = {"store": store, "clock": clock, "state_dir": Path(state_dir)}
    controllers = []
    for module_name, class_name in CONTROLLERS:
        cls = getattr(importlib.import_module(module_name), class_name)
        wanted = inspect.signature(cls).parameters
        controllers.append(cls(**{k: v for k, v in available.items() if k in wanted}))
    return controllers


async def run_cluster_runtime(store: Any, clock: Clock, state_dir: Path) -> None:
    """Run controllers, kubelet and proxy until cancelled (the `serve` extra task)."""
    runtime = ClusterRuntime(store, clock, state_dir)
    await runtime.start()
    try:
        await asyncio.Event().wait()
    finally:
        await runtime.stop()


class ClusterRuntime:
    """Starts and stops the in-process controllers, kubelet and proxy."""

    def __init__(self, store: Any, clock: Clock, state_dir: Path, node_name: str = NODE_NAME):
        self.store = store
        self.clock = clock
        self.state_dir = Path(state_dir)
        self.node_name = node_name
        self.controllers: list[Controller] = build_controllers(store, clock, self.state_dir)
        self.kubelet: Any = None
        self.proxy: Any = None
        self._tasks: list[asyncio.Task[None]] = []

    def add_controller(self, controller: Controller) -> None:
        self.controllers.append(controller)

    async def start(self, *, with_kubelet: bool = True) -> None:
        bootstrap(self.store, self.clock, self.node_name)
        for controller in self.controllers:
            await controller.start()
        if with_kubelet:
            from clusters.embedded.dns import Resolver
            from clusters.embedded.kubelet.kubelet import ProcessKubelet
            from clusters.embedded.proxy import ServiceProxy

            reporter = StoreReporter(self.store, self.clock, self.node_name)
            self.kubelet = ProcessKubelet(
                clock=self.clock,
                state_dir=self.state_dir,
                reporter=reporter,
                node_name=self.node_name,
            )
            self.proxy = ServiceProxy(self.state_dir, Resolver.in_state_dir(self.state_dir))
            self._tasks.append(asyncio.create_task(self._drive_kubelet(), name="kubelet"))
            self._tasks.append(asyncio.create_task(self._drive_proxy(), name="proxy"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for controller in self.controllers:
            await controller.stop()
        if self.kubelet is not None:
            await self.kubelet.shutdown()
        if self.proxy is not None:
            await self.proxy.close()

    async def _drive_kubelet(self) -> None:
        """Hand every pod bound to our node to the kubelet; vanished pods are killed."""
        while True:
            watcher = self.store.watch(PODS, None)
            try:
                async for event in watcher:
                    kind, pod = event.get("type"), event.get("object") or {}
                    if kind in ("BOOKMARK", "ERROR"):
                        continue
                    if pod.get("spec", {}).get("nodeName") != self.node_name:
                        continue
                    if kind == "DELETED":
                        await self.kubelet.forget_pod(pod["metadata"]["uid"])
                    else:
                        await self.kubelet.sync_pod(pod)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("kubelet watch failed; re-listing")
            finally:
                with contextlib.suppress(Exception):
                    await watcher.close()
            await asyncio.sleep(0.2)

    async def _drive_proxy(self) -> None:
        """Re-sync the proxy whenever Services or Endpoints change (coalescing bursts)."""
        changed = asyncio.Event()

        async def follow(resource: Any) -> None:
            while True:
                watcher = self.store.watch(resource, None)
                try:
                    async for _event in watcher:
                        changed.set()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("proxy watch on %s failed", resource.plural)
                finally:
                    with contextlib.suppress(Exception):
                        await watcher.close()
                await asyncio.sleep(0.2)

        followers = [asyncio.create_task(follow(r)) for r in (SERVICES, ENDPOINTS)]
        try:
            while True:
                await changed.wait()
                changed.clear()
                try:
                    await self.proxy.sync(
                        self.store.list(SERVICES, None).items,
                        self.store.list(ENDPOINTS, None).items,
                    )
                except Exception:
                    log.exception("proxy sync failed")
                await asyncio.sleep(0.02)
        finally:
            for task in followers:
                task.cancel()
