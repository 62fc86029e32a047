"""A cluster snapshot: the lab namespace's objects at one instant, live or from a bundle.

Taken through the official `kubernetes` client (any backend: embedded, kind, existing), stored
as plain dicts with the API's camelCase field names, so rules read the same shape either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from checker.views import RolloutView, dig

__all__ = ["SNAPSHOT_KINDS", "Snapshot", "SnapshotError", "take_snapshot"]

SNAPSHOT_KINDS = (
    "rollouts",
    "replicasets",
    "pods",
    "services",
    "deployments",
    "analysistemplates",
    "analysisruns",
    "events",
)
_ARGO = ("argoproj.io", "v1alpha1")
_MAX_OBJECTS = 5000


class SnapshotError(Exception):
    """The snapshot could not be taken or read (cluster unreachable, CRDs missing, bad file).

    `retry=False` says waiting will not help (e.g. no kubeconfig at all), so live checks stop
    polling at once and report `error`.
    """

    def __init__(self, message: str, *, retry: bool = True) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass
class Snapshot:
    """Objects of one namespace by plural kind, plus when and from which cluster."""

    namespace: str
    objects: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    taken_at: str = ""
    backend: str = ""
    versions: dict[str, str] = field(default_factory=dict)

    def items(self, kind: str) -> list[dict[str, Any]]:
        return self.objects.get(kind, [])

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        return next((o for o in self.items(kind) if dig(o, "metadata", "name") == name), None)

    def rollout(self, name: str) -> RolloutView | None:
        obj = self.get("rollouts", name)
        return RolloutView(obj) if obj is not None else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "rollout-lab.snapshot/v1",
            "namespace": self.namespace,
            "taken_at": self.taken_at,
            "backend": self.backend,
            "versions": dict(self.versions),
            "objects": {k: list(v) for k, v in self.objects.items()},
        }

    @classmethod
    def from_dict(cls, data: Any) -> Snapshot:
        """Rebuild from `to_dict` output; SnapshotError when the shape is wrong."""
        if not isinstance(data, dict) or data.get("schema") != "rollout-lab.snapshot/v1":
            raise SnapshotError("snapshot.json is not a rollout-lab snapshot (schema field)")
        raw = data.get("objects")
        if not isinstance(raw, dict):
            raise SnapshotError("snapshot.json has no 'objects' mapping")
        objects: dict[str, list[dict[str, Any]]] = {}
        total = 0
        for kind, items in raw.items():
            if kind not in SNAPSHOT_KINDS or not isinstance(items, list):
                raise SnapshotError(f"snapshot.json: unexpected entry {str(kind)[:40]!r}")
            objects[kind] = [item for item in items if isinstance(item, dict)]
            total += len(objects[kind])
        if total > _MAX_OBJECTS:
            raise SnapshotError(f"snapshot.json holds {total} objects; the limit is {_MAX_OBJECTS}")
        versions = data.get("versions") if isinstance(data.get("versions"), dict) else {}
        return cls(
            namespace=str(data.get("namespace") or ""),
            objects=objects,
            taken_at=str(data.get("taken_at") or ""),
            backend=str(data.get("backend") or ""),
            versions={str(k): str(v) for k, v in (versions or {}).items()},
        )


def _items(api_client: Any, response: Any) -> list[dict[str, Any]]:
    data = (
        response if isinstance(response, dict) else api_client.sanitize_for_serialization(response)
    )
    items = data.get("items") if isinstance(data, dict) else None
    return [i for i in items or [] if isinstance(i, dict)]


def _controller_version(apps: Any, timeout: dict[str, Any]) -> str:
    """The Argo Rollouts controller's image tag (real controller installs), else "unknown"."""
    from kubernetes.client.exceptions import ApiException

    try:
        deployment = apps.read_namespaced_deployment("argo-rollouts", "argo-rollouts", **timeout)
        image = deployment.spec.template.spec.containers[0].image or ""
    except (ApiException, AttributeError, IndexError):
        return "unknown"
    return image.rsplit(":", 1)[-1] if ":" in image else "unknown"


def take_snapshot(
    api_client: Any,
    namespace: str,
    *,
    backend: str = "",
    rollouts_version: str = "",  # e.g. "emulated"; found from the controller image otherwise
    request_timeout: float = 10.0,
) -> Snapshot:
    """List the lab namespace's objects through the `kubernetes` client; SnapshotError if not."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    core = client.CoreV1Api(api_client)
    apps = client.AppsV1Api(api_client)
    custom = client.CustomObjectsApi(api_client)
    timeout: dict[str, Any] = {"_request_timeout": request_timeout}
    listers: dict[str, Callable[[], Any]] = {
        "pods": lambda: core.list_namespaced_pod(namespace, **timeout),
        "services": lambda: core.list_namespaced_service(namespace, **timeout),
        "events": lambda: core.list_namespaced_event(namespace, **timeout),
        "replicasets": lambda: apps.list_namespaced_replica_set(namespace, **timeout),
        "deployments": lambda: apps.list_namespaced_deployment(namespace, **timeout),
    }

    def custom_lister(plural: str) -> Callable[[], Any]:
        return lambda: custom.list_namespaced_custom_object(*_ARGO, namespace, plural, **timeout)

    for plural in ("rollouts", "analysistemplates", "analysisruns"):
        listers[plural] = custom_lister(plural)
    snapshot = Snapshot(namespace=namespace, backend=backend)
    try:
        for kind, lister in listers.items():
            snapshot.objects[kind] = _items(api_client, lister())
        snapshot.versions["kubernetes"] = str(
            client.VersionApi(api_client).get_code(**timeout).git_version
        )
    except ApiException as error:
        if error.status == 404:
            raise SnapshotError(
                "the cluster does not serve Argo Rollouts kinds (are the Rollouts CRDs installed?)"
            ) from error
        raise SnapshotError(f"the API server answered {error.status} {error.reason}") from error
    except OSError as error:
        raise SnapshotError(f"cannot reach the cluster: {error}") from error
    except Exception as error:  # urllib3 wraps connection failures in its own types
        if type(error).__module__.startswith("urllib3"):
            raise SnapshotError(f"cannot reach the cluster: {type(error).__name__}") from error
        raise
    snapshot.versions["rollouts"] = rollouts_version or _controller_version(apps, timeout)
    snapshot.taken_at = datetime.now(UTC).isoformat(timespec="seconds")
    return snapshot
