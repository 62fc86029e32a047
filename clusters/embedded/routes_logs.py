"""`GET /api/v1/namespaces/{ns}/pods/{name}/log`: container logs from the process kubelet.

Logs are files the kubelet writes (see `kubelet/logs.py`). The files carry raw process output
without per-line times, so `timestamps` and `sinceSeconds` use the file's modification time
for lines already written and the arrival time for lines streamed with `follow`.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from clusters.embedded.api_messages import ApiRequest, ApiResponse, ServerContext, StreamResponse
from clusters.embedded.clock import parse_timestamp
from clusters.embedded.kubelet.logs import current_and_previous
from clusters.embedded.negotiation import parse_bool
from clusters.embedded.routing import ResourceRoute
from clusters.embedded.status import ApiError, bad_request

__all__ = ["pod_log"]

_POLL_SECONDS = 0.2
_STATUS_EVERY = 5  # polls between pod status checks while following
_TEXT = "text/plain"


def _int_param(request: ApiRequest, name: str) -> int | None:
    text = request.param(name)
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise bad_request(f'invalid {name} "{text}": must be an integer') from None
    if value < 0 or (value == 0 and name != "tailLines"):
        raise bad_request(f'invalid {name} "{text}": must be greater than 0')
    return value


def _since(request: ApiRequest) -> datetime | None:
    """The cut-off instant from `sinceSeconds` or `sinceTime` (RFC 3339)."""
    seconds = _int_param(request, "sinceSeconds")
    text = request.param("sinceTime")
    if seconds is not None and text:
        raise bad_request("at most one of sinceTime or sinceSeconds may be specified")
    if seconds is not None:
        return datetime.now(UTC) - timedelta(seconds=seconds)
    if not text:
        return None
    try:
        moment = parse_timestamp(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise bad_request(f'invalid sinceTime "{text}": must be an RFC 3339 timestamp')
    return moment


def _containers(pod: dict[str, Any]) -> list[str]:
    spec = pod.get("spec") or {}
    names = []
    for key in ("initContainers", "containers"):
        names += [c.get("name", "") for c in spec.get(key) or [] if isinstance(c, dict)]
    return names


def _pick_container(pod: dict[str, Any], name: str, requested: str) -> str:
    regular = [c.get("name", "") for c in (pod.get("spec") or {}).get("containers") or []]
    if requested:
        if requested not in _containers(pod):
            raise bad_request(f"container {requested} is not valid for pod {name}")
        return requested
    default = ((pod.get("metadata") or {}).get("annotations") or {}).get(
        "kubectl.kubernetes.io/default-container"
    )
    if default in regular:
        return str(default)
    if len(regular) == 1:
        return regular[0]
    raise bad_request(
        f"a container name must be specified for pod {name}, choose one of: [{' '.join(regular)}]"
    )


def _container_status(pod: dict[str, Any], container: str) -> dict[str, Any]:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses"):
        for entry in status.get(key) or []:
            if isinstance(entry, dict) and entry.get("name") == container:
                return entry
    return {}


def _stamp(moment: datetime) -> bytes:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z ").encode("ascii")


def _with_timestamps(data: bytes, moment: datetime) -> bytes:
    prefix = _stamp(moment)
    lines = data.splitlines(keepends=True)
    return b"".join(prefix + line for line in lines)


def _tail(data: bytes, lines: int | None) -> bytes:
    if lines is None:
        return data
    if lines == 0:
        return b""
    return b"".join(data.splitlines(keepends=True)[-lines:])


def _log_file(
    context: ServerContext,
    route: ResourceRoute,
    pod: dict[str, Any],
    container: str,
    previous: bool,
) -> Path:
    if context.state_dir is None:
        raise bad_request("this server has no state directory, so it keeps no container logs")
    current, before = current_and_previous(
        context.state_dir, route.namespace or "", route.name, container
    )
    if previous:
        if before is None:
            raise bad_request(
                f'previous terminated container "{container}" in pod "{route.name}" not found'
            )
        return before
    if current is None:
        state = _container_status(pod, container).get("state") or {}
        reason = (state.get("waiting") or {}).get("reason") or "ContainerCreating"
        raise bad_request(
            f'container "{container}" in pod "{route.name}" is waiting to start: {reason}'
        )
    return current


def pod_log(
    context: ServerContext, request: ApiRequest, route: ResourceRoute
) -> ApiResponse | StreamResponse:
    pods = route.resource
    pod = context.store.get(pods, route.namespace, route.name)
    container = _pick_container(pod, route.name, request.param("container"))
    previous = parse_bool(request.param("previous"))
    follow = parse_bool(request.param("follow")) and not previous
    timestamps = parse_bool(request.param("timestamps"))
    tail_lines = _int_param(request, "tailLines")
    limit_bytes = _int_param(request, "limitBytes")
    since = _since(request)
    path = _log_file(context, route, pod, container, previous)
    try:
        data = path.read_bytes()
        modified = datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    except OSError:
        data, modified = b"", datetime.now(UTC)
    offset = len(data)
    if since is not None and modified < since:
        data = b""  # nothing in this file was written after the cut-off
    data = _tail(data, tail_lines)
    if timestamps:
        data = _with_timestamps(data, modified)
    if limit_bytes is not None:
        data = data[:limit_bytes]
    if not follow:
        return ApiResponse(200, data, _TEXT)
    budget = None if limit_bytes is None else limit_bytes - len(data)
    chunks = _follow(context, route, container, path, offset, data, timestamps, budget)
    return StreamResponse(_TEXT, chunks)


def _run_ended(context: ServerContext, route: ResourceRoute, container: str, path: Path) -> bool:
    """True when the pod is gone, the container terminated or a newer run started."""
    try:
        pod = context.store.get(route.resource, route.namespace, route.name)
    except ApiError:
        return True
    state = _container_status(pod, container).get("state") or {}
    if "terminated" in state:
        return True
    if context.state_dir is None:
        return True
    current, _ = current_and_previous(
        context.state_dir, route.namespace or "", route.name, container
    )
    return current is not None and current != path


async def _follow(
    context: ServerContext,
    route: ResourceRoute,
    container: str,
    path: Path,
    offset: int,
    first: bytes,
    timestamps: bool,
    budget: int | None,
) -> AsyncIterator[bytes]:
    if first:
        yield first
    polls = 0
    ending = False
    while budget is None or budget > 0:
        try:
            with open(path, "rb") as handle:
                handle.seek(offset)
                fresh = handle.read()
        except OSError:
            fresh = b""
        if fresh:
            offset += len(fresh)
            if timestamps:
                fresh = _with_timestamps(fresh, datetime.now(UTC))
            if budget is not None:
                fresh = fresh[:budget]
                budget -= len(fresh)
            yield fresh
            continue
        if ending:
            return
        polls += 1
        if polls % _STATUS_EVERY == 0 and _run_ended(context, route, container, path):
            ending = True  # read once more so nothing written just before the end is lost
            continue
        await asyncio.sleep(_POLL_SECONDS)
