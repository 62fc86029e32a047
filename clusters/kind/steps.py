"""The kind backend's `up`, as ordered named steps, each with its own cleanup.

preflight -> get kind -> create cluster -> install Argo Rollouts -> build and load agent
images -> create lab namespace -> wait ready. Steps whose work is already in place skip
themselves, so running `up` again is safe and fast.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from clusters.kind.config import CONFIG_HASH_LABEL, config_hash, render_cluster_config
from clusters.kind.docker import probe_docker
from clusters.kind.download import ensure_kind, parse_kind_version
from clusters.kind.images import build_agent_image, load_image
from clusters.kind.install import (
    ensure_namespace,
    install_argo_rollouts,
    installed_rollouts_version,
    wait_cluster_ready,
    wait_controller_reconciling,
)
from clusters.kind.pins import AGENT_VERSIONS, ARGO_ROLLOUTS_VERSION
from clusters.progress import Progress, Step
from clusters.runner import Runner

if TYPE_CHECKING:
    from clusters.kind.backend import KindBackend

__all__ = ["STEP_NAMES", "ClusterMismatch", "PreflightError", "kind_up_steps"]

STEP_NAMES = (
    "preflight",
    "get kind",
    "create cluster",
    "install Argo Rollouts",
    "build and load agent images",
    "create lab namespace",
    "wait ready",
)
_CREATE_WAIT = "120s"
_LAB_LABEL = {"rollout-lab.io/lab": "true"}


class PreflightError(Exception):
    """The machine cannot run kind right now; the message carries the fix."""


class ClusterMismatch(Exception):
    """A cluster with the lab's name exists but was made from a different config."""


def kind_up_steps(
    backend: KindBackend, progress: Progress, *, ready_timeout: float = 180.0
) -> list[Step]:
    """Build the step list for `backend`; the steps share the backend's runner and paths."""
    runner = backend.runner
    kubectl = backend.kubectl()
    document = backend.config()
    wanted_hash = config_hash(document)

    def node_containers() -> str:
        result = runner.run(
            [
                backend.docker,
                "ps",
                "-a",
                "-q",
                "--filter",
                f"label=io.x-k8s.kind.cluster={backend.cluster_name}",
            ],
            timeout=30,
            check=False,
        )
        return result.stdout.strip()

    def preflight() -> str:
        docker = probe_docker(runner, backend.docker)
        if not docker.available:
            raise PreflightError(f"{docker.reason}. Fix: {docker.fix}")
        if docker.rootless and docker.cgroup_version == "1":
            raise PreflightError(
                "rootless Docker on cgroup v1 cannot run kind. Fix: enable "
                "cgroup v2 (systemd.unified_cgroup_hierarchy=1)"
            )
        if node_containers():
            return f"{docker.reason}; cluster {backend.cluster_name!r} exists, ports are its own"
        taken = [
            m.host_port
            for m in backend.ports
            if not backend.port_is_free(m.listen_address, m.host_port)
        ]
        if taken:
            raise PreflightError(
                f"host port(s) {', '.join(map(str, taken))} on 127.0.0.1 are in use. Fix: stop "
                "what listens there (`ss -ltnp`), then run `rollout-lab up` again"
            )
        return docker.reason

    def get_kind() -> str:
        if backend.kind_binary:
            result = runner.run([backend.kind_binary, "version"], timeout=20)
            version = parse_kind_version(result.stdout + result.stderr) or "unknown version"
            return f"{backend.kind_binary} ({version}, given explicitly)"
        binary = ensure_kind(backend.cache_dir, runner)
        backend.kind_binary = str(binary.path)
        return f"kind {binary.version} from {binary.source} ({binary.path})"

    def export_kubeconfig() -> None:
        backend.cluster_dir.mkdir(parents=True, exist_ok=True)
        runner.run(
            [
                backend.kind(),
                "export",
                "kubeconfig",
                "--name",
                backend.cluster_name,
                "--kubeconfig",
                str(backend.kubeconfig),
            ],
            timeout=60,
        )

    def cluster_in_place() -> str | None:
        if not backend.cluster_exists():
            return None
        export_kubeconfig()
        result = kubectl(
            "get",
            "nodes",
            "-o",
            "jsonpath={.items[0].metadata.labels." + CONFIG_HASH_LABEL.replace(".", "\\.") + "}",
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise ClusterMismatch(
                f"kind cluster {backend.cluster_name!r} exists but its API server does not "
                "answer (was Docker restarted?). Fix: `docker start "
                f"{backend.cluster_name}-control-plane`, or `rollout-lab down` then `up`"
            )
        found = result.stdout.strip()
        if found != wanted_hash:
            raise ClusterMismatch(
                f"kind cluster {backend.cluster_name!r} exists but was created from a different "
                f"config (hash {found or 'none'}, want {wanted_hash}). Fix: `rollout-lab down` "
                "then `rollout-lab up` (or choose another --cluster-name)"
            )
        return f"cluster {backend.cluster_name!r} exists with the same config"

    def create_cluster() -> str:
        backend.cluster_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            backend.kind(),
            "create",
            "cluster",
            "--name",
            backend.cluster_name,
            "--config",
            "-",
            "--kubeconfig",
            str(backend.kubeconfig),
            "--wait",
            _CREATE_WAIT,
        ]
        if backend.retain_on_failure:
            argv.append("--retain")
        runner.run(argv, input_text=render_cluster_config(document), timeout=1200)
        return f"context {backend.context}, kubeconfig {backend.kubeconfig}"

    def delete_cluster() -> None:
        if backend.retain_on_failure:
            progress.note(
                f"kept the failed cluster for diagnosis (--retain): "
                f"`kind export logs --name {backend.cluster_name}`"
            )
            return
        runner.run(
            [
                backend.kind(),
                "delete",
                "cluster",
                "--name",
                backend.cluster_name,
                "--kubeconfig",
                str(backend.kubeconfig),
            ],
            timeout=300,
        )

    def rollouts_in_place() -> str | None:
        version = installed_rollouts_version(kubectl)
        return f"{version} already installed" if version == ARGO_ROLLOUTS_VERSION else None

    def images() -> str:
        methods = set()
        workdir = backend.cache_dir / "image-archives"
        arch = _node_arch(runner, backend.docker)
        for version in AGENT_VERSIONS:
            tag = build_agent_image(runner, version, backend.agent_dir, backend.docker)
            methods.add(
                load_image(
                    runner,
                    tag,
                    backend.cluster_name,
                    workdir,
                    kind=backend.kind(),
                    docker=backend.docker,
                    arch=arch,
                )
            )
            progress.note(f"{tag} built and loaded")
        return f"{len(AGENT_VERSIONS)} images loaded via {', '.join(sorted(methods))}"

    def namespace_in_place() -> str | None:
        return (
            f"{backend.namespace} exists"
            if kubectl.exists("namespace", backend.namespace)
            else None
        )

    def create_namespace() -> str:
        ensure_namespace(kubectl, backend.namespace, _LAB_LABEL)
        return backend.namespace

    def wait_ready() -> str:
        wait_cluster_ready(kubectl, ready_timeout)
        return wait_controller_reconciling(kubectl, ready_timeout)

    def diagnostics_on_timeout() -> None:
        directory = backend.state_dir / "diagnostics" / time.strftime("%Y%m%d-%H%M%S")
        backend.collect_diagnostics(directory)
        progress.note(f"diagnostics written to {directory}")

    return [
        Step("preflight", preflight),
        Step("get kind", get_kind),
        Step("create cluster", create_cluster, cleanup=delete_cluster, done=cluster_in_place),
        Step(
            "install Argo Rollouts", lambda: install_argo_rollouts(kubectl), done=rollouts_in_place
        ),
        Step("build and load agent images", images),
        Step("create lab namespace", create_namespace, done=namespace_in_place),
        Step("wait ready", wait_ready, cleanup=diagnostics_on_timeout),
    ]


def _node_arch(runner: Runner, docker: str) -> str:
    """Docker's architecture as a Go arch name (what `--platform linux/<arch>` wants)."""
    status = probe_docker(runner, docker)
    arch = status.architecture.lower()
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(arch, arch or "amd64")
