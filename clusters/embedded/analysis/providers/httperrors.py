"""Go `net/http` client error texts for httpx failures, so messages read as upstream's."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx

__all__ = ["go_transport_error", "go_url_op"]


def go_url_op(method: str) -> str:
    """The Op of Go's *url.Error: the method with only its first letter upper case."""
    return method[:1].upper() + method[1:].lower()


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"


def _causes(error: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def go_transport_error(method: str, url: str, error: BaseException | None) -> str:
    """`Get "URL": <reason>` with Go's reason text for the common transport failures."""
    prefix = f'{go_url_op(method)} "{url}"'
    if error is None or isinstance(error, TimeoutError | httpx.TimeoutException):
        return (
            f"{prefix}: context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        )
    text = str(error)
    chain = _causes(error)
    lowered = " ".join(str(e) for e in chain).lower()
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        lowered += " refused"
    if any(isinstance(e, socket.gaierror) for e in chain):
        lowered += " name or service not known"
    if isinstance(error, httpx.ConnectError):
        if "refused" in lowered:
            return f"{prefix}: dial tcp {_host_port(url)}: connect: connection refused"
        if (
            "name or service not known" in lowered
            or "nodename nor servname" in lowered
            or ("name resolution" in lowered)
        ):
            return f"{prefix}: dial tcp: lookup {urlsplit(url).hostname}: no such host"
        if "certificate" in lowered:
            return f"{prefix}: tls: failed to verify certificate: {text}"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"{prefix}: EOF"
    if isinstance(error, httpx.UnsupportedProtocol):
        return f'{prefix}: unsupported protocol scheme "{urlsplit(url).scheme}"'
    return f"{prefix}: {text or type(error).__name__}"
