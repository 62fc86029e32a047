"""Install Argo Rollouts and wait until a cluster is really ready, layer by layer.

Exit codes are not readiness: `kind create --wait` exits 0 on timeout and the controller
Deployment has no readiness probe. So each layer is checked explicitly — API `/readyz`,
nodes Ready, the default ServiceAccount, CoreDNS, the CRDs Established, the controller
Deployment rolled out and, finally, the controller's leader-election Lease held.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from clusters.kind.pins import (
    ARGO_ROLLOUTS_CRDS,
    ARGO_ROLLOUTS_INSTALL_URL,
    ARGO_ROLLOUTS_NAMESPACE,
    ARGO_ROLLOUTS_VERSION,
)
from clusters.kubectl import Kubectl, wait_until
from clusters.runner import CommandError

__all__ = [
    "CONTROLLER_LEASE",
    "ensure_namespace",
    "install_argo_rollouts",
    "installed_rollouts_version",
    "wait_cluster_ready",
    "wait_controller_reconciling",
]

CONTROLLER_LEASE = "argo-rollouts-controller-lock"
_CONTROLLER = "deployment/argo-rollouts"


def ensure_namespace(kubectl: Kubectl, namespace: str, labels: dict[str, str] | None = None) -> str:
    """Create `namespace` unless it exists; returns 'created' or 'exists'."""
    if kubectl.exists("namespace", namespace):
        return "exists"
    kubectl("create", "namespace", namespace, timeout=60)
    for key, value in (labels or {}).items():
        kubectl("label", "namespace", namespace, f"{key}={value}", "--overwrite", timeout=60)
    return "created"


def installed_rollouts_version(kubectl: Kubectl) -> str | None:
    """The controller image tag running in `argo-rollouts`, or None when not installed."""
    result = kubectl(
        "-n",
        ARGO_ROLLOUTS_NAMESPACE,
        "get",
        _CONTROLLER,
        "--ignore-not-found",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].image}",
        check=False,
    )
    image = result.stdout.strip()
    if result.returncode != 0 or not image:
        return None
    return image.rpartition(":")[2] if ":" in image else "unknown"


def install_argo_rollouts(kubectl: Kubectl, manifest: str = ARGO_ROLLOUTS_INSTALL_URL) -> str:
    """Namespace first (install.yaml has none), then server-side apply of the release manifest."""
    ensure_namespace(kubectl, ARGO_ROLLOUTS_NAMESPACE)
    kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "-n",
        ARGO_ROLLOUTS_NAMESPACE,
        "-f",
        manifest,
        timeout=300,
    )
    # The release manifest pulls the controller with `Always`; once pulled, a lab cluster
    # should keep working offline (e.g. after a laptop restart), so prefer the cached image.
    patch = [
        {
            "op": "replace",
            "path": "/spec/template/spec/containers/0/imagePullPolicy",
            "value": "IfNotPresent",
        }
    ]
    kubectl(
        "-n",
        ARGO_ROLLOUTS_NAMESPACE,
        "patch",
        _CONTROLLER,
        "--type=json",
        "-p",
        json.dumps(patch),
        timeout=60,
    )
    return f"Argo Rollouts {ARGO_ROLLOUTS_VERSION} applied (server-side)"


def wait_cluster_ready(
    kubectl: Kubectl, timeout: float = 180.0, sleep: Callable[[float], None] | None = None
) -> None:
    """API, nodes, default ServiceAccount, CoreDNS — each with its own deadline."""
    pause = sleep or time.sleep

    def readyz() -> str | None:
        result = kubectl("get", "--raw", "/readyz", check=False, timeout=20)
        return "ok" if result.returncode == 0 and result.stdout.strip() == "ok" else None

    wait_until(readyz, "the API server's /readyz", timeout, sleep=pause)
    kubectl(
        "wait",
        "--for=condition=Ready",
        "node",
        "--all",
        f"--timeout={timeout:g}s",
        timeout=timeout + 30,
    )

    def default_service_account() -> str | None:
        return "ok" if kubectl.exists("-n", "default", "serviceaccount", "default") else None

    wait_until(default_service_account, "the default ServiceAccount", timeout, sleep=pause)
    kubectl(
        "-n",
        "kube-system",
        "rollout",
        "status",
        "deployment/coredns",
        f"--timeout={timeout:g}s",
        timeout=timeout + 30,
    )


def wait_controller_reconciling(
    kubectl: Kubectl, timeout: float = 180.0, sleep: Callable[[float], None] | None = None
) -> str:
    """CRDs Established, controller rolled out, and its leader Lease held by a pod."""
    pause = sleep or time.sleep
    for crd in ARGO_ROLLOUTS_CRDS:
        kubectl(
            "wait",
            "--for=condition=Established",
            f"crd/{crd}",
            f"--timeout={timeout:g}s",
            timeout=timeout + 30,
        )
    kubectl(
        "-n",
        ARGO_ROLLOUTS_NAMESPACE,
        "rollout",
        "status",
        _CONTROLLER,
        f"--timeout={timeout:g}s",
        timeout=timeout + 30,
    )

    def lease_holder() -> str | None:
        try:
            result = kubectl(
                "-n",
                ARGO_ROLLOUTS_NAMESPACE,
                "get",
                "lease",
                CONTROLLER_LEASE,
                "-o",
                "jsonpath={.spec.holderIdentity}",
                timeout=20,
            )
        except CommandError:
            return None
        return result.stdout.strip() or None

    holder = wait_until(
        lease_holder, f"the controller to hold Lease {CONTROLLER_LEASE}", timeout, sleep=pause
    )
    return f"controller leader: {holder}"
