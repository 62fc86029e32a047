"""`ExistingBackend`: any cluster you can reach by kube-context, one namespace per learner.

It never creates or deletes the cluster and never edits your kubeconfig. `up` checks access,
checks that Argo Rollouts' CRDs and controller are there (or installs them with
`--install-rollouts`), and creates the lab namespace (`--learner ID` -> `student-ID`).
Agent images come from `--image-registry`, where `rollout-lab images push` put them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clusters.backend import BackendOptions, BackendStatus, ClusterInfo
from clusters.existing_api import ClusterApi, ClusterApiError, KubernetesClusterApi
from clusters.kind.images import agent_image, validate_registry
from clusters.kind.install import CONTROLLER_LEASE, install_argo_rollouts
from clusters.kind.pins import ARGO_ROLLOUTS_CRDS, ARGO_ROLLOUTS_NAMESPACE
from clusters.kubectl import Kubectl, wait_until
from clusters.progress import Progress, Step, run_steps
from clusters.runner import CommandError, Runner, SubprocessRunner

__all__ = ["ExistingBackend", "ExistingClusterError", "default_kubeconfig", "learner_namespace"]

_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LAB_LABELS = {"rollout-lab.io/lab": "true"}


class ExistingClusterError(Exception):
    """The existing cluster is not usable for the lab; the message says what to do."""


def learner_namespace(learner: str) -> str:
    """`student-<id>` for a learner id, checked to be a valid namespace name."""
    name = f"student-{learner.strip().lower()}"
    if len(name) > 63 or not _LABEL.match(name):
        raise ExistingClusterError(
            f"learner id {learner!r} does not make a valid namespace ({name!r}); use lowercase "
            "letters, digits and '-' (at most 55 characters)"
        )
    return name


def default_kubeconfig() -> Path:
    """The first file in `$KUBECONFIG`, else `~/.kube/config` (read, never written)."""
    configured = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(configured).expanduser() if configured else Path.home() / ".kube" / "config"


@dataclass
class ExistingBackend:
    """A cluster reached through `context` in `kubeconfig`; the lab lives in `lab_namespace`."""

    kube_context: str
    lab_namespace: str
    kubeconfig_path: Path = field(default_factory=default_kubeconfig)
    install_rollouts: bool = False
    image_registry: str | None = None
    runner: Runner = field(default_factory=SubprocessRunner)
    api_factory: Callable[[Path, str], ClusterApi] = KubernetesClusterApi
    wait_timeout: float = 180.0
    name: str = "existing"

    def __post_init__(self) -> None:
        if self.image_registry:
            self.image_registry = validate_registry(self.image_registry)
        self._api: ClusterApi | None = None

    @classmethod
    def from_options(cls, options: BackendOptions) -> ExistingBackend:
        """Build from `up --backend existing --context C` plus `--namespace N` or `--learner ID`."""
        if not options.context:
            raise ExistingClusterError(
                "--backend existing needs --context CTX (see `kubectl config get-contexts`)"
            )
        if options.namespace:
            namespace = options.namespace
        elif options.learner:
            namespace = learner_namespace(options.learner)
        else:
            raise ExistingClusterError(
                "--backend existing needs --namespace NS or --learner ID (-> student-ID)"
            )
        return cls(
            kube_context=options.context,
            lab_namespace=namespace,
            kubeconfig_path=options.kubeconfig or default_kubeconfig(),
            install_rollouts=options.install_rollouts,
            image_registry=options.image_registry,
            runner=options.runner or SubprocessRunner(),
        )

    @property
    def capabilities(self) -> frozenset[str]:  # type: ignore[override]
        images = "registry-images" if self.image_registry else "local-images"
        return frozenset({"real-controller", "real-pods", images})

    @property
    def kubeconfig(self) -> Path:
        return self.kubeconfig_path

    @property
    def context(self) -> str:
        return self.kube_context

    @property
    def namespace(self) -> str:
        return self.lab_namespace

    def api(self) -> ClusterApi:
        """The cluster API, built on first use."""
        if self._api is None:
            self._api = self.api_factory(self.kubeconfig_path, self.kube_context)
        return self._api

    def kubectl(self) -> Kubectl:
        return Kubectl(self.runner, self.kubeconfig_path, self.kube_context)

    def image_ref(self, version: str) -> str:
        return agent_image(version, self.image_registry)

    def _api_url(self) -> str:
        try:
            result = self.kubectl()(
                "config",
                "view",
                "--minify",
                "-o",
                "jsonpath={.clusters[0].cluster.server}",
                timeout=20,
            )
        except CommandError:
            return ""
        return result.stdout.strip()

    def info(self) -> ClusterInfo:
        return ClusterInfo(
            self.kubeconfig_path, self.kube_context, self.lab_namespace, self.name, self._api_url()
        )

    # -- up ------------------------------------------------------------------------------
    def _check_access(self) -> str:
        if not self.kubeconfig_path.is_file():
            raise ExistingClusterError(
                f"kubeconfig {self.kubeconfig_path} not found; pass --kubeconfig or set KUBECONFIG"
            )
        api = self.api()
        version = api.server_version()
        exists = api.namespace_exists(self.lab_namespace)
        if exists:
            allowed = api.can_i("create", "rollouts", "argoproj.io", self.lab_namespace)
            missing = "create Rollouts in namespace " + self.lab_namespace
        else:
            allowed = api.can_i("create", "namespaces")
            missing = f"create namespace {self.lab_namespace}"
        if allowed is None:
            return f"{self.kube_context}: Kubernetes {version} (permissions not checkable)"
        if not allowed:
            raise ExistingClusterError(
                f"context {self.kube_context!r} may not {missing}; ask the cluster admin for "
                "that permission (or for a pre-created namespace)"
            )
        return f"{self.kube_context}: Kubernetes {version}"

    def _rollouts_missing(self) -> list[str]:
        api = self.api()
        missing = [crd for crd in ARGO_ROLLOUTS_CRDS if not api.crd_established(crd)]
        if not api.deployment_ready(ARGO_ROLLOUTS_NAMESPACE, "argo-rollouts"):
            missing.append(f"controller Deployment {ARGO_ROLLOUTS_NAMESPACE}/argo-rollouts")
        return missing

    def _rollouts_in_place(self) -> str | None:
        missing = self._rollouts_missing()
        if not missing:
            return "CRDs Established and controller available"
        if not self.install_rollouts:
            raise ExistingClusterError(
                "Argo Rollouts is missing or not ready on this cluster ("
                + ", ".join(missing)
                + "); ask the cluster admin to install it, or rerun with --install-rollouts "
                "if you may install cluster-wide resources"
            )
        return None

    def _install_rollouts(self) -> str:
        detail = install_argo_rollouts(self.kubectl())
        api = self.api()

        def ready() -> str | None:
            if self._rollouts_missing():
                return None
            return api.lease_holder(ARGO_ROLLOUTS_NAMESPACE, CONTROLLER_LEASE)

        holder = wait_until(ready, "Argo Rollouts to be installed and leading", self.wait_timeout)
        return f"{detail}; controller leader {holder}"

    def _namespace_in_place(self) -> str | None:
        if self.api().namespace_exists(self.lab_namespace):
            return f"{self.lab_namespace} exists"
        return None

    def _create_namespace(self) -> str:
        self.api().create_namespace(self.lab_namespace, _LAB_LABELS)
        return self.lab_namespace

    def _images(self) -> str:
        if self.image_registry:
            return f"pods pull {self.image_ref('v1')} (… v5) from {self.image_registry}"
        return (
            f"no --image-registry: pods will use {self.image_ref('v1')}, which a remote cluster "
            "can only run if the image is already on its nodes"
        )

    def up_steps(self) -> list[Step]:
        """The ordered steps of `up` on an existing cluster."""
        return [
            Step("check access", self._check_access),
            Step("check Argo Rollouts", self._install_rollouts, done=self._rollouts_in_place),
            Step("create lab namespace", self._create_namespace, done=self._namespace_in_place),
            Step("agent images", self._images),
        ]

    def up(self, progress: Progress) -> ClusterInfo:
        run_steps(self.up_steps(), progress)
        return self.info()

    def down(self) -> None:
        """Delete the lab namespace only; the cluster and Argo Rollouts stay."""
        self.api().delete_namespace(self.lab_namespace)

    def status(self) -> BackendStatus:
        try:
            version = self.api().server_version()
            exists = self.api().namespace_exists(self.lab_namespace)
            missing = self._rollouts_missing()
        except ClusterApiError as error:
            return BackendStatus(self.name, "stopped", (f"cluster unreachable: {error}",))
        details = [
            f"Kubernetes {version}",
            "Argo Rollouts: " + ("ready" if not missing else "missing " + ", ".join(missing)),
            f"namespace {self.lab_namespace}: " + ("exists" if exists else "absent"),
        ]
        state = "running" if exists and not missing else ("degraded" if exists else "absent")
        return BackendStatus(self.name, state, tuple(details), self.info())

    def collect_diagnostics(self, directory: Path) -> list[Path]:
        """Events and descriptions from the lab namespace (no cluster-wide reads)."""
        directory.mkdir(parents=True, exist_ok=True)
        kubectl = self.kubectl()
        commands = {
            "events.txt": ("-n", self.lab_namespace, "get", "events", "--sort-by=.lastTimestamp"),
            "describe-lab.txt": ("-n", self.lab_namespace, "describe", "pods,rollouts"),
            "controller.log": (
                "-n",
                ARGO_ROLLOUTS_NAMESPACE,
                "logs",
                "deployment/argo-rollouts",
                "--tail=2000",
            ),
        }
        written = []
        for filename, args in commands.items():
            try:
                result = kubectl(*args, timeout=120)
                text = result.stdout + result.stderr
            except CommandError as error:
                text = f"# could not collect: {error}\n"
            path = directory / filename
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written
