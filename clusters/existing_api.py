"""The few cluster questions the `existing` backend asks, via the official `kubernetes` client.

`ClusterApi` is the seam (tests answer it from memory); `KubernetesClusterApi` is the real
implementation on an `ApiClient` built from one kubeconfig file and context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

__all__ = ["ClusterApi", "ClusterApiError", "KubernetesClusterApi"]

_TIMEOUT = 20


class ClusterApiError(Exception):
    """The cluster could not be reached or refused a request; the message says which."""


class ClusterApi(Protocol):
    """What `ExistingBackend` needs to know about a cluster."""

    def server_version(self) -> str: ...

    def can_i(self, verb: str, resource: str, group: str = "", namespace: str = "") -> bool | None:
        """Whether the current user may do it; None when the cluster cannot say."""
        ...

    def crd_established(self, name: str) -> bool | None:
        """True/False for an Established CRD, None when it does not exist."""
        ...

    def deployment_ready(self, namespace: str, name: str) -> bool | None:
        """True when every replica is available, None when the Deployment does not exist."""
        ...

    def lease_holder(self, namespace: str, name: str) -> str | None: ...

    def namespace_exists(self, name: str) -> bool: ...

    def create_namespace(self, name: str, labels: dict[str, str]) -> None: ...

    def delete_namespace(self, name: str) -> None: ...


class KubernetesClusterApi:
    """`ClusterApi` over the official client; every call has a request timeout."""

    def __init__(self, kubeconfig: Path, context: str) -> None:
        from kubernetes import config

        try:
            self._client = config.new_client_from_config(
                config_file=str(kubeconfig), context=context
            )
        except Exception as error:  # the loader raises several types for bad files/contexts
            raise ClusterApiError(
                f"cannot use context {context!r} from {kubeconfig}: {error}"
            ) from error

    def _call(self, what: str, function, *args, **kwargs):  # type: ignore[no-untyped-def]
        from kubernetes.client.exceptions import ApiException

        try:
            return function(*args, _request_timeout=_TIMEOUT, **kwargs)
        except ApiException as error:
            if error.status == 404:
                return None
            raise ClusterApiError(f"{what}: HTTP {error.status} {error.reason}") from error
        except Exception as error:  # urllib3 connection errors and the like
            raise ClusterApiError(f"{what}: {error}") from error

    def server_version(self) -> str:
        from kubernetes import client

        info = self._call("reading the server version", client.VersionApi(self._client).get_code)
        return str(info.git_version) if info is not None else "unknown"

    def can_i(self, verb: str, resource: str, group: str = "", namespace: str = "") -> bool | None:
        from kubernetes import client

        review = client.V1SelfSubjectAccessReview(
            spec=client.V1SelfSubjectAccessReviewSpec(
                resource_attributes=client.V1ResourceAttributes(
                    verb=verb, resource=resource, group=group, namespace=namespace or None
                )
            )
        )
        api = client.AuthorizationV1Api(self._client)
        answer = self._call(
            f"asking whether you may {verb} {resource}",
            api.create_self_subject_access_review,
            review,
        )
        if answer is None or answer.status is None:  # authorization API not served
            return None
        return bool(answer.status.allowed)

    def crd_established(self, name: str) -> bool | None:
        from kubernetes import client

        api = client.ApiextensionsV1Api(self._client)
        crd = self._call(f"reading CRD {name}", api.read_custom_resource_definition, name)
        if crd is None:
            return None
        conditions = (crd.status.conditions if crd.status else None) or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    def deployment_ready(self, namespace: str, name: str) -> bool | None:
        from kubernetes import client

        api = client.AppsV1Api(self._client)
        deployment = self._call(
            f"reading deployment {namespace}/{name}",
            api.read_namespaced_deployment,
            name,
            namespace,
        )
        if deployment is None:
            return None
        wanted = deployment.spec.replicas if deployment.spec.replicas is not None else 1
        available = (deployment.status.available_replicas if deployment.status else 0) or 0
        return available >= wanted

    def lease_holder(self, namespace: str, name: str) -> str | None:
        from kubernetes import client

        api = client.CoordinationV1Api(self._client)
        lease = self._call(
            f"reading lease {namespace}/{name}", api.read_namespaced_lease, name, namespace
        )
        return (lease.spec.holder_identity or None) if lease is not None and lease.spec else None

    def namespace_exists(self, name: str) -> bool:
        from kubernetes import client

        api = client.CoreV1Api(self._client)
        return self._call(f"reading namespace {name}", api.read_namespace, name) is not None

    def create_namespace(self, name: str, labels: dict[str, str]) -> None:
        from kubernetes import client

        body = client.V1Namespace(metadata=client.V1ObjectMeta(name=name, labels=labels))
        api = client.CoreV1Api(self._client)
        self._call(f"creating namespace {name}", api.create_namespace, body)

    def delete_namespace(self, name: str) -> None:
        from kubernetes import client

        api = client.CoreV1Api(self._client)
        self._call(f"deleting namespace {name}", api.delete_namespace, name)
