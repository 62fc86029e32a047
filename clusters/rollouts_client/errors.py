"""Typed failures of the client-side Rollout actions, each with a message a learner can act on.

The first line of every message matches what `kubectl argo rollouts` prints for the same
failure (e.g. `rollouts.argoproj.io "agent" not found`); hints follow on later lines.
"""

from __future__ import annotations

__all__ = [
    "ApiRequestFailed",
    "ClusterUnreachable",
    "InvalidArguments",
    "RolloutActionError",
    "RolloutNotFound",
    "UpdateConflict",
]


class RolloutActionError(Exception):
    """Base class: the action could not be carried out; `str(error)` says why."""

    exit_code = 1


class RolloutNotFound(RolloutActionError):
    """The rollout (or its namespace) does not exist."""


class ClusterUnreachable(RolloutActionError):
    """No API server answered (or no kubeconfig): nothing was sent."""


class UpdateConflict(RolloutActionError):
    """The object changed between read and write more often than we retry."""


class ApiRequestFailed(RolloutActionError):
    """The API server refused a request; carries the HTTP status and the server's message."""

    def __init__(self, message: str, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class InvalidArguments(RolloutActionError):
    """The request cannot be built from what was asked (unknown container, revision, flag)."""
