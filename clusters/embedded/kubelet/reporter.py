"""The kubelet's seam to the API server: where pod status, events and final removal go."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["PodReporter"]


class PodReporter(Protocol):
    """Implemented by the embedded server; every call is synchronous and must not block long."""

    def update_pod_status(
        self, namespace: str, name: str, uid: str, status: dict[str, Any]
    ) -> None:
        """Write this full `status` through the pod's status subresource."""

    def emit_event(self, pod: dict[str, Any], type_: str, reason: str, message: str) -> None:
        """Record an Event (type Normal/Warning) whose involvedObject is `pod`."""

    def pod_terminated(self, namespace: str, name: str, uid: str) -> None:
        """Every process of the deleted pod is gone: the API object may now be removed."""
