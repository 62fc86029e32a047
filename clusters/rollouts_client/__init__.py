"""Client-side Rollout operations that work on every backend (embedded, kind, existing).

The same requests as `kubectl argo rollouts` v1.9.1 — promote, abort, retry, pause, restart,
set image, undo — plus the structured `get rollout` view and `status`, over the official
`kubernetes` client. Used by `rollout-lab rollouts`, the bundled kubectl plugin and the
notebook widgets:

    conn = connect(kubeconfig, namespace="rollout-lab")
    print(promote(conn.api, conn.namespace, "agent").message)   # rollout 'agent' promoted
    print(render_rollout(fetch_rollout_info(conn.api, conn.namespace, "agent"), now))
"""

from __future__ import annotations

from clusters.rollouts_client.actions import (
    ActionResult,
    abort,
    get_rollout,
    pause,
    promote,
    restart,
    retry,
    set_image,
    undo,
)
from clusters.rollouts_client.api import Connection, RolloutsApi, connect
from clusters.rollouts_client.errors import (
    ApiRequestFailed,
    ClusterUnreachable,
    InvalidArguments,
    RolloutActionError,
    RolloutNotFound,
    UpdateConflict,
)
from clusters.rollouts_client.live import (
    StatusOutcome,
    fetch_rollout_info,
    rollout_status,
    watch_rollout,
)
from clusters.rollouts_client.patches import parse_duration
from clusters.rollouts_client.tree import render_rollout
from clusters.rollouts_client.view import RolloutInfo, build_rollout_info

__all__ = [
    "UPSTREAM_VERSION",
    "ActionResult",
    "ApiRequestFailed",
    "ClusterUnreachable",
    "Connection",
    "InvalidArguments",
    "RolloutActionError",
    "RolloutInfo",
    "RolloutNotFound",
    "RolloutsApi",
    "StatusOutcome",
    "UpdateConflict",
    "abort",
    "build_rollout_info",
    "connect",
    "fetch_rollout_info",
    "get_rollout",
    "parse_duration",
    "pause",
    "promote",
    "render_rollout",
    "restart",
    "retry",
    "rollout_status",
    "set_image",
    "undo",
    "watch_rollout",
]

# The kubectl-argo-rollouts release whose requests and output these functions mirror.
UPSTREAM_VERSION = "v1.9.1"
