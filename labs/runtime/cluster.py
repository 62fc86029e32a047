"""How a lab reaches its cluster: kubeconfig, time scale, kubectl and the Python client.

Found the way a learner expects: `$KUBECONFIG` (JupyterLab started by `make lab` sets it),
else the cluster the last `rollout-lab up` recorded. kubectl is the venv's, run with an argv
list and the lab's kubeconfig, exactly as a learner would type it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusters.backend import current_backend, default_state_dir, read_backend_record

__all__ = ["ClusterNotFound", "KubectlResult", "LabCluster", "kubectl_binary"]


class ClusterNotFound(RuntimeError):
    """No kubeconfig to use; the message says how to start the lab cluster."""


@dataclass(frozen=True)
class KubectlResult:
    """One kubectl run: argv (without the kubeconfig flag), exit code and output."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def text(self) -> str:
        """What kubectl printed, stdout then stderr."""
        return (self.stdout + self.stderr).rstrip()


def kubectl_binary() -> str:
    """kubectl next to this interpreter (the venv's), else the one on PATH."""
    found = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which(
        "kubectl"
    )
    if found is None:
        raise ClusterNotFound("kubectl is not installed; run `make lab` to set up the venv")
    return found


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


@dataclass
class LabCluster:
    """The cluster a lab runs on: its kubeconfig, backend name and time scale."""

    kubeconfig: Path
    backend: str = "unknown"
    time_scale: float = 1.0
    state_dir: Path | None = None
    _api_client: Any = field(default=None, repr=False)

    @classmethod
    def discover(
        cls, kubeconfig: Path | str | None = None, time_scale: float | None = None
    ) -> LabCluster:
        """`kubeconfig` / `$KUBECONFIG`, else the recorded `rollout-lab up`; scale likewise."""
        state_dir = default_state_dir()
        recorded = read_backend_record(state_dir)
        backend_name = recorded[0] if recorded else "unknown"
        path: Path | None = Path(kubeconfig) if kubeconfig else None
        if path is None and os.environ.get("KUBECONFIG"):
            path = Path(os.environ["KUBECONFIG"].split(os.pathsep)[0])
        if path is None and recorded is not None:
            backend = current_backend(state_dir)
            path = backend.kubeconfig if backend is not None else None
        if path is None or not path.is_file():
            raise ClusterNotFound(
                "no lab cluster found: start it with `make lab` (or `rollout-lab up`), "
                "or set KUBECONFIG"
            )
        scale = time_scale or _float(os.environ.get("ROLLOUT_LAB_TIME_SCALE"))
        if scale is None:
            scale = cls._scale_file(path)
        if scale is None and recorded is not None:
            scale = _float(recorded[1].time_scale)
        if backend_name == "unknown" and (path.parent / "store.db").exists():
            backend_name = "embedded"  # the embedded server keeps its store beside its kubeconfig
        return cls(path, backend_name, scale or 1.0, state_dir)

    @staticmethod
    def _scale_file(kubeconfig: Path) -> float | None:
        """The embedded backend writes its scale next to its kubeconfig."""
        try:
            return _float((kubeconfig.parent / "time-scale").read_text().strip())
        except OSError:
            return None

    def kubectl(self, *args: str, input: str | None = None, timeout: float = 60) -> KubectlResult:
        """Run `kubectl --kubeconfig <lab> ARGS...`; never raises for a non-zero exit."""
        command = [kubectl_binary(), "--kubeconfig", str(self.kubeconfig), *args]
        try:
            done = subprocess.run(
                command,
                input=input,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return KubectlResult(tuple(args), 124, "", f"kubectl timed out after {timeout:g}s\n")
        return KubectlResult(tuple(args), done.returncode, done.stdout, done.stderr)

    def api_client(self) -> Any:
        """A `kubernetes` ApiClient for this kubeconfig (made once, reused)."""
        if self._api_client is None:
            from kubernetes import config

            self._api_client = config.new_client_from_config(config_file=str(self.kubeconfig))
        return self._api_client

    def ensure_namespace(self, namespace: str) -> bool:
        """Create the lab namespace when missing; True when it was created."""
        from kubernetes import client

        core = client.CoreV1Api(self.api_client())
        try:
            core.read_namespace(namespace)
            return False
        except client.ApiException as error:
            if error.status != 404:
                raise
        try:
            core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
        except client.ApiException as error:
            if error.status != 409:
                raise
            return False
        return True

    def lab_seconds(self, wall_seconds: float) -> float:
        """Wall-clock seconds as lab time (a 5-minute pause is 300 lab seconds)."""
        return wall_seconds * self.time_scale

    def wall_seconds(self, lab_seconds: float) -> float:
        """Lab seconds as wall-clock seconds at this cluster's time scale."""
        return lab_seconds / self.time_scale

    def close(self) -> None:
        if self._api_client is not None:
            self._api_client.close()
            self._api_client = None
