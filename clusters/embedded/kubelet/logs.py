"""Where container logs live: one file per container run, as `kubectl logs` needs them.

Layout: `<state_dir>/logs/<namespace>/<pod>/<container>/<restartCount>.log`. The current run
is the highest number; `--previous` is the run before it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["current_and_previous", "log_path", "pod_log_dir", "remove_pod_logs"]


def pod_log_dir(state_dir: Path, namespace: str, pod: str) -> Path:
    """Folder holding every container's logs of one pod."""
    return Path(state_dir) / "logs" / namespace / pod


def log_path(state_dir: Path, namespace: str, pod: str, container: str, restart: int) -> Path:
    """Log file of the run of `container` started when its restartCount was `restart`."""
    return pod_log_dir(state_dir, namespace, pod) / container / f"{int(restart)}.log"


def _runs(folder: Path) -> list[int]:
    if not folder.is_dir():
        return []
    return sorted(int(path.stem) for path in folder.glob("*.log") if path.stem.isdigit())


def current_and_previous(
    state_dir: Path, namespace: str, pod: str, container: str
) -> tuple[Path | None, Path | None]:
    """(current run's log, previous run's log); None where that run never happened."""
    folder = pod_log_dir(state_dir, namespace, pod) / container
    runs = _runs(folder)
    current = folder / f"{runs[-1]}.log" if runs else None
    previous = folder / f"{runs[-2]}.log" if len(runs) >= 2 else None
    return current, previous


def remove_pod_logs(state_dir: Path, namespace: str, pod: str) -> None:
    """Delete a pod's logs (the pod is gone, so are its logs)."""
    shutil.rmtree(pod_log_dir(state_dir, namespace, pod), ignore_errors=True)
