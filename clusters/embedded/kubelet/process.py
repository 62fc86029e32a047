"""One run of one container: a real process in its own process group, logging to a file.

Killing acts on the whole group, as a container runtime kills every process of a container;
when the main process exits, whatever it left behind in its group is killed too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["PID_FILE", "ContainerProcess", "exit_code_of", "reap_orphans"]

PID_FILE = "pid"
MARKER = "clusters.embedded.podexec"


def exit_code_of(returncode: int) -> int:
    """Kubernetes-style exit code: a death by signal N reads as 128+N (SIGKILL -> 137)."""
    return 128 - returncode if returncode < 0 else returncode


class ContainerProcess:
    """A container process: start it, wait for it, stop it gracefully or kill it."""

    def __init__(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: Path, log_file: Path
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env)
        self.cwd = Path(cwd)
        self.log_file = Path(log_file)
        self._process: asyncio.subprocess.Process | None = None
        self._exit_code: int | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def exit_code(self) -> int | None:
        return self._exit_code

    async def start(self) -> None:
        """Spawn the process (new session, so its pid is also its group id)."""
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env=self.env,
                start_new_session=True,
            )
        with contextlib.suppress(OSError):  # only orphan reaping needs it; never fail a start
            (self.cwd / PID_FILE).write_text(str(self._process.pid))

    async def wait(self) -> int:
        """Wait for the main process to exit, then clear its group; returns the exit code."""
        if self._process is None:
            raise RuntimeError("container process was never started")
        returncode = await self._process.wait()
        self._signal_group(signal.SIGKILL)
        (self.cwd / PID_FILE).unlink(missing_ok=True)
        self._exit_code = exit_code_of(returncode)
        return self._exit_code

    def _signal_group(self, signum: signal.Signals) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signum)

    def kill(self) -> None:
        """SIGKILL every process of the container at once."""
        self._signal_group(signal.SIGKILL)

    async def stop(self, grace_seconds: float) -> int:
        """SIGTERM the group, SIGKILL it after `grace_seconds` (real seconds); the exit code."""
        if self._process is None:
            raise RuntimeError("container process was never started")
        if self._process.returncode is None:
            self._signal_group(signal.SIGTERM)
            try:
                await asyncio.wait_for(asyncio.shield(self._process.wait()), grace_seconds)
            except TimeoutError:
                self._signal_group(signal.SIGKILL)
        return await self.wait()


def reap_orphans(pods_dir: Path) -> list[int]:
    """Kill process groups a previous kubelet left running (it died without shutdown).

    Each container run leaves `<pods_dir>/<uid>/<container>/pid`; a group is killed only if
    its leader still runs podexec, so a recycled pid of an unrelated process is left alone.
    """
    killed = []
    for pid_file in Path(pods_dir).glob(f"*/*/{PID_FILE}"):
        try:
            pid = int(pid_file.read_text().strip())
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            command = b""
            pid = 0
        if pid and MARKER.encode() in command:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
                killed.append(pid)
        pid_file.unlink(missing_ok=True)
    return killed
