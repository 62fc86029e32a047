"""The embedded backend for `rollout-lab up|down|status`: our API server, controllers and
process kubelet as one detached background process, found again later through its pid file.

`up` is idempotent (a running cluster is reused and says so), `down` stops the server's
process group — pod processes die with it — and a server that died is restarted from the
persisted state on the next `up`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path

from clusters.backend import BackendOptions, BackendStatus, ClusterInfo
from clusters.embedded.cluster import EmbeddedCluster
from clusters.embedded.statedir import HOST, read_port, state_files
from clusters.progress import Progress, Step, run_steps

__all__ = ["DEFAULT_NAMESPACE", "EmbeddedBackend", "server_pid"]

DEFAULT_NAMESPACE = "rollout-lab"
CONTEXT = "rollout-lab"


def server_pid(state_dir: Path) -> int | None:
    """The pid of a live embedded server for this state dir, else None."""
    try:
        pid = int(state_files(state_dir)["pid"].read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def _ready(state_dir: Path) -> bool:
    port = read_port(state_dir)
    ca = state_files(state_dir)["ca"]
    if port is None or not ca.is_file():
        return False
    context = ssl.create_default_context(cafile=str(ca))
    try:
        with urllib.request.urlopen(f"https://{HOST}:{port}/readyz", context=context, timeout=2):
            return True
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


class EmbeddedBackend:
    """Backend protocol implementation for the embedded cluster."""

    name = "embedded"
    capabilities = frozenset({"time-warp", "nodeports", "local-images"})

    def __init__(self, state_dir: Path, *, time_scale: float = 1.0, namespace: str | None = None):
        self.root = Path(state_dir).expanduser().resolve()
        self.state_dir = self.root / "embedded"
        self.time_scale = time_scale
        self._namespace = namespace or DEFAULT_NAMESPACE

    @classmethod
    def from_options(cls, options: BackendOptions) -> EmbeddedBackend:
        return cls(options.state_dir, time_scale=options.time_scale, namespace=options.namespace)

    # -- protocol ------------------------------------------------------------------------------
    @property
    def kubeconfig(self) -> Path:
        return state_files(self.state_dir)["kubeconfig"]

    @property
    def context(self) -> str:
        return CONTEXT

    @property
    def namespace(self) -> str:
        return self._namespace

    def image_ref(self, version: str) -> str:
        return f"rollout-lab/task-agent:{version}"

    def info(self) -> ClusterInfo:
        port = read_port(self.state_dir)
        return ClusterInfo(
            kubeconfig=self.kubeconfig,
            context=self.context,
            namespace=self.namespace,
            backend=self.name,
            api_url=f"https://{HOST}:{port}" if port else "",
        )

    def up(self, progress: Progress) -> ClusterInfo:
        steps = [
            Step("start API server and controllers", self._start, done=self._already_running),
            Step("wait for the node", self._wait_node),
            Step("create lab namespace", self._create_namespace),
        ]
        run_steps(steps, progress)
        return self.info()

    def down(self) -> None:
        pid = server_pid(self.state_dir)
        if pid is None:
            return
        stop_process_group(pid)

    def status(self) -> BackendStatus:
        pid = server_pid(self.state_dir)
        if pid is None:
            return BackendStatus(self.name, "stopped", ("no embedded server is running",))
        if not _ready(self.state_dir):
            return BackendStatus(self.name, "degraded", (f"server pid {pid} is not ready",))
        details = (f"server pid {pid}", f"time scale {self._recorded_scale()}")
        return BackendStatus(self.name, "running", details, self.info())

    def collect_diagnostics(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for source in (state_files(self.state_dir)["log"], self.state_dir / "server.stdout"):
            if source.is_file():
                target = directory / source.name
                shutil.copyfile(source, target)
                written.append(target)
        logs = self.state_dir / "logs"
        if logs.is_dir():
            target = directory / "pod-logs"
            shutil.copytree(logs, target, dirs_exist_ok=True)
            written.append(target)
        return written

    # -- steps ---------------------------------------------------------------------------------
    def _already_running(self) -> str | None:
        pid = server_pid(self.state_dir)
        if pid is not None and _ready(self.state_dir):
            return (
                f"already running (pid {pid}, time scale {self._recorded_scale()}); nothing to do"
            )
        return None

    def _start(self) -> str:
        pid = server_pid(self.state_dir)
        if pid is not None:  # alive but not answering: replace it
            stop_process_group(pid)
        cluster = EmbeddedCluster(self.state_dir, time_scale=self.time_scale, startup_timeout=60)
        cluster.start()
        (self.state_dir / "time-scale").write_text(f"{self.time_scale:g}\n")
        cluster.detach()
        return f"serving {cluster.api_url} (time scale {self.time_scale:g})"

    def _recorded_scale(self) -> str:
        try:
            return (self.state_dir / "time-scale").read_text().strip()
        except OSError:
            return "1"

    def _api(self):  # type: ignore[no-untyped-def]
        from kubernetes import client, config

        api_client = config.new_client_from_config(
            config_file=str(self.kubeconfig), context=self.context
        )
        return client.CoreV1Api(api_client)

    def _wait_node(self) -> str:
        core = self._api()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for node in core.list_node().items:
                for condition in node.status.conditions or []:
                    if condition.type == "Ready" and condition.status == "True":
                        return f"node {node.metadata.name} is Ready"
            time.sleep(0.2)
        raise TimeoutError("the embedded node did not become Ready within 30s")

    def _create_namespace(self) -> str:
        from kubernetes import client

        core = self._api()
        try:
            core.read_namespace(self.namespace)
            return f"namespace {self.namespace} exists"
        except client.ApiException as error:
            if error.status != 404:
                raise
        body = client.V1Namespace(metadata=client.V1ObjectMeta(name=self.namespace))
        core.create_namespace(body)
        return f"created namespace {self.namespace}"


def stop_process_group(pid: int, timeout: float = 15.0) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left after `timeout`."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
