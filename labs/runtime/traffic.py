"""Start, stop and read the lab's background traffic (shared by notebooks and the CLI).

One traffic process per lab home: its pid, target and series file are kept in
`<ROLLOUT_LAB_HOME>/traffic.json`, so `rollout-lab traffic stop` ends what a notebook started
and a restarted kernel finds it still running. The series file holds per-second tallies per
agent version; `read_series` turns it into rates for the traffic view.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusters.backend import default_state_dir

__all__ = [
    "TrafficPoint",
    "TrafficProcess",
    "VersionRates",
    "read_series",
    "running_traffic",
    "start_traffic",
    "stop_traffic",
    "traffic_state_file",
]

_WORKER = "labs.runtime.traffic_worker"
# Workers started by this process. The Popen is kept (never dropped while the worker runs, which
# would make Popen.__del__ warn "still running") until the worker is seen to end: stopped here,
# or ended by another caller (the CLI, a restarted kernel) and then reaped by `_child_running`.
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
_TAIL_BYTES = 256 * 1024


def traffic_state_file(state_dir: Path | None = None) -> Path:
    return (state_dir or default_state_dir()) / "traffic.json"


@dataclass(frozen=True)
class TrafficProcess:
    """A running traffic process as recorded in the state file."""

    pid: int
    target: str
    rps: float
    series: Path
    lab: str = ""
    service: str = ""
    started_at: float = 0.0

    def describe(self) -> str:
        where = f"Service {self.service} " if self.service else ""
        return f"{self.rps:g} requests/s to {where}({self.target}), pid {self.pid}"


def _child_running(pid: int) -> bool | None:
    """None if `pid` is not a worker this process started; else whether it still runs (a worker
    that ended is reaped and forgotten, so its Popen is released with a return code)."""
    child = _CHILDREN.get(pid)
    if child is None:
        return None
    if child.poll() is None:
        return True
    del _CHILDREN[pid]
    return False


def _is_worker(pid: int, started_at: float = 0.0) -> bool:
    """True when `pid` is alive and is our traffic worker (not a recycled pid)."""
    running = _child_running(pid)
    if running is not None:
        return running
    if time.time() - started_at < 5.0:
        # Just started by another process: it may not have exec'd the worker yet.
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (macOS): trust the recorded pid
    return _WORKER.encode() in cmdline


def running_traffic(state_dir: Path | None = None) -> TrafficProcess | None:
    """The recorded traffic process if it is still running (a stale record is removed)."""
    path = traffic_state_file(state_dir)
    try:
        record = json.loads(path.read_text(encoding="utf-8")[:65536])
        process = TrafficProcess(
            pid=int(record["pid"]),
            target=str(record["target"]),
            rps=float(record["rps"]),
            series=Path(record["series"]),
            lab=str(record.get("lab", "")),
            service=str(record.get("service", "")),
            started_at=float(record.get("started_at", 0.0)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _is_worker(process.pid, process.started_at):
        path.unlink(missing_ok=True)
        return None
    return process


def start_traffic(
    target: str,
    series: Path,
    *,
    rps: float = 10.0,
    lab: str = "",
    service: str = "",
    state_dir: Path | None = None,
) -> TrafficProcess:
    """Start the traffic process (replacing one already running) and record it."""
    stop_traffic(state_dir)
    series.parent.mkdir(parents=True, exist_ok=True)
    project_root = str(Path(__file__).resolve().parent.parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (project_root, env.get("PYTHONPATH", "")) if p)
    log = series.with_suffix(".log")
    with log.open("ab") as output:
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                _WORKER,
                "--target",
                target,
                "--rps",
                f"{rps:g}",
                "--series",
                str(series),
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    _CHILDREN[child.pid] = child
    process = TrafficProcess(child.pid, target, rps, series, lab, service, time.time())
    record = {**process.__dict__, "series": str(series)}
    path = traffic_state_file(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return process


def stop_traffic(state_dir: Path | None = None, timeout: float = 10.0) -> TrafficProcess | None:
    """Stop the recorded traffic process, if any; returns what was stopped."""
    process = running_traffic(state_dir)
    if process is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _alive(process.pid):
            time.sleep(0.05)
        if _alive(process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
        child = _CHILDREN.pop(process.pid, None)
        if child is not None:
            child.wait(timeout)  # reap it: a Popen dropped while its child runs warns
    traffic_state_file(state_dir).unlink(missing_ok=True)
    return process


def _alive(pid: int) -> bool:
    running = _child_running(pid)
    if running is not None:
        return running
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie of another parent counts as gone
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True


@dataclass
class VersionRates:
    """One version's traffic in a window: requests/s, error share and P0 share."""

    requests: int = 0
    errors: int = 0
    tasks: int = 0
    urgent: int = 0
    seconds: float = 1.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def urgent_ratio(self) -> float:
        return self.urgent / self.tasks if self.tasks else 0.0

    def add(self, data: dict[str, Any]) -> None:
        for key in ("requests", "errors", "tasks", "urgent"):
            value = data.get(key)
            if isinstance(value, int):
                setattr(self, key, getattr(self, key) + value)


@dataclass
class TrafficPoint:
    """Traffic in one time bucket (`t` = bucket end, unix seconds), per version."""

    t: float
    versions: dict[str, VersionRates] = field(default_factory=dict)
    unreachable: int = 0


def read_series(
    path: Path, *, since: float | None = None, bucket: float = 2.0, now: float | None = None
) -> list[TrafficPoint]:
    """Buckets of `bucket` seconds from the series file (only its recent tail is read)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - _TAIL_BYTES))
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return []
    lines = text.splitlines()[1:] if size > _TAIL_BYTES else text.splitlines()
    points: dict[int, TrafficPoint] = {}
    for line in lines:
        try:
            entry = json.loads(line)
            t = float(entry["t"])
        except (ValueError, KeyError, TypeError):
            continue
        if since is not None and t < since:
            continue
        key = int(t // bucket)
        point = points.setdefault(key, TrafficPoint((key + 1) * bucket))
        for version, data in (entry.get("versions") or {}).items():
            if isinstance(data, dict):
                rates = point.versions.setdefault(str(version), VersionRates(seconds=bucket))
                rates.add(data)
        if isinstance(entry.get("unreachable"), int):
            point.unreachable += entry["unreachable"]
    return [points[k] for k in sorted(points)]
