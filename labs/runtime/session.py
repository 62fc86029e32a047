"""A learner's lab session: workspace, cluster, timeline, checks, actions, traffic — one object.

Notebooks stay thin by calling this (`lab = LabSession.open("canary-analysis")`), and the CLI
(`rollout-lab lab ...`, `rollout-lab demo`) uses the same object, so a notebook cell and a
terminal command do the same thing. Every action is recorded in the workspace's progress.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from checker import (
    GradeRequest,
    LabResult,
    Rubric,
    Snapshot,
    SnapshotError,
    Status,
    Timeline,
    TimelineError,
    TimelineRecorder,
    grade,
    load_manifest_dir,
    load_rubric,
    take_snapshot,
)
from checker.timeline import WORKDIR_TIMELINE
from labs.runtime.cluster import ClusterNotFound, KubectlResult, LabCluster
from labs.runtime.progress import ProgressStore
from labs.runtime.targets import TrafficTarget, ensure_traffic_service, service_target
from labs.runtime.traffic import TrafficProcess, running_traffic, start_traffic, stop_traffic
from labs.runtime.workspace import Workspace

__all__ = ["LabSession", "WaitTimeout"]

ATTEMPTS_FILE = "attempts.json"  # the hint ladder, shared with `rollout-lab check --dir`


class WaitTimeout(TimeoutError):
    """The rollout did not reach the awaited state in time; says what it saw last."""


@dataclass
class LabSession:
    """One lab, its workspace and (when reachable) its cluster."""

    workspace: Workspace
    rubric: Rubric
    progress: ProgressStore
    cluster: LabCluster | None = None
    cluster_problem: str = ""
    recorder: TimelineRecorder | None = field(default=None, repr=False)

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        lab_id: str,
        *,
        workspace_root: Path | None = None,
        kubeconfig: Path | str | None = None,
        time_scale: float | None = None,
        record: bool = True,
    ) -> LabSession:
        """Make the workspace from starter/, find the cluster, start recording the timeline."""
        workspace = Workspace.for_lab(lab_id, workspace_root)
        workspace.ensure()
        rubric = load_rubric(workspace.lab_dir)
        session = cls(workspace, rubric, ProgressStore(workspace.progress_dir))
        try:
            session.cluster = LabCluster.discover(kubeconfig, time_scale)
        except ClusterNotFound as problem:
            session.cluster_problem = str(problem)
        if session.cluster is not None:
            session.cluster.ensure_namespace(session.namespace)
            if record:
                session.start_recording()
        return session

    @property
    def lab_id(self) -> str:
        return self.rubric.id

    @property
    def namespace(self) -> str:
        return self.rubric.namespace

    @property
    def rollout_name(self) -> str:
        for check in self.rubric.checks:
            if isinstance(check.params.get("rollout"), str):
                return str(check.params["rollout"])
        return "agent"

    @property
    def time_scale(self) -> float:
        return self.cluster.time_scale if self.cluster else 1.0

    def require_cluster(self) -> LabCluster:
        if self.cluster is None:
            raise ClusterNotFound(self.cluster_problem or "no lab cluster")
        return self.cluster

    def start_recording(self) -> None:
        """Watch the namespace into the workspace timeline (continues an existing file)."""
        if self.recorder is not None:
            return
        cluster = self.require_cluster()
        path = self.workspace.path / WORKDIR_TIMELINE
        self.recorder = TimelineRecorder(
            self.namespace,
            api_client=cluster.api_client(),
            time_scale=cluster.time_scale,
            path=path,
        )
        self.recorder.start()

    def stop_recording(self) -> None:
        if self.recorder is not None:
            self.recorder.stop()
            self.recorder = None

    def close(self) -> None:
        """Stop recording and release the client (traffic keeps running until stopped)."""
        self.stop_recording()
        if self.cluster is not None:
            self.cluster.close()

    # -- files and kubectl ---------------------------------------------------------------------
    def kubectl(self, *args: str, input: str | None = None) -> KubectlResult:
        """kubectl in the lab namespace (`-n` added unless given)."""
        extra = () if "-n" in args or "--namespace" in args else ("-n", self.namespace)
        return self.require_cluster().kubectl(*args, *extra, input=input)

    def apply(self, *files: str | Path) -> KubectlResult:
        """`kubectl apply -f` the given workspace files (default: all of them)."""
        paths = [self.workspace.path / f for f in files] or self.workspace.manifest_files()
        args: list[str] = ["apply"]
        for path in paths:
            args += ["-f", str(path)]
        result = self.kubectl(*args)
        names = [p.name for p in paths]
        self.progress.record("apply", files=names, ok=result.ok, output=result.text()[-2000:])
        return result

    # -- checking ------------------------------------------------------------------------------
    def _attempts_path(self) -> Path:
        return self.workspace.checker_dir / ATTEMPTS_FILE

    def hint_levels(self) -> dict[str, int]:
        try:
            data = json.loads(self._attempts_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}

    def _save_hint_levels(self, levels: dict[str, int]) -> None:
        path = self._attempts_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(levels, indent=2), encoding="utf-8")

    def _snapshot(self) -> Snapshot:
        if self.cluster is None:
            raise SnapshotError(self.cluster_problem or "no lab cluster", retry=False)
        return take_snapshot(
            self.cluster.api_client(), self.namespace, backend=self.cluster.backend
        )

    def _timeline(self) -> Timeline | None:
        path = self.workspace.path / WORKDIR_TIMELINE
        try:
            return Timeline.from_jsonl(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, TimelineError):
            return None

    def check(self, *, static: bool = False, deadline: float | None = None) -> LabResult:
        """Grade the workspace (and, unless static or no cluster, the live cluster)."""
        static = static or self.cluster is None
        levels = self.hint_levels()
        request = GradeRequest(
            rubric=self.rubric,
            mode="static" if static else "cluster",
            manifests=load_manifest_dir(self.workspace.path),
            hint_levels=levels,
            environment={
                "backend": "none" if static else (self.cluster.backend if self.cluster else ""),
                "time_scale": f"{self.time_scale:g}",
            },
            source=str(self.workspace.path),
            deadline_seconds=deadline,
        )
        if not static:
            request.snapshot_source = self._snapshot
            # Read again on every poll: the recorder may write the file while checks wait.
            # No file yet means no timeline, as the engine expects from a missing source.
            request.timeline_source = cast(Callable[[], Timeline], self._timeline)
        result = grade(request)
        for check in result.checks:
            if check.status is Status.FAILED:
                levels[check.id] = levels.get(check.id, 0) + 1
        self._save_hint_levels(levels)
        self.progress.record_check(result)
        return result

    def next_hint(self, result: LabResult) -> tuple[str, str] | None:
        """Reveal one more hint for the first failing visible check: (check title, hint)."""
        levels = self.hint_levels()
        for check in result.checks:
            if check.status is not Status.FAILED or str(check.visibility) != "visible":
                continue
            spec = next((c for c in self.rubric.checks if c.id == check.id), None)
            if spec is None or not spec.hints:
                continue
            level = min(levels.get(check.id, 0) + 1, len(spec.hints))
            levels[check.id] = level
            self._save_hint_levels(levels)
            self.progress.record("hint", check=check.id, level=level)
            return check.title, f"hint {level} of {len(spec.hints)}: {spec.hints[level - 1]}"
        return None

    # -- rollout actions (the same client code as `rollout-lab rollouts` and the plugin) --------
    def rollouts_api(self) -> Any:
        from clusters.rollouts_client import RolloutsApi

        return RolloutsApi(self.require_cluster().api_client())

    def action(self, verb: str, *args: Any, **kwargs: Any) -> str:
        """Run promote/abort/retry/undo/pause/restart/set_image; returns the plugin's line."""
        from clusters import rollouts_client

        allowed = ("promote", "abort", "retry", "undo", "pause", "restart", "set_image")
        if verb not in allowed:
            raise ValueError(f"unknown action {verb!r}; one of {', '.join(allowed)}")
        function: Callable[..., Any] = getattr(rollouts_client, verb)
        result = function(self.rollouts_api(), self.namespace, self.rollout_name, *args, **kwargs)
        self.progress.record(
            "action", verb=verb, args=[str(a) for a in args], message=result.message
        )
        return str(result.message)

    def release(self, version: str) -> str:
        """Set the agent container to `rollout-lab/task-agent:<version>` (a new release)."""
        container = self.rollout()["spec"]["template"]["spec"]["containers"][0]["name"]
        return self.action("set_image", container, f"rollout-lab/task-agent:{version}")

    def rollout(self) -> dict[str, Any]:
        from clusters.rollouts_client import get_rollout

        return get_rollout(self.rollouts_api(), self.namespace, self.rollout_name)

    def wait_for(
        self,
        condition: Callable[[dict[str, Any]], bool],
        *,
        what: str,
        timeout: float = 60.0,
        interval: float = 0.25,
    ) -> dict[str, Any]:
        """Poll the Rollout until `condition(rollout)` holds (wall-clock `timeout`)."""
        from clusters.rollouts_client import RolloutNotFound

        deadline = time.monotonic() + timeout
        last: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                last = self.rollout()
            except RolloutNotFound:
                last = {}
            if last and condition(last):
                return last
            time.sleep(interval)
        status = last.get("status") or {}
        raise WaitTimeout(
            f"rollout {self.rollout_name} did not become {what} within {timeout:g}s; "
            f"last phase {status.get('phase')!r}: {status.get('message', '')}"
        )

    def wait_phase(self, *phases: str, timeout: float = 60.0, **expect: Any) -> dict[str, Any]:
        """Wait for a status phase (and e.g. `abort=True`, `currentStepIndex=1`)."""

        def reached(rollout: dict[str, Any]) -> bool:
            status = rollout.get("status") or {}
            observed = status.get("observedGeneration")
            generation = (rollout.get("metadata") or {}).get("generation")
            fresh = observed is None or str(observed) == str(generation)
            return (
                fresh
                and status.get("phase") in phases
                and all(status.get(k) == v for k, v in expect.items())
            )

        return self.wait_for(reached, what=" or ".join(phases), timeout=timeout)

    # -- traffic -------------------------------------------------------------------------------
    def traffic_series_path(self) -> Path:
        return self.workspace.progress_dir / "traffic.jsonl"

    def traffic_target(self, service: str | None = None) -> TrafficTarget:
        cluster = self.require_cluster()
        if service:
            return service_target(cluster, self.namespace, service)
        return ensure_traffic_service(cluster, self.namespace)

    def start_traffic(self, rps: float = 10.0, service: str | None = None) -> TrafficProcess:
        """Start background traffic to the lab (all versions' pods, or one Service)."""
        target = self.traffic_target(service)
        process = start_traffic(
            target.url,
            self.traffic_series_path(),
            rps=rps,
            lab=self.lab_id,
            service=target.service,
            state_dir=self._state_dir(),
        )
        self.progress.record("traffic", state="started", target=target.url, rps=rps)
        return process

    def wait_for_traffic(self, timeout: float = 20.0) -> bool:
        """Wait until the running traffic gets answers (its process takes a moment to start)."""
        from labs.runtime.traffic import read_series

        process = self.traffic()
        since = process.started_at if process else time.time()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            points = read_series(self.traffic_series_path(), since=since)
            if any(rates.requests for p in points for rates in p.versions.values()):
                return True
            time.sleep(0.25)
        return False

    def stop_traffic(self) -> TrafficProcess | None:
        stopped = stop_traffic(self._state_dir())
        if stopped is not None:
            self.progress.record("traffic", state="stopped", target=stopped.target)
        return stopped

    def traffic(self) -> TrafficProcess | None:
        return running_traffic(self._state_dir())

    def _state_dir(self) -> Path | None:
        return self.cluster.state_dir if self.cluster else None

    def probe(self, service: str, requests: int = 5) -> dict[str, int]:
        """Send a few plans to one Service (e.g. the preview) and record the probe."""
        from agent.traffic import run_traffic

        target = self.traffic_target(service)
        summary = run_traffic(target.url, rps=max(requests, 1), duration=1.0)
        versions = {v: t.requests for v, t in summary.by_version.items()}
        if self.recorder is not None:
            self.recorder.record(
                "probe",
                {"name": service, "service": service, "versions": versions, "at": time.time()},
            )
        self.progress.record("probe", service=service, versions=versions)
        return versions
