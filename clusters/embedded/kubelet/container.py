"""One container of a pod through its whole life: image "pull", runs, probes, restarts.

Waiting reasons, events and restart rules follow the kubelet (see `context.BackOff` for the
back-off); init containers run to success and have no probes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from typing import Any

from clusters.embedded.kubelet.context import INITIAL_BACKOFF, BackOff, PodContext
from clusters.embedded.kubelet.environment import ConfigError, container_environment
from clusters.embedded.kubelet.images import UnsupportedCommand
from clusters.embedded.kubelet.logs import log_path
from clusters.embedded.kubelet.portmap import PORTS_FILE
from clusters.embedded.kubelet.probes import (
    MIN_REAL_PERIOD,
    MIN_REAL_TIMEOUT,
    ProbeSettings,
    ProbeState,
    run_probe,
)
from clusters.embedded.kubelet.process import ContainerProcess

__all__ = ["ContainerRunner"]

_log = logging.getLogger(__name__)


class ContainerRunner:
    """Runs one container spec until the pod stops or restartPolicy says it is done."""

    def __init__(self, context: PodContext, spec: dict[str, Any], *, init: bool = False) -> None:
        self.ctx = context
        self.spec = spec
        self.init = init
        self.name = str(spec["name"])
        self.image = str(spec.get("image", ""))
        self.restart_count = 0
        self.ready = False
        self.started = False
        self.finished = False
        self.exit_code: int | None = None
        self.ever_ran = False
        self.image_id = ""
        self.container_id: str | None = None
        self.state: dict[str, Any] = {"waiting": {"reason": "ContainerCreating"}}
        self.last_state: dict[str, Any] = {}
        self._process: ContainerProcess | None = None
        self._in_run = False
        self._definition_changed = False
        self._task: asyncio.Task[None] | None = None

    # -- status -------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """This container's `containerStatuses[]` entry."""
        status: dict[str, Any] = {
            "name": self.name,
            "image": self.image,
            "imageID": self.image_id,
            "ready": self.ready,
            "restartCount": self.restart_count,
            "started": self.started,
            "state": self.state,
            "lastState": self.last_state,
        }
        if self.container_id:
            status["containerID"] = self.container_id
        return status

    def _set_waiting(self, reason: str, message: str | None = None) -> None:
        waiting: dict[str, Any] = {"reason": reason}
        if message:
            waiting["message"] = message
        self.state = {"waiting": waiting}
        self.ready = self.started = False
        self.ctx.notify()

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"container {self.ctx.name}/{self.name}")

    async def wait(self) -> None:
        """Until the run loop ends: finished for good, or stopped with the pod."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self, grace_seconds: float) -> None:
        """Stop for pod termination: SIGTERM, SIGKILL after the grace period (cluster seconds)."""
        process = self._process if self._in_run else None
        if process is not None and process.exit_code is None:
            clock = self.ctx.clock
            self.ctx.event("Normal", "Killing", f"Stopping container {self.name}")
            began = clock.monotonic()
            hook = (self.spec.get("lifecycle") or {}).get("preStop")
            if hook:
                await self._pre_stop(hook, process, grace_seconds)
            remaining = max(0.0, grace_seconds - (clock.monotonic() - began))
            await process.stop(clock.real_seconds(remaining))
        await self._finish_task()

    async def _pre_stop(
        self, hook: dict[str, Any], process: ContainerProcess, grace_seconds: float
    ) -> None:
        """Run the preStop hook (sleep, httpGet, tcpSocket or exec) within the grace period."""
        clock = self.ctx.clock
        try:
            async with asyncio.timeout(clock.real_seconds(grace_seconds)):
                if "sleep" in hook:
                    await clock.sleep(float((hook["sleep"] or {}).get("seconds", 0)))
                    return
                result = await run_probe(
                    hook,
                    pod_ip=self.ctx.pod_ip,
                    translate=self.ctx.port_map.lookup if self.ctx.port_map else None,
                    container=self.spec,
                    env=process.env,
                    cwd=str(process.cwd),
                    timeout=max(clock.real_seconds(grace_seconds), MIN_REAL_TIMEOUT),
                )
        except TimeoutError:
            return  # the grace period ran out during the hook: SIGTERM follows at once
        if not result.success:
            self.ctx.event("Warning", "FailedPreStopHook", f"PreStopHook failed: {result.message}")

    async def change_image(self, image: str) -> None:
        """The pod's image for this container changed: restart it with the new one, like the
        kubelet does (Killing event, then a new run without back-off)."""
        if image == self.image:
            return
        self.image = image
        self.spec["image"] = image
        process = self._process if self._in_run else None
        if process is None or process.exit_code is not None or self.ctx.stopping:
            return  # the next run (after back-off) picks the new image up
        self._definition_changed = True
        self.ctx.event(
            "Normal", "Killing", f"Container {self.name} definition changed, will be restarted"
        )
        await process.stop(self.ctx.clock.real_seconds(self.ctx.grace_seconds()))

    async def kill(self) -> None:
        """SIGKILL the container's processes now (no grace) and end its task."""
        if self._process is not None and self._in_run:
            self._process.kill()
        await self._finish_task()

    async def _finish_task(self) -> None:
        """End the run loop: a live run ends by itself (its process is going); else cancel."""
        task = self._task
        if task is None or task.done():
            return
        if not self._in_run:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def _run(self) -> None:
        try:
            await self._run_loop()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            _log.exception(
                "container %s of pod %s/%s failed", self.name, self.ctx.namespace, self.ctx.name
            )
            self._set_waiting("RunContainerError", f"embedded kubelet error: {error}")

    async def _run_loop(self) -> None:
        crash_backoff = BackOff(first=0.0)
        pull_backoff = BackOff(first=INITIAL_BACKOFF)
        while not self.ctx.stopping:
            image = self.ctx.catalog.lookup(self.image)
            if image is None:
                await self._image_pull_failed(pull_backoff.next_delay())
                continue
            self.image_id = image.image_id
            try:
                env = container_environment(
                    self.ctx.pod,
                    self.spec,
                    pod_ip=self.ctx.pod_ip,
                    host_ip=self.ctx.host_ip,
                    image_env=image.env,
                    lookup=self.ctx.lookup,
                )
                program = self.ctx.catalog.program(image, self.spec, env)
            except (ConfigError, UnsupportedCommand) as error:
                reason = (
                    "CreateContainerConfigError"
                    if isinstance(error, ConfigError)
                    else "CreateContainerError"
                )
                self.ctx.event("Warning", "Failed", f"Error: {error}")
                self._set_waiting(reason, str(error))
                await self.ctx.clock.sleep(crash_backoff.next_delay() or INITIAL_BACKOFF)
                continue
            self._in_run = True
            try:
                exit_code, ran_for = await self._run_once(program, env)
            finally:
                self._in_run = False
            if self.ctx.stopping:
                return
            self.exit_code = exit_code
            changed, self._definition_changed = self._definition_changed, False
            if changed:
                self.last_state, self.restart_count = self.state, self.restart_count + 1
                continue
            if not self._should_restart(exit_code):
                self.finished = True
                self.ready = self.init and exit_code == 0  # a completed init container is ready
                self.ctx.notify()
                return
            self.last_state, self.restart_count = self.state, self.restart_count + 1
            delay = crash_backoff.next_delay(ran_for)
            if delay > 0:
                pod_ref = f"{self.ctx.name}_{self.ctx.namespace}({self.ctx.uid})"
                self.ctx.event(
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {self.name} in pod {pod_ref}",
                )
                self._set_waiting(
                    "CrashLoopBackOff",
                    f"back-off {delay:g}s restarting failed container={self.name} pod={pod_ref}",
                )
                await self.ctx.clock.sleep(delay)

    def _should_restart(self, exit_code: int) -> bool:
        policy = (self.ctx.pod.get("spec") or {}).get("restartPolicy") or "Always"
        if policy == "Never":
            return False
        return (policy == "Always" and not self.init) or exit_code != 0

    async def _image_pull_failed(self, delay: float) -> None:
        message = self.ctx.catalog.unavailable_message(self.image)
        self.image_id = ""
        self.ctx.event("Normal", "Pulling", f'Pulling image "{self.image}"')
        self.ctx.event("Warning", "Failed", f'Failed to pull image "{self.image}": {message}')
        self.ctx.event("Warning", "Failed", "Error: ErrImagePull")
        self._set_waiting("ErrImagePull", message)
        await self.ctx.clock.sleep(min(2.0, delay))
        self.ctx.event("Normal", "BackOff", f'Back-off pulling image "{self.image}"')
        self.ctx.event("Warning", "Failed", "Error: ImagePullBackOff")
        self._set_waiting("ImagePullBackOff", f'Back-off pulling image "{self.image}": {message}')
        await self.ctx.clock.sleep(delay)

    async def _run_once(self, program: list[str], env: dict[str, str]) -> tuple[int, float]:
        """One run of the process with its probes; (exit code, cluster seconds it ran)."""
        ctx = self.ctx
        argv = [
            sys.executable,
            "-m",
            "clusters.embedded.podexec",
            "--resolver",
            str(ctx.resolver_path),
            "--namespace",
            ctx.namespace,
            "--pod-ip",
            ctx.pod_ip,
        ]
        workdir = ctx.state_dir / "pods" / ctx.uid / self.name
        if ctx.port_map is not None:
            (workdir / PORTS_FILE).unlink(missing_ok=True)  # this run records its own ports
            argv += ["--port-map", str(workdir / PORTS_FILE)]
        argv += ["--", *program]
        log_file = log_path(ctx.state_dir, ctx.namespace, ctx.name, self.name, self.restart_count)
        process = ContainerProcess(argv, env, workdir, log_file)
        ctx.event("Normal", "Pulled", f'Container image "{self.image}" already present on machine')
        started_at, began = ctx.now(), ctx.clock.monotonic()
        try:
            await process.start()
        except OSError as error:
            ctx.event("Warning", "Failed", f"Error: failed to start container {self.name}: {error}")
            self._set_terminated(128, "StartError", started_at, message=str(error))
            return 128, 0.0
        self._process = process
        if ctx.stopping:
            process.kill()  # the pod was deleted while the process was being spawned
        self.ever_ran = True
        self.container_id = f"process://{process.pid}"
        ctx.event("Normal", "Created", f"Created container: {self.name}")
        ctx.event("Normal", "Started", f"Started container {self.name}")
        self.state = {"running": {"startedAt": started_at}}
        self.started = "startupProbe" not in self.spec
        self.ready = False
        if self.started and "readinessProbe" not in self.spec and not self.init:
            self.ready = True
        ctx.notify()
        probes = asyncio.create_task(self._probe(process, env), name=f"probes {self.name}")
        try:
            exit_code = await process.wait()
        finally:
            probes.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probes
        self._set_terminated(exit_code, "Completed" if exit_code == 0 else "Error", started_at)
        return exit_code, ctx.clock.monotonic() - began

    def _set_terminated(
        self, exit_code: int, reason: str, started_at: str, message: str | None = None
    ) -> None:
        terminated: dict[str, Any] = {
            "exitCode": exit_code,
            "reason": reason,
            "startedAt": started_at,
            "finishedAt": self.ctx.now(),
        }
        if self.container_id:
            terminated["containerID"] = self.container_id
        if message:
            terminated["message"] = message
        self.state = {"terminated": terminated}
        self.ready = self.started = False
        self.ctx.notify()

    # -- probes ---------------------------------------------------------------------------
    async def _probe(self, process: ContainerProcess, env: dict[str, str]) -> None:
        """Startup, then readiness and liveness probes side by side, for one run."""
        if self.init:
            return  # init containers have no probes
        startup = self.spec.get("startupProbe")
        if startup and not await self._probe_loop("startup", startup, process, env):
            return
        loops = [
            self._probe_loop(kind, self.spec[key], process, env)
            for kind, key in (("readiness", "readinessProbe"), ("liveness", "livenessProbe"))
            if self.spec.get(key)
        ]
        if loops:
            await asyncio.gather(*loops)

    async def _probe_loop(
        self, kind: str, spec: dict[str, Any], process: ContainerProcess, env: dict[str, str]
    ) -> bool:
        """Probe until the process ends; startup returns True once it passes."""
        clock = self.ctx.clock
        settings = ProbeSettings.from_spec(spec, kind)
        state = ProbeState(settings, initial=kind != "readiness")
        timeout = max(clock.real_seconds(settings.timeout), MIN_REAL_TIMEOUT)
        await clock.sleep(settings.initial_delay)
        while process.exit_code is None:
            result = await run_probe(
                spec,
                pod_ip=self.ctx.pod_ip,
                translate=self.ctx.port_map.lookup if self.ctx.port_map else None,
                container=self.spec,
                env=env,
                cwd=str(process.cwd),
                timeout=timeout,
            )
            if process.exit_code is not None or self.ctx.stopping:
                return False
            if not result.success:
                self.ctx.event(
                    "Warning", "Unhealthy", f"{kind.capitalize()} probe failed: {result.message}"
                )
            flipped = state.record(result.success)
            if kind == "startup" and result.success:
                self.started = True
                self.ready = "readinessProbe" not in self.spec
                self.ctx.notify()
                return True
            if kind == "readiness" and flipped is not None:
                self.ready = flipped
                self.ctx.notify()
            if kind in ("liveness", "startup") and flipped is False:
                self.ctx.event(
                    "Normal",
                    "Killing",
                    f"Container {self.name} failed {kind} probe, will be restarted",
                )
                await process.stop(clock.real_seconds(self.ctx.grace_seconds()))
                return False
            await clock.sleep(max(settings.period, MIN_REAL_PERIOD * clock.time_scale))
        return False
