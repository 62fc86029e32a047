"""`KindBackend`: a local kind cluster with the real Argo Rollouts controller.

`up` is an ordered list of named steps (see `steps.py`); this module holds the backend's
state (names, paths, tools) and the non-setup operations: status, down, diagnostics.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from clusters.backend import BackendOptions, BackendStatus, ClusterInfo
from clusters.doctor import port_is_free
from clusters.kind.config import DEFAULT_NODE_PORTS, PortMapping, cluster_config
from clusters.kind.docker import probe_docker
from clusters.kind.download import ChecksumError, KindUnavailable, kind_asset, verify_checksum
from clusters.kind.images import agent_image, default_agent_dir
from clusters.kind.pins import ARGO_ROLLOUTS_NAMESPACE, KIND_CHECKSUMS, KIND_VERSION
from clusters.kubectl import Kubectl
from clusters.progress import Progress, run_steps
from clusters.runner import CommandError, Runner, SubprocessRunner

__all__ = ["DEFAULT_LAB_NAMESPACE", "KindBackend"]

DEFAULT_LAB_NAMESPACE = "rollout-lab"
_MAX_KUBECONFIG_BYTES = 1 << 20


def _asset_or_none() -> str | None:
    try:
        return kind_asset()
    except KindUnavailable:
        return None


@dataclass
class KindBackend:
    """kind cluster `cluster_name`, kubeconfig kept in the lab's state dir."""

    state_dir: Path
    cluster_name: str = "rollout-lab"
    lab_namespace: str = DEFAULT_LAB_NAMESPACE
    agent_dir: Path = field(default_factory=default_agent_dir)
    ports: tuple[PortMapping, ...] = tuple(PortMapping(p, p) for p in DEFAULT_NODE_PORTS)
    kind_binary: str | None = None
    retain_on_failure: bool = False
    ready_timeout: float = 180.0
    runner: Runner = field(default_factory=SubprocessRunner)
    docker: str = "docker"
    port_is_free: Callable[[str, int], bool] = port_is_free
    which: Callable[[str], str | None] = shutil.which
    name: str = "kind"
    capabilities: frozenset[str] = frozenset(
        {"real-controller", "real-pods", "nodeports", "local-images"}
    )

    @classmethod
    def from_options(cls, options: BackendOptions) -> KindBackend:
        """Build from `rollout-lab up` options."""
        return cls(
            state_dir=Path(options.state_dir),
            cluster_name=options.cluster_name,
            lab_namespace=options.namespace or DEFAULT_LAB_NAMESPACE,
            agent_dir=options.agent_dir or default_agent_dir(),
            kind_binary=options.kind_binary,
            retain_on_failure=options.retain_on_failure,
            runner=options.runner or SubprocessRunner(),
        )

    # -- where things live -------------------------------------------------------------
    @property
    def cluster_dir(self) -> Path:
        return self.state_dir / "kind" / self.cluster_name

    @property
    def cache_dir(self) -> Path:
        return self.state_dir / "cache"

    @property
    def kubeconfig(self) -> Path:
        return self.cluster_dir / "kubeconfig"

    @property
    def context(self) -> str:
        return f"kind-{self.cluster_name}"

    @property
    def namespace(self) -> str:
        return self.lab_namespace

    def kubectl(self) -> Kubectl:
        """kubectl bound to this cluster's kubeconfig and context."""
        return Kubectl(self.runner, self.kubeconfig, self.context)

    def kind(self) -> str:
        """The kind binary: given explicitly or chosen by 'get kind', else the verified cached
        pinned binary (so `status`/`down` in a new process use what `up` downloaded), else PATH.
        """
        if self.kind_binary:
            return self.kind_binary
        cached = self.cache_dir / f"kind-{KIND_VERSION}"
        expected = KIND_CHECKSUMS.get(_asset_or_none() or "")
        if expected and cached.is_file():
            try:
                verify_checksum(cached, expected)
            except ChecksumError:
                return "kind"
            return str(cached)
        return "kind"

    def config(self) -> dict[str, object]:
        """The generated, validated kind cluster config."""
        return cluster_config(self.cluster_name, self.ports)

    # -- protocol ------------------------------------------------------------------------
    def image_ref(self, version: str) -> str:
        return agent_image(version)

    def up(self, progress: Progress) -> ClusterInfo:
        from clusters.kind.steps import kind_up_steps

        run_steps(kind_up_steps(self, progress, ready_timeout=self.ready_timeout), progress)
        return self.info()

    def info(self) -> ClusterInfo:
        """How to reach the cluster, read from the kubeconfig kind wrote."""
        return ClusterInfo(
            kubeconfig=self.kubeconfig,
            context=self.context,
            namespace=self.namespace,
            backend=self.name,
            api_url=self.api_url(),
        )

    def api_url(self) -> str:
        """The API server URL for this context in the lab kubeconfig ('' if unknown)."""
        if not self.kubeconfig.is_file():
            return ""
        text = self.kubeconfig.read_text(encoding="utf-8")[:_MAX_KUBECONFIG_BYTES]
        document = yaml.safe_load(text) or {}
        cluster_name = next(
            (
                entry.get("context", {}).get("cluster")
                for entry in document.get("contexts") or []
                if entry.get("name") == self.context
            ),
            None,
        )
        for entry in document.get("clusters") or []:
            if entry.get("name") == cluster_name:
                return str(entry.get("cluster", {}).get("server", ""))
        return ""

    def cluster_exists(self) -> bool:
        """`kind get clusters` lists this cluster (raises CommandError if Docker is down)."""
        result = self.runner.run([self.kind(), "get", "clusters"], timeout=60)
        return self.cluster_name in result.stdout.split()

    def down(self) -> None:
        """Delete the cluster (kind treats a missing cluster as success) and our kubeconfig."""
        binary = self.kind()
        if binary == "kind" and self.which("kind") is None:
            # No kind anywhere: `up` never got as far as creating a cluster.
            self.kubeconfig.unlink(missing_ok=True)
            return
        self.runner.run(
            [
                binary,
                "delete",
                "cluster",
                "--name",
                self.cluster_name,
                "--kubeconfig",
                str(self.kubeconfig),
            ],
            timeout=300,
        )
        self.kubeconfig.unlink(missing_ok=True)

    def status(self) -> BackendStatus:
        docker = probe_docker(self.runner, self.docker)
        if not docker.available:
            return BackendStatus(self.name, "stopped", (docker.reason, f"fix: {docker.fix}"))
        try:
            exists = self.cluster_exists()
        except CommandError as error:
            return BackendStatus(self.name, "degraded", (f"kind get clusters failed: {error}",))
        if not exists:
            return BackendStatus(
                self.name, "absent", (f"no kind cluster {self.cluster_name!r}; run `up`",)
            )
        kubectl = self.kubectl()
        ready = kubectl("get", "--raw", "/readyz", check=False, timeout=20)
        from clusters.kind.install import installed_rollouts_version

        ports = ", ".join(f"{m.listen_address}:{m.host_port}->{m.node_port}" for m in self.ports)
        details = [
            "API /readyz: " + ("ok" if ready.returncode == 0 else "not ready"),
            f"Argo Rollouts: {installed_rollouts_version(kubectl) or 'not installed'}",
            f"NodePorts: {ports}",
        ]
        state = "running" if ready.returncode == 0 else "degraded"
        return BackendStatus(self.name, state, tuple(details), self.info())

    def collect_diagnostics(self, directory: Path) -> list[Path]:
        """Events, pod descriptions, controller logs and `kind export logs` under `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        kubectl = self.kubectl()
        commands = {
            "events.txt": kubectl.argv(
                "get", "events", "--all-namespaces", "--sort-by=.lastTimestamp"
            ),
            "pods.txt": kubectl.argv("get", "pods", "--all-namespaces", "-o", "wide"),
            "describe-lab.txt": kubectl.argv("-n", self.namespace, "describe", "pods,rollouts"),
            "controller.log": kubectl.argv(
                "-n", ARGO_ROLLOUTS_NAMESPACE, "logs", "deployment/argo-rollouts", "--tail=2000"
            ),
            "kind-export-logs.txt": [
                self.kind(),
                "export",
                "logs",
                str(directory / "kind-logs"),
                "--name",
                self.cluster_name,
            ],
        }
        written = []
        for filename, argv in commands.items():
            path = directory / filename
            try:
                result = self.runner.run(argv, timeout=120)
                text = result.stdout + result.stderr
            except CommandError as error:
                text = f"# could not collect: {error}\n"
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written
