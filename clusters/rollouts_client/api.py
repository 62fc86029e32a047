"""The API seam of the Rollout actions: plain dicts over the official `kubernetes` client.

Rollouts, AnalysisRuns, ReplicaSets and Deployments go through `CustomObjectsApi` (it takes
any `/apis/<group>` path and returns dicts, so unknown fields survive a read-modify-write);
pods through `CoreV1Api` with the raw JSON kept. Every request names its Content-Type
explicitly, so the patch type never depends on the client's defaults.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clusters.rollouts_client.errors import (
    ApiRequestFailed,
    ClusterUnreachable,
    RolloutActionError,
    RolloutNotFound,
)

__all__ = [
    "ANALYSIS_RUNS",
    "DEPLOYMENTS",
    "JSON_PATCH",
    "MERGE_PATCH",
    "REPLICA_SETS",
    "ROLLOUTS",
    "Connection",
    "GroupResource",
    "RolloutsApi",
    "connect",
]

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
_START_HINT = "start the lab cluster with `rollout-lab up` (or pass --kubeconfig/--context)"


@dataclass(frozen=True)
class GroupResource:
    """Where a namespaced resource lives under `/apis`."""

    group: str
    version: str
    plural: str


ROLLOUTS = GroupResource("argoproj.io", "v1alpha1", "rollouts")
ANALYSIS_RUNS = GroupResource("argoproj.io", "v1alpha1", "analysisruns")
REPLICA_SETS = GroupResource("apps", "v1", "replicasets")
DEPLOYMENTS = GroupResource("apps", "v1", "deployments")


def _server_message(error: Any) -> str:
    """The `message` of the Status body the server sent, else the HTTP status line."""
    body = getattr(error, "body", None)
    if body:
        try:
            decoded = json.loads(body)
        except (TypeError, ValueError):
            decoded = None
        if isinstance(decoded, dict) and isinstance(decoded.get("message"), str):
            return str(decoded["message"])
    return (
        f"the server answered HTTP {getattr(error, 'status', '?')} {getattr(error, 'reason', '')}"
    )


def _transport_reason(error: BaseException) -> str:
    """The innermost readable cause of a connection failure (`Connection refused`, ...)."""
    reason: BaseException = getattr(error, "reason", None) or error
    text = str(reason)
    # urllib3 prefixes the connection object's repr: "<...HTTPConnection object at 0x..>: ..."
    if text.startswith("<") and ">: " in text:
        text = text.split(">: ", 1)[1]
    return text


class RolloutsApi:
    """The handful of requests the actions and `get` need, against one API server."""

    def __init__(self, api_client: Any, *, timeout: float = 30.0) -> None:
        from kubernetes import client

        self._client = api_client
        self._custom = client.CustomObjectsApi(api_client)
        self._core = client.CoreV1Api(api_client)
        self._timeout = timeout

    @property
    def server(self) -> str:
        """The API server URL, for messages."""
        return str(self._client.configuration.host)

    def close(self) -> None:
        self._client.close()

    # -- plumbing ------------------------------------------------------------------------------

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one client call, turning transport and HTTP failures into our error types."""
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return function(*args, _request_timeout=self._timeout, **kwargs)
        except ApiException as error:
            message = _server_message(error)
            if error.status == 404:
                raise RolloutNotFound(message) from error
            raise ApiRequestFailed(message, int(error.status or 0), str(error.reason)) from error
        except (HTTPError, OSError) as error:
            raise ClusterUnreachable(
                f"cannot reach the Kubernetes API server at {self.server}: "
                f"{_transport_reason(error)}\n"
                f"  is the cluster running? {_START_HINT}"
            ) from error

    # -- generic /apis objects -----------------------------------------------------------------

    def get(self, resource: GroupResource, namespace: str, name: str) -> dict[str, Any]:
        return dict(
            self._call(
                self._custom.get_namespaced_custom_object,
                resource.group,
                resource.version,
                namespace,
                resource.plural,
                name,
            )
        )

    def list_objects(
        self, resource: GroupResource, namespace: str, label_selector: str | None = None
    ) -> list[dict[str, Any]]:
        options = {"label_selector": label_selector} if label_selector else {}
        answer = self._call(
            self._custom.list_namespaced_custom_object,
            resource.group,
            resource.version,
            namespace,
            resource.plural,
            **options,
        )
        return [dict(item) for item in answer.get("items") or []]

    def patch(
        self,
        resource: GroupResource,
        namespace: str,
        name: str,
        body: Any,
        *,
        content_type: str = MERGE_PATCH,
        subresource: str | None = None,
    ) -> dict[str, Any]:
        """PATCH the object (or its `/status`) with an explicit patch Content-Type."""
        function = (
            self._custom.patch_namespaced_custom_object_status
            if subresource == "status"
            else self._custom.patch_namespaced_custom_object
        )
        if subresource not in (None, "status"):
            raise ValueError(f"unsupported subresource {subresource!r}")
        return dict(
            self._call(
                function,
                resource.group,
                resource.version,
                namespace,
                resource.plural,
                name,
                body,
                _content_type=content_type,
            )
        )

    def replace(
        self, resource: GroupResource, namespace: str, name: str, body: dict[str, Any]
    ) -> dict[str, Any]:
        """PUT the whole object (optimistic concurrency through its resourceVersion)."""
        return dict(
            self._call(
                self._custom.replace_namespaced_custom_object,
                resource.group,
                resource.version,
                namespace,
                resource.plural,
                name,
                body,
                _content_type="application/json",
            )
        )

    # -- core objects --------------------------------------------------------------------------

    def list_pods(self, namespace: str) -> list[dict[str, Any]]:
        """Pods of the namespace as the server sent them (no typed model in between)."""
        response = self._call(self._core.list_namespaced_pod, namespace, _preload_content=False)
        decoded = json.loads(response.data)
        return [dict(item) for item in decoded.get("items") or []]

    def patch_pod_template(self, namespace: str, name: str, body: Any, content_type: str) -> None:
        self._call(
            self._core.patch_namespaced_pod_template,
            name,
            namespace,
            body,
            _content_type=content_type,
            _preload_content=False,
        )

    def namespace_exists(self, namespace: str) -> bool | None:
        """True/False, or None when the server would not say (e.g. forbidden)."""
        try:
            self._call(self._core.read_namespace, namespace, _preload_content=False)
        except RolloutNotFound:
            return False
        except RolloutActionError:
            return None
        return True


@dataclass
class Connection:
    """An API seam plus the namespace the kubeconfig context (or the caller) chose."""

    api: RolloutsApi
    namespace: str
    context: str | None


def connect(
    kubeconfig: str | Path | None = None,
    context: str | None = None,
    namespace: str | None = None,
) -> Connection:
    """Build the client the way kubectl would: --kubeconfig, else $KUBECONFIG, else ~/.kube/config.

    The namespace is `namespace`, else the context's namespace, else `default`.
    """
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    source = str(kubeconfig) if kubeconfig else os.environ.get("KUBECONFIG") or "~/.kube/config"
    if os.pathsep not in source and not Path(source).expanduser().is_file():
        raise ClusterUnreachable(f"kubeconfig {source} does not exist\n  {_START_HINT}")
    try:
        contexts, active = config.list_kube_config_contexts(config_file=source)
        chosen = active
        if context:
            chosen = next((c for c in contexts if c.get("name") == context), None)
            if chosen is None:
                raise ClusterUnreachable(f'context "{context}" does not exist in {source}')
        api_client = config.new_client_from_config(config_file=source, context=context)
    except ConfigException as error:
        raise ClusterUnreachable(
            f"no usable kubeconfig ({source}): {error}\n  {_START_HINT}"
        ) from error
    except OSError as error:
        raise ClusterUnreachable(
            f"cannot read kubeconfig {source}: {error}\n  {_START_HINT}"
        ) from error
    context_namespace = ((chosen or {}).get("context") or {}).get("namespace")
    return Connection(
        api=RolloutsApi(api_client),
        namespace=namespace or context_namespace or "default",
        context=(chosen or {}).get("name"),
    )
