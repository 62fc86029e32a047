"""The process kubelet: pods bound to this node run as local processes on loopback pod IPs.

Driven by plain pod dicts: call `sync_pod` on every ADDED/MODIFIED pod and `forget_pod` when
the object vanished. Each pod gets its own loopback address from the kubelet's leased
127.B.C.0/24 block (see `addresses.py`), so containers listen on podIP:containerPort exactly
as declared. Where those addresses cannot be bound (macOS) pods run port-mapped instead
(see `portmap.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from pathlib import Path
from typing import Any

from clusters.embedded.clock import Clock
from clusters.embedded.dns import DNS_FILE_NAME
from clusters.embedded.kubelet.addresses import (
    PodIPAllocator,
    SubnetLease,
    loopback_block_error,
)
from clusters.embedded.kubelet.context import PodContext
from clusters.embedded.kubelet.environment import ObjectLookup
from clusters.embedded.kubelet.images import ImageCatalog
from clusters.embedded.kubelet.logs import remove_pod_logs
from clusters.embedded.kubelet.pod_worker import PodWorker
from clusters.embedded.kubelet.portmap import PortMap
from clusters.embedded.kubelet.process import reap_orphans
from clusters.embedded.kubelet.reporter import PodReporter

__all__ = ["HOST_IP", "NODE_NAME", "ProcessKubelet"]

_log = logging.getLogger(__name__)

NODE_NAME = "rollout-lab-node"
HOST_IP = "127.0.0.1"
RELEASED_MEMORY = 1000


class ProcessKubelet:
    """Runs this node's pods as process groups and reports their status through `reporter`."""

    def __init__(
        self,
        *,
        clock: Clock,
        state_dir: Path,
        reporter: PodReporter,
        node_name: str = NODE_NAME,
        catalog: ImageCatalog | None = None,
        object_lookup: ObjectLookup | None = None,
        lease_dir: Path | None = None,
        port_mapped: bool | None = None,
    ) -> None:
        self.clock = clock
        self.state_dir = Path(state_dir)
        self.reporter = reporter
        self.node_name = node_name
        self.catalog = catalog or ImageCatalog()
        self.object_lookup = object_lookup
        self.resolver_path = self.state_dir / DNS_FILE_NAME
        self._lease = SubnetLease(lease_dir)
        self._ips = PodIPAllocator(self._lease.prefix)
        problem = loopback_block_error(self._lease.prefix)
        self.port_map = PortMap(self.state_dir)
        self.port_mapped = bool(problem) if port_mapped is None else port_mapped
        if self.port_mapped:
            _log.warning("pods listen on 127.0.0.1 with mapped ports: %s", problem or "asked")
            self.port_map.enable()
        else:
            self.port_map.disable()
        self._workers: dict[str, PodWorker] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False
        self._released: dict[str, None] = {}  # uids already reported terminated, oldest first
        orphans = reap_orphans(self.state_dir / "pods")
        if orphans:
            _log.warning("killed %d pod process group(s) left by a previous run", len(orphans))

    def pod_address(self, uid: str) -> str | None:
        """The pod IP of a live pod, or None."""
        return self._ips.get(uid)

    def running_pods(self) -> list[str]:
        """UIDs of pods this kubelet currently manages."""
        return list(self._workers)

    async def sync_pod(self, pod: dict[str, Any]) -> None:
        """Bring the pod's processes in line with the object; idempotent, returns at once.

        Only pods bound to this node (`spec.nodeName`) run; a deletion mark starts graceful
        termination in the background, ending with `reporter.pod_terminated`.
        """
        if self._closed:
            return
        metadata, spec = pod.get("metadata") or {}, pod.get("spec") or {}
        uid = str(metadata.get("uid", ""))
        node = spec.get("nodeName")
        if not uid or node != self.node_name:
            if uid and not node and metadata.get("deletionTimestamp"):
                self._report_terminated(pod)  # never bound: no process to stop
            return
        worker = self._workers.get(uid)
        if metadata.get("deletionTimestamp"):
            if worker is None:
                if uid not in self._released:
                    self._report_terminated(pod)
            elif worker.terminating is None:
                worker.update(pod)
                worker.terminating = self._spawn(self._terminate(uid, worker))
            return
        if worker is not None:
            for restart in worker.update(pod):
                self._spawn(restart)  # stopping a process takes a while: not inline
            return
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return  # finished before this kubelet started: nothing to run again
        self._start(pod, uid)

    def _start(self, pod: dict[str, Any], uid: str) -> None:
        remove_pod_logs(self.state_dir, *self._ns_name(pod))  # a new pod under an old name
        context = PodContext(
            pod=pod,
            pod_ip=self._ips.allocate(uid),
            host_ip=HOST_IP,
            clock=self.clock,
            state_dir=self.state_dir,
            resolver_path=self.resolver_path,
            catalog=self.catalog,
            reporter=self.reporter,
            lookup=self.object_lookup,
            notify=lambda: None,
            port_map=self.port_map if self.port_mapped else None,
        )
        worker = PodWorker(context, on_finished=lambda: self._ips.release(uid))
        self._workers[uid] = worker
        worker.start()

    @staticmethod
    def _ns_name(pod: dict[str, Any]) -> tuple[str, str]:
        metadata = pod.get("metadata") or {}
        return str(metadata.get("namespace", "default")), str(metadata.get("name", ""))

    def _remove_files(self, pod: dict[str, Any]) -> None:
        """Drop a deleted pod's logs and working directories."""
        remove_pod_logs(self.state_dir, *self._ns_name(pod))
        uid = str((pod.get("metadata") or {}).get("uid", ""))
        if uid:
            shutil.rmtree(self.state_dir / "pods" / uid, ignore_errors=True)

    def _spawn(self, coroutine: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _report_terminated(self, pod: dict[str, Any]) -> None:
        """Tell the API server the pod may go, once per uid: a late event for it must not
        remove the files of a new pod that took its name."""
        namespace, name = self._ns_name(pod)
        self._released[str(pod["metadata"].get("uid", ""))] = None
        while len(self._released) > RELEASED_MEMORY:
            del self._released[next(iter(self._released))]
        self._remove_files(pod)
        try:
            self.reporter.pod_terminated(namespace, name, str(pod["metadata"].get("uid", "")))
        except Exception:
            _log.exception("reporting termination of pod %s/%s failed", namespace, name)

    async def _terminate(self, uid: str, worker: PodWorker) -> None:
        try:
            await worker.terminate()
        finally:
            self._workers.pop(uid, None)
            self._ips.release(uid)
        self._report_terminated(worker.ctx.pod)

    async def forget_pod(self, uid: str) -> None:
        """The pod object is gone: kill its processes at once and drop its logs."""
        worker = self._workers.pop(uid, None)
        if worker is None:
            return
        await worker.kill()
        self._ips.release(uid)
        self._remove_files(worker.ctx.pod)

    async def shutdown(self) -> None:
        """Kill every pod process group and wait until they are gone."""
        self._closed = True
        workers = list(self._workers.values())
        self._workers.clear()
        await asyncio.gather(*(worker.kill() for worker in workers), return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._lease.release()
