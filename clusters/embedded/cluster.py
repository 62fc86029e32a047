"""Start and stop the embedded cluster as a background process (Python lifecycle API).

    with EmbeddedCluster(state_dir) as cluster:
        subprocess.run(["kubectl", "--kubeconfig", cluster.kubeconfig_path, "get", "pods"])

The server runs as `python -m clusters.embedded serve` in its own process group, so stopping
it (or a crash of the caller) never leaves children of ours behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

import clusters
from clusters.embedded.statedir import HOST, read_port, state_files

__all__ = ["ClusterStartError", "EmbeddedCluster"]

_LOG_TAIL_LINES = 40


class ClusterStartError(RuntimeError):
    """The server process exited or never became ready; the message holds its log tail."""


def _log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.splitlines()[-lines:]) or "(server log is empty)"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class EmbeddedCluster:
    """The embedded API server of one state directory, run as a background process."""

    def __init__(
        self,
        state_dir: Path | str,
        *,
        port: int | None = None,
        time_scale: float = 1.0,
        watch_timeout_max: float | None = None,
        startup_timeout: float = 30.0,
        workloads: bool = True,
    ) -> None:
        self.state_dir = Path(state_dir).resolve()
        self.port = port
        self.time_scale = time_scale
        self.watch_timeout_max = watch_timeout_max
        self.startup_timeout = startup_timeout
        # False: API server and store only, no controllers, kubelet or proxy (API-level tests).
        self.workloads = workloads
        self._process: subprocess.Popen[bytes] | None = None
        self._files = state_files(self.state_dir)

    # -- public surface ------------------------------------------------------------------------

    @property
    def kubeconfig_path(self) -> Path:
        return self._files["kubeconfig"]

    @property
    def log_path(self) -> Path:
        return self._files["log"]

    @property
    def ca_path(self) -> Path:
        return self._files["ca"]

    @property
    def api_url(self) -> str:
        port = self.port or read_port(self.state_dir)
        if port is None:
            raise RuntimeError("the cluster has not been started yet (no port chosen)")
        return f"https://{HOST}:{port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> EmbeddedCluster:
        """Spawn the server and wait until `/readyz` answers over TLS."""
        if self.running:
            return self
        self._refuse_second_server()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "clusters.embedded",
            "serve",
            "--state-dir",
            str(self.state_dir),
            "--time-scale",
            str(self.time_scale),
        ]
        if self.port:
            command += ["--port", str(self.port)]
        if self.watch_timeout_max:
            command += ["--watch-timeout-max", str(self.watch_timeout_max)]
        if not self.workloads:
            command.append("--api-only")
        env = dict(os.environ)
        project_root = str(Path(clusters.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (project_root, env.get("PYTHONPATH", "")) if p
        )
        with open(self.state_dir / "server.stdout", "ab") as output:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.port = read_port(self.state_dir)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server's process group (SIGTERM, then SIGKILL after `timeout`)."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                process.wait(timeout)
        self._process = None

    def detach(self) -> None:
        """Leave the server running after this object goes (`rollout-lab up` exits)."""
        self._process = None

    def kill(self) -> None:
        """SIGKILL the server (crash simulation); the state directory is left as it was."""
        process = self._process
        if process is None:
            return
        self._signal(signal.SIGKILL)
        process.wait(10)
        self._process = None

    def __enter__(self) -> EmbeddedCluster:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals -----------------------------------------------------------------------------

    def _signal(self, signum: int) -> None:
        assert self._process is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._process.pid, signum)

    def _refuse_second_server(self) -> None:
        try:
            other = int(self._files["pid"].read_text().strip())
        except (OSError, ValueError):
            return
        if other != os.getpid() and _pid_alive(other):
            raise ClusterStartError(
                f"another embedded cluster (pid {other}) is already serving {self.state_dir}; "
                "stop it first"
            )

    def _server_pid_matches(self) -> bool:
        try:
            return int(self._files["pid"].read_text().strip()) == self.pid
        except (OSError, ValueError):
            return False

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        context: ssl.SSLContext | None = None
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ClusterStartError(
                    f"the embedded API server exited with code {self._process.returncode} "
                    f"during start-up; last lines of {self.log_path}:\n{_log_tail(self.log_path)}"
                    f"\n{_log_tail(self.state_dir / 'server.stdout', 15)}"
                )
            port = read_port(self.state_dir)
            if port and self._server_pid_matches() and self.ca_path.is_file():
                context = context or ssl.create_default_context(cafile=str(self.ca_path))
                if _ready(f"https://{HOST}:{port}/readyz", context):
                    return
            time.sleep(0.05)
        raise ClusterStartError(
            f"the embedded API server did not become ready within {self.startup_timeout:.0f}s; "
            f"last lines of {self.log_path}:\n{_log_tail(self.log_path)}"
        )


def _ready(url: str, context: ssl.SSLContext) -> bool:
    try:
        with urllib.request.urlopen(url, context=context, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False
