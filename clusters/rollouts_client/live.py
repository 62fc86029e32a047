"""Reading a rollout's live state: one `get` snapshot, `get --watch`, and `status` (watch).

Polls once a second (the plugin uses informers; for a learner's view the difference is
invisible) and re-draws or prints only when what is shown changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from clusters.rollouts_client.actions import get_rollout
from clusters.rollouts_client.api import ANALYSIS_RUNS, DEPLOYMENTS, REPLICA_SETS, RolloutsApi
from clusters.rollouts_client.errors import RolloutActionError, RolloutNotFound
from clusters.rollouts_client.tree import CLEAR_SCREEN, render_rollout
from clusters.rollouts_client.view import RolloutInfo, build_rollout_info

__all__ = ["StatusOutcome", "fetch_rollout_info", "rollout_status", "watch_rollout"]

Clock = Callable[[], float]
Sleep = Callable[[float], None]


def fetch_rollout_info(api: RolloutsApi, namespace: str, name: str) -> RolloutInfo:
    """GET the rollout and list its namespace's ReplicaSets, pods and AnalysisRuns."""
    rollout = get_rollout(api, namespace, name)
    replicasets = api.list_objects(REPLICA_SETS, namespace)
    pods = api.list_pods(namespace)
    try:
        runs = api.list_objects(ANALYSIS_RUNS, namespace)
    except RolloutNotFound:  # AnalysisRun CRD not installed
        runs = []
    workload: dict[str, Any] | None = None
    ref = (rollout.get("spec") or {}).get("workloadRef")
    if isinstance(ref, dict) and ref.get("kind") == "Deployment":
        try:
            workload = api.get(DEPLOYMENTS, namespace, str(ref.get("name", "")))
        except RolloutNotFound:
            workload = None
    return build_rollout_info(rollout, replicasets, pods, runs, workload)


def watch_rollout(
    api: RolloutsApi,
    namespace: str,
    name: str,
    out: TextIO,
    *,
    timeout: float | None = None,
    color: bool = False,
    interval: float = 1.0,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
) -> None:
    """Re-draw the tree in place (clear screen + print) whenever it changes, until timeout."""
    deadline = None if not timeout else clock() + timeout
    shown = ""
    while True:
        text = render_rollout(
            fetch_rollout_info(api, namespace, name), datetime.now(UTC), color=color
        )
        if text != shown:
            out.write(CLEAR_SCREEN + text)
            out.flush()
            shown = text
        if deadline is not None and clock() >= deadline:
            return
        sleep(interval)


@dataclass(frozen=True)
class StatusOutcome:
    """How `status` ended: the last phase/message and the error text (None = success)."""

    status: str
    message: str
    error: str | None

    @property
    def exit_code(self) -> int:
        return 0 if self.error is None else 1


def _line(info: RolloutInfo) -> str:
    return f"{info.status} - {info.message}" if info.message else info.status


def rollout_status(
    api: RolloutsApi,
    namespace: str,
    name: str,
    out: TextIO,
    *,
    watch: bool = True,
    timeout: float | None = None,
    interval: float = 1.0,
    clock: Clock = time.monotonic,
    sleep: Sleep = time.sleep,
) -> StatusOutcome:
    """Print the status (and, watching, every change) until Healthy, Degraded or timeout."""
    info = fetch_rollout_info(api, namespace, name)
    if not watch:
        terminal = info.status in ("Healthy", "Degraded")
        out.write((info.status if terminal else f"{info.status} - {info.message}") + "\n")
    else:
        deadline = None if not timeout else clock() + timeout
        printed = ""
        while True:
            line = _line(info)
            if line != printed:
                out.write(line + "\n")
                out.flush()
                printed = line
            if info.status in ("Healthy", "Degraded"):
                break
            if deadline is not None and clock() >= deadline:
                break
            sleep(interval)
            try:
                info = fetch_rollout_info(api, namespace, name)
            except RolloutNotFound:
                raise
            except RolloutActionError:
                continue  # a blip while watching: keep the last state, try again
    if info.status == "Degraded":
        error = f"The rollout is in a degraded state with message: {info.message}"
    elif info.status != "Healthy" and watch:
        error = "Rollout status watch exceeded timeout"
    else:
        error = None
    return StatusOutcome(info.status, info.message, error)
