"""User actions on a Rollout — promote, abort, retry, pause, restart, set image, undo — sending
the same requests as `kubectl argo rollouts` v1.9.1 (subresource, patch type, body, order).

Each returns an `ActionResult` whose `message` is the line the plugin prints; failures raise
`RolloutActionError` subclasses. The CLI, the kubectl plugin and notebook buttons share these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clusters.rollouts_client.api import (
    DEPLOYMENTS,
    JSON_PATCH,
    MERGE_PATCH,
    REPLICA_SETS,
    ROLLOUTS,
    GroupResource,
    RolloutsApi,
)
from clusters.rollouts_client.errors import (
    ApiRequestFailed,
    InvalidArguments,
    RolloutNotFound,
    UpdateConflict,
)
from clusters.rollouts_client.patches import (
    check_skip_flags,
    label_selector_string,
    parse_duration,
    promote_patches,
    restart_body,
    select_undo_replicaset,
    undo_patch,
    with_image,
)

__all__ = [
    "SET_IMAGE_ATTEMPTS",
    "ActionResult",
    "abort",
    "get_rollout",
    "pause",
    "promote",
    "restart",
    "retry",
    "set_image",
    "undo",
]

SET_IMAGE_ATTEMPTS = 5
_WORKLOADS: dict[str, GroupResource] = {"Deployment": DEPLOYMENTS, "ReplicaSet": REPLICA_SETS}


@dataclass(frozen=True)
class ActionResult:
    """What an action did: the plugin's output line and the object the server returned."""

    verb: str
    namespace: str
    name: str
    message: str
    changed: bool = True
    obj: dict[str, Any] | None = None


def _explain_missing(api: RolloutsApi, namespace: str, error: RolloutNotFound) -> RolloutNotFound:
    """Keep the server's wording; add a hint when the namespace itself is missing."""
    if api.namespace_exists(namespace) is False:
        return RolloutNotFound(f'{error}\n  (namespace "{namespace}" does not exist)')
    return error


def get_rollout(api: RolloutsApi, namespace: str, name: str) -> dict[str, Any]:
    """GET the rollout; a 404 becomes `rollouts.argoproj.io "<name>" not found` (+ hint)."""
    try:
        return api.get(ROLLOUTS, namespace, name)
    except RolloutNotFound as error:
        raise _explain_missing(api, namespace, error) from error


def _status_patch(
    api: RolloutsApi, namespace: str, name: str, body: dict[str, Any]
) -> dict[str, Any] | None:
    """PATCH `/status`; None when it answered 404 (then the caller patches the main
    resource instead, like the plugin does for CRDs without the status subresource)."""
    try:
        return api.patch(ROLLOUTS, namespace, name, body, subresource="status")
    except RolloutNotFound:
        return None


def _flag_status(
    api: RolloutsApi, namespace: str, name: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A status flag patch (abort/retry), on the main resource if `/status` is missing."""
    obj = _status_patch(api, namespace, name, body)
    if obj is None:
        try:
            obj = api.patch(ROLLOUTS, namespace, name, body)
        except RolloutNotFound as error:
            raise _explain_missing(api, namespace, error) from error
    return obj


def promote(
    api: RolloutsApi,
    namespace: str,
    name: str,
    *,
    full: bool = False,
    skip_current_step: bool = False,
    skip_all_steps: bool = False,
) -> ActionResult:
    """Promote past the current pause (or step); `full` skips every remaining step.

    The skip flags are upstream's deprecated variants: they only move `currentStepIndex`.
    """
    check_skip_flags(skip_current_step, skip_all_steps)
    rollout = get_rollout(api, namespace, name)
    patches = promote_patches(
        rollout, full=full, skip_current_step=skip_current_step, skip_all_steps=skip_all_steps
    )
    spec_patch = patches.spec
    obj: dict[str, Any] | None = rollout
    if patches.status is not None:
        obj = _status_patch(api, namespace, name, patches.status)
        if obj is None:
            spec_patch = patches.unified
    if spec_patch is not None:
        obj = api.patch(ROLLOUTS, namespace, name, spec_patch)
    changed = patches.status is not None or spec_patch is not None
    verb = "fully promoted" if full else "promoted"
    return ActionResult("promote", namespace, name, f"rollout '{name}' {verb}", changed, obj)


def abort(api: RolloutsApi, namespace: str, name: str) -> ActionResult:
    """Set `status.abort: true`: traffic and replicas go back to the stable version."""
    obj = _flag_status(api, namespace, name, {"status": {"abort": True}})
    return ActionResult("abort", namespace, name, f"rollout '{name}' aborted", True, obj)


def retry(api: RolloutsApi, namespace: str, name: str) -> ActionResult:
    """Set `status.abort: false`: an aborted update starts again from the first step."""
    obj = _flag_status(api, namespace, name, {"status": {"abort": False}})
    return ActionResult("retry", namespace, name, f"rollout '{name}' retried", True, obj)


def pause(api: RolloutsApi, namespace: str, name: str) -> ActionResult:
    """Set `spec.paused: true` (manual pause; promote or `spec.paused: false` resumes)."""
    try:
        obj = api.patch(ROLLOUTS, namespace, name, {"spec": {"paused": True}})
    except RolloutNotFound as error:
        raise _explain_missing(api, namespace, error) from error
    return ActionResult("pause", namespace, name, f"rollout '{name}' paused", True, obj)


def restart(
    api: RolloutsApi,
    namespace: str,
    name: str,
    *,
    in_: str | None = None,
    now: datetime | None = None,
) -> ActionResult:
    """Set `spec.restartAt` to now (+`in_`, e.g. `10s`); the controller evicts older pods."""
    delay = parse_duration(in_, bare_seconds=True) if in_ else 0.0
    body = restart_body(now or datetime.now(UTC), delay)
    try:
        obj = api.patch(ROLLOUTS, namespace, name, body, content_type=MERGE_PATCH)
    except RolloutNotFound as error:
        raise _explain_missing(api, namespace, error) from error
    message = f"rollout '{name}' restarts in {in_ or '0s'}"
    return ActionResult("restart", namespace, name, message, True, obj)


def _set_image_once(
    api: RolloutsApi, namespace: str, name: str, container: str, image: str
) -> tuple[str, dict[str, Any]]:
    rollout = get_rollout(api, namespace, name)
    workload = (rollout.get("spec") or {}).get("workloadRef")
    if isinstance(workload, dict):
        target_name = workload.get("name")
        if not isinstance(target_name, str):
            raise InvalidArguments(f"spec.workloadRef.name is not a string: {target_name!r}")
        deployment = api.get(DEPLOYMENTS, namespace, target_name)
        updated = with_image(deployment, container, image)
        return "deployment", api.replace(DEPLOYMENTS, namespace, target_name, updated)
    updated = with_image(rollout, container, image)
    return "rollout", api.replace(ROLLOUTS, namespace, name, updated)


def set_image(
    api: RolloutsApi, namespace: str, name: str, container: str, image: str
) -> ActionResult:
    """Read, change the image of `container` (`*` = every container), PUT; retry conflicts."""
    for attempt in range(1, SET_IMAGE_ATTEMPTS + 1):
        try:
            kind, obj = _set_image_once(api, namespace, name, container, image)
        except ApiRequestFailed as error:
            if error.status == 409 and attempt < SET_IMAGE_ATTEMPTS:
                continue
            if error.status == 409:
                raise UpdateConflict(str(error)) from error
            raise
        target = (obj.get("metadata") or {}).get("name", name)
        message = f'{kind} "{target}" image updated'
        return ActionResult("set image", namespace, name, message, True, obj)
    raise AssertionError("unreachable")  # pragma: no cover


def undo(api: RolloutsApi, namespace: str, name: str, *, to_revision: int = 0) -> ActionResult:
    """Put the template of an earlier revision (default: the previous one) back in place."""
    rollout = get_rollout(api, namespace, name)
    selector = label_selector_string((rollout.get("spec") or {}).get("selector") or {})
    try:
        replicasets = api.list_objects(REPLICA_SETS, namespace, selector or None)
    except ApiRequestFailed as error:
        raise ApiRequestFailed(
            f"failed to retrieve replica sets from rollout {name}: {error}", error.status
        ) from error
    rs = select_undo_replicaset(rollout, replicasets, to_revision)
    template = (rollout.get("spec") or {}).get("template") or {}
    patch = undo_patch(template, rs)
    if patch is None:
        message = f"skipped rollback (current template already matches revision {to_revision})"
        return ActionResult("undo", namespace, name, message, False, rollout)
    workload = (rollout.get("spec") or {}).get("workloadRef")
    try:
        if isinstance(workload, dict):
            kind, target = str(workload.get("kind", "")), str(workload.get("name", ""))
            if kind == "PodTemplate":
                api.patch_pod_template(namespace, target, patch, JSON_PATCH)
            elif kind in _WORKLOADS:
                api.patch(_WORKLOADS[kind], namespace, target, patch, content_type=JSON_PATCH)
            else:
                raise InvalidArguments(f"workload of type {kind} is not supported")
            obj = rollout
        else:
            obj = api.patch(ROLLOUTS, namespace, name, patch, content_type=JSON_PATCH)
    except ApiRequestFailed as error:
        raise ApiRequestFailed(
            f"failed restoring revision {to_revision}: {error}", error.status
        ) from error
    return ActionResult("undo", namespace, name, f"rollout '{name}' undo", True, obj)
