"""Real `kubectl`, always with an explicit kubeconfig and context, through the one runner.

Used where the spec calls for kubectl itself: server-side apply of the Argo Rollouts release
manifest (its CRDs are too big for client-side apply) and the layered `kubectl wait` checks.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clusters.runner import DEFAULT_TIMEOUT, CommandResult, Runner, base_env

__all__ = ["Kubectl", "WaitTimeout", "find_kubectl", "wait_until"]


def find_kubectl() -> str:
    """The kubectl shipped in this Python environment, else the one on PATH, else 'kubectl'."""
    bundled = Path(sys.executable).parent / "kubectl"
    if bundled.is_file():
        return str(bundled)
    return shutil.which("kubectl") or "kubectl"


@dataclass
class Kubectl:
    """kubectl bound to one kubeconfig file and context."""

    runner: Runner
    kubeconfig: Path
    context: str
    binary: str = field(default_factory=find_kubectl)

    def argv(self, *args: str) -> list[str]:
        """The full command line for `args`."""
        return [
            self.binary,
            "--kubeconfig",
            str(self.kubeconfig),
            "--context",
            self.context,
            *args,
        ]

    def __call__(
        self,
        *args: str,
        timeout: float = DEFAULT_TIMEOUT,
        check: bool = True,
        input_text: str | None = None,
    ) -> CommandResult:
        env = base_env({"KUBECONFIG": str(self.kubeconfig)})
        return self.runner.run(
            self.argv(*args), timeout=timeout, env=env, check=check, input_text=input_text
        )

    def exists(self, *args: str) -> bool:
        """True when `kubectl get ARGS` finds the object."""
        return self("get", *args, "--ignore-not-found", "-o", "name", check=False).stdout != ""


class WaitTimeout(Exception):
    """A readiness condition did not hold before its deadline."""


def wait_until(
    check: Callable[[], str | None],
    what: str,
    timeout: float,
    *,
    interval: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> str:
    """Call `check` until it returns a non-empty string (returned) or `timeout` passes."""
    deadline = clock() + timeout
    while True:
        value = check()
        if value:
            return value
        if clock() >= deadline:
            raise WaitTimeout(f"timed out after {timeout:g}s waiting for {what}")
        sleep(interval)
