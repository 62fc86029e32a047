"""Container probes with kubelet semantics: one check (HTTP, TCP, exec) and the threshold rules.

Durations (initialDelaySeconds, periodSeconds) are cluster seconds and go through the Clock.
`timeoutSeconds` bounds how long a real process may take to answer, so it is warped too but
never below `MIN_REAL_TIMEOUT` real seconds: a busy machine does not answer faster when the
lab clock runs fast. Likewise a probe runs at most every `MIN_REAL_PERIOD` real seconds, so a
fast clock does not turn probes into a load test of the pods.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MIN_REAL_PERIOD",
    "MIN_REAL_TIMEOUT",
    "ProbeResult",
    "ProbeSettings",
    "ProbeState",
    "run_probe",
]

MIN_REAL_TIMEOUT = 1.0
MIN_REAL_PERIOD = 0.1


@dataclass(frozen=True)
class ProbeResult:
    """Outcome of one probe; `message` follows kubelet's wording for failures."""

    success: bool
    message: str = ""


@dataclass(frozen=True)
class ProbeSettings:
    """Timing and thresholds of a probe, Kubernetes defaults filled in."""

    initial_delay: float
    period: float
    timeout: float
    success_threshold: int
    failure_threshold: int

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], kind: str) -> ProbeSettings:
        success = int(spec.get("successThreshold") or 1)
        return cls(
            initial_delay=float(spec.get("initialDelaySeconds") or 0),
            period=float(spec.get("periodSeconds") or 10),
            timeout=float(spec.get("timeoutSeconds") or 1),
            success_threshold=success if kind == "readiness" else 1,
            failure_threshold=int(spec.get("failureThreshold") or 3),
        )


class ProbeState:
    """Consecutive success/failure counting; reports when the result flips."""

    def __init__(self, settings: ProbeSettings, initial: bool) -> None:
        self.settings = settings
        self.healthy = initial
        self._successes = 0
        self._failures = 0

    def record(self, success: bool) -> bool | None:
        """Count one result; the new state when a threshold is crossed, else None."""
        if success:
            self._successes += 1
            self._failures = 0
            if not self.healthy and self._successes >= self.settings.success_threshold:
                self.healthy = True
                return True
        else:
            self._failures += 1
            self._successes = 0
            if self.healthy and self._failures >= self.settings.failure_threshold:
                self.healthy = False
                return False
        return None


def _port(value: Any, container: Mapping[str, Any]) -> int:
    if isinstance(value, int):
        return value
    text = str(value)
    if text.isdigit():
        return int(text)
    for port in container.get("ports") or []:
        if port.get("name") == text:
            return int(port["containerPort"])
    raise ValueError(f"port {text!r} is not a named port of container {container.get('name')}")


Translate = Callable[[str, int], tuple[str, int]]


def _same(host: str, port: int) -> tuple[str, int]:
    return host, port


async def _http_probe(
    action: Mapping[str, Any],
    host: str,
    container: Mapping[str, Any],
    timeout: float,
    translate: Translate = _same,
) -> ProbeResult:
    port = _port(action.get("port"), container)
    host = action.get("host") or host
    path = action.get("path") or "/"
    if not path.startswith("/"):
        path = "/" + path
    scheme = str(action.get("scheme") or "HTTP").lower()
    url = f"{scheme}://{host}:{port}{path}"
    if scheme != "http":
        return ProbeResult(False, f'Get "{url}": HTTPS probes are not supported here')
    headers = "".join(
        f"{header['name']}: {header['value']}\r\n" for header in action.get("httpHeaders") or []
    )
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: kube-probe/1.37\r\n"
        f"Accept: */*\r\nConnection: close\r\n{headers}\r\n"
    )
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(*translate(host, port))
            writer.write(request.encode("latin-1"))
            await writer.drain()
            status_line = await reader.readline()
    except TimeoutError:
        return ProbeResult(
            False,
            f'Get "{url}": context deadline exceeded (Client.Timeout exceeded while awaiting '
            "headers)",
        )
    except ConnectionRefusedError:
        return ProbeResult(
            False, f'Get "{url}": dial tcp {host}:{port}: connect: connection refused'
        )
    except OSError as error:
        return ProbeResult(False, f'Get "{url}": {error}')
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
    parts = status_line.decode("latin-1").split()
    if len(parts) < 2 or not parts[1].isdigit():
        return ProbeResult(False, f'Get "{url}": malformed HTTP response {status_line!r}')
    code = int(parts[1])
    if 200 <= code < 400:
        return ProbeResult(True)
    return ProbeResult(False, f"HTTP probe failed with statuscode: {code}")


async def _tcp_probe(
    action: Mapping[str, Any],
    host: str,
    container: Mapping[str, Any],
    timeout: float,
    translate: Translate = _same,
) -> ProbeResult:
    port = _port(action.get("port"), container)
    host = action.get("host") or host
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(*translate(host, port))
    except TimeoutError:
        return ProbeResult(False, f"dial tcp {host}:{port}: i/o timeout")
    except OSError as error:
        return ProbeResult(False, f"dial tcp {host}:{port}: connect: {error.strerror or error}")
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return ProbeResult(True)


async def _exec_probe(
    action: Mapping[str, Any], env: Mapping[str, str], cwd: str, timeout: float
) -> ProbeResult:
    command = [str(part) for part in action.get("command") or []]
    if not command:
        return ProbeResult(False, "exec probe has no command")
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env),
            cwd=cwd,
        )
    except OSError as error:
        return ProbeResult(False, f"exec probe failed: {error}")
    try:
        async with asyncio.timeout(timeout):
            output, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        return ProbeResult(False, f"command {command!r} timed out")
    if process.returncode == 0:
        return ProbeResult(True)
    return ProbeResult(False, output.decode("utf-8", "replace").strip()[:512])


async def run_probe(
    spec: Mapping[str, Any],
    *,
    pod_ip: str,
    container: Mapping[str, Any],
    env: Mapping[str, str],
    cwd: str,
    timeout: float,
    translate: Translate | None = None,
) -> ProbeResult:
    """Run one check of `spec` against the container; `timeout` in real seconds.

    `translate` maps (pod IP, port) to where a port-mapped pod really listens."""
    where = translate or _same
    try:
        if "httpGet" in spec:
            return await _http_probe(spec["httpGet"], pod_ip, container, timeout, where)
        if "tcpSocket" in spec:
            return await _tcp_probe(spec["tcpSocket"], pod_ip, container, timeout, where)
        if "exec" in spec:
            return await _exec_probe(spec["exec"], env, cwd, timeout)
    except ValueError as error:
        return ProbeResult(False, str(error))
    return ProbeResult(False, "only httpGet, tcpSocket and exec probes run on the embedded cluster")
