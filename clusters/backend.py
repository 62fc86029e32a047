"""The backend seam: what every way of getting a cluster (embedded, kind, existing) provides.

`Backend` is the protocol; `BACKENDS` maps names to `module:Class` paths imported lazily, so
a backend whose module is missing or broken only fails when chosen, with a clear message.
`choose_backend` turns `--backend auto` into kind (a Docker daemon answers) or embedded.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from clusters.progress import Progress

if TYPE_CHECKING:
    from clusters.kind.docker import DockerStatus
    from clusters.runner import Runner

__all__ = [
    "BACKENDS",
    "CAPABILITIES",
    "Backend",
    "BackendChoice",
    "BackendOptions",
    "BackendStatus",
    "BackendUnavailable",
    "ClusterInfo",
    "choose_backend",
    "clear_backend_record",
    "create_backend",
    "current_backend",
    "default_state_dir",
    "load_backend",
    "read_backend_record",
    "write_backend_record",
]

BACKENDS: dict[str, str] = {
    "embedded": "clusters.embedded.backend:EmbeddedBackend",
    "kind": "clusters.kind.backend:KindBackend",
    "existing": "clusters.existing:ExistingBackend",
}

CAPABILITIES: dict[str, str] = {
    "real-controller": "runs the real Argo Rollouts controller",
    "real-pods": "pods run real containers from images",
    "time-warp": "durations (pauses, analysis intervals) can be sped up with --time-scale",
    "nodeports": "Services of type NodePort are reachable on 127.0.0.1",
    "local-images": "agent images are built and loaded locally (no registry needed)",
    "registry-images": "agent images are pulled from a registry (--image-registry)",
}


@dataclass(frozen=True)
class ClusterInfo:
    """How to reach a cluster that is up: kubeconfig file, context, lab namespace, API URL."""

    kubeconfig: Path
    context: str
    namespace: str
    backend: str
    api_url: str


@dataclass(frozen=True)
class BackendStatus:
    """A backend's answer to "is my cluster there?": state plus human-readable details."""

    backend: str
    state: str  # "running" | "stopped" | "absent" | "degraded"
    details: tuple[str, ...] = ()
    info: ClusterInfo | None = None

    def render(self) -> str:
        """A few lines for `rollout-lab status`."""
        lines = [f"backend: {self.backend}", f"state: {self.state}"]
        if self.info is not None:
            lines += [
                f"api: {self.info.api_url}",
                f"kubeconfig: {self.info.kubeconfig}",
                f"context: {self.info.context}",
                f"namespace: {self.info.namespace}",
            ]
        lines += [f"  {detail}" for detail in self.details]
        return "\n".join(lines)


@dataclass(frozen=True)
class BackendOptions:
    """Everything `rollout-lab up` collects; each backend reads the fields it understands."""

    state_dir: Path
    time_scale: float = 1.0
    namespace: str | None = None
    # kind
    cluster_name: str = "rollout-lab"
    kind_binary: str | None = None
    agent_dir: Path | None = None
    retain_on_failure: bool = False
    # existing
    context: str | None = None
    kubeconfig: Path | None = None
    learner: str | None = None
    install_rollouts: bool = False
    image_registry: str | None = None
    # shared seam: tests pass a ScriptedRunner; None means the real subprocess runner
    runner: Runner | None = field(default=None, compare=False)


@runtime_checkable
class Backend(Protocol):
    """One way of getting a cluster with Argo Rollouts and a lab namespace."""

    name: str
    capabilities: frozenset[str]

    @classmethod
    def from_options(cls, options: BackendOptions) -> Backend:
        """Build the backend from the CLI's options (unknown-to-it fields are ignored)."""
        ...

    def up(self, progress: Progress) -> ClusterInfo:
        """Bring the cluster up (idempotent: an already-running cluster is reused)."""
        ...

    def down(self) -> None:
        """Tear the cluster (or, for existing clusters, the lab namespace) down."""
        ...

    def status(self) -> BackendStatus:
        """Report whether the cluster is there and how to reach it; never raises for absence."""
        ...

    @property
    def kubeconfig(self) -> Path:
        """The kubeconfig file clients should use (never the user's ~/.kube/config edited)."""
        ...

    @property
    def context(self) -> str:
        """The kubeconfig context name."""
        ...

    @property
    def namespace(self) -> str:
        """The lab namespace learners work in."""
        ...

    def image_ref(self, version: str) -> str:
        """The image reference the cluster should run for agent `version` (v1..v5)."""
        ...

    def collect_diagnostics(self, directory: Path) -> list[Path]:
        """Write logs/events/describe output under `directory`; return the files written."""
        ...


class BackendUnavailable(Exception):
    """A backend name is unknown or its module cannot be imported."""


def load_backend(name: str, registry: Mapping[str, str] = BACKENDS) -> type[Backend]:
    """Import the backend class registered under `name`."""
    if name not in registry:
        known = ", ".join(sorted(registry))
        raise BackendUnavailable(f"unknown backend {name!r}; choose one of: {known}")
    module_name, _, attribute = registry[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise BackendUnavailable(
            f"the {name} backend is not available: cannot import {module_name} ({error})"
        ) from error
    backend_class = getattr(module, attribute, None)
    if backend_class is None:
        raise BackendUnavailable(
            f"the {name} backend is not available: {module_name} has no {attribute}"
        )
    return backend_class  # type: ignore[no-any-return]


def create_backend(
    name: str, options: BackendOptions, registry: Mapping[str, str] = BACKENDS
) -> Backend:
    """Load the backend class for `name` and build it from `options`."""
    return load_backend(name, registry).from_options(options)


@dataclass(frozen=True)
class BackendChoice:
    """Which backend `up` will use and the sentence explaining why."""

    name: str
    reason: str


def choose_backend(requested: str, docker: DockerStatus | None) -> BackendChoice:
    """Resolve `--backend`; `auto` picks kind when a Docker daemon answers, else embedded."""
    if requested != "auto":
        return BackendChoice(requested, f"--backend {requested} was requested")
    if docker is not None and docker.available:
        return BackendChoice(
            "kind",
            f"auto: {docker.reason}, so using kind (a real cluster with the real controller)",
        )
    why = docker.reason if docker is not None else "Docker was not checked"
    return BackendChoice(
        "embedded",
        f"auto: {why}, so using the embedded cluster (no Docker needed); "
        "start Docker and run `rollout-lab up --backend kind` for a real cluster",
    )


def default_state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$ROLLOUT_LAB_HOME`, else `~/.rollout-lab`."""
    env = os.environ if environ is None else environ
    configured = env.get("ROLLOUT_LAB_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".rollout-lab"


_RECORD_FILE = "backend.json"
_RECORDED_FIELDS = (
    "time_scale",
    "namespace",
    "cluster_name",
    "kind_binary",
    "agent_dir",
    "context",
    "kubeconfig",
    "learner",
    "image_registry",
)


def write_backend_record(name: str, options: BackendOptions) -> Path:
    """Remember which backend `up` used (and how) so `down`, `status` and labs find it."""
    record: dict[str, object] = {"backend": name}
    for key in _RECORDED_FIELDS:
        value = getattr(options, key)
        if value is not None:
            record[key] = str(value) if isinstance(value, Path) else value
    path = Path(options.state_dir) / _RECORD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_backend_record(state_dir: Path) -> tuple[str, BackendOptions] | None:
    """The backend name and options `up` recorded in `state_dir`, or None if nothing is up."""
    path = Path(state_dir) / _RECORD_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8")[:65536])
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("backend"), str):
        return None
    values: dict[str, object] = {k: record[k] for k in _RECORDED_FIELDS if k in record}
    for key in ("agent_dir", "kubeconfig"):
        if isinstance(values.get(key), str):
            values[key] = Path(str(values[key]))
    return record["backend"], BackendOptions(state_dir=Path(state_dir), **values)  # type: ignore[arg-type]


def current_backend(state_dir: Path, runner: Runner | None = None) -> Backend | None:
    """The backend recorded by the last `up` in `state_dir`, rebuilt, or None."""
    recorded = read_backend_record(state_dir)
    if recorded is None:
        return None
    name, options = recorded
    if runner is not None:
        options = replace(options, runner=runner)
    return create_backend(name, options)


def clear_backend_record(state_dir: Path) -> None:
    """Forget the recorded backend (after `down`)."""
    (Path(state_dir) / _RECORD_FILE).unlink(missing_ok=True)
