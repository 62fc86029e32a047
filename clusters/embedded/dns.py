"""Service name resolution for the embedded cluster: one JSON file, many readers.

The Service proxy publishes where each Service port listens locally; pod processes (through
the podexec `getaddrinfo` hook) and in-process callers (`rewrite_url`, `ResolvingTransport`)
read it, so `http://web.demo.svc.cluster.local/` and its short forms reach the Service.

File format (`<state_dir>/dns.json`, replaced atomically)::

    {"version": 1,
     "services": {"web.demo.svc.cluster.local":
                    {"clusterIP": "10.96.0.12", "ports": {"80": {"host": "127.0.0.1",
                                                              "port": 41234}}}}}
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

__all__ = [
    "CLUSTER_DOMAIN",
    "DNS_FILE_NAME",
    "Resolver",
    "ResolvingSyncTransport",
    "ResolvingTransport",
    "ServiceAddress",
    "service_fqdn",
]

CLUSTER_DOMAIN = "cluster.local"
DNS_FILE_NAME = "dns.json"
_DEFAULT_PORTS = {"http": 80, "https": 443}

ServiceAddress = tuple[str, int]


def service_fqdn(name: str, namespace: str) -> str:
    """`name.namespace.svc.cluster.local`, the name a Service answers to."""
    return f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}"


def _candidate_names(host: str, namespace: str | None) -> list[str]:
    """Fully qualified names `host` may stand for, like a pod's DNS search list."""
    host = host.rstrip(".").lower()
    suffix = f".svc.{CLUSTER_DOMAIN}"
    if host.endswith(suffix):
        return [host]
    candidates = []
    if host.endswith(".svc"):
        candidates.append(f"{host}.{CLUSTER_DOMAIN}")
    elif host.count(".") == 1:
        candidates.append(f"{host}{suffix}")
    elif "." not in host and namespace:
        candidates.append(f"{host}.{namespace}{suffix}")
    return candidates


class Resolver:
    """Reads and writes the service table in `<state_dir>/dns.json`; safe across processes.

    Readers reload the file only when its modification time changes, so a lookup per
    connection stays cheap.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int, int] | None = None
        self._services: dict[str, Any] = {}
        self._by_cluster_ip: dict[str, str] = {}

    @classmethod
    def in_state_dir(cls, state_dir: Path) -> Resolver:
        return cls(Path(state_dir) / DNS_FILE_NAME)

    def publish(self, services: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace the whole table atomically: {fqdn: {"clusterIP"?, "ports": {port: {...}}}}."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {"version": 1, "services": dict(services)}
        fd, temp_name = tempfile.mkstemp(prefix=".dns-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, sort_keys=True)
            os.replace(temp_name, self.path)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def _reload(self) -> None:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._services, self._by_cluster_ip = None, {}, {}
            return
        stamp = (info.st_ino, info.st_mtime_ns, info.st_size)  # replace() makes a new inode
        if stamp == self._stamp:
            return
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # keep the last good table; the writer replaces the file atomically
        services = document.get("services", {}) if isinstance(document, dict) else {}
        self._services = services if isinstance(services, dict) else {}
        self._by_cluster_ip = {
            entry["clusterIP"]: fqdn
            for fqdn, entry in self._services.items()
            if isinstance(entry, dict) and entry.get("clusterIP")
        }
        self._stamp = stamp

    def services(self) -> dict[str, Any]:
        """The current table (a copy)."""
        with self._lock:
            self._reload()
            return dict(self._services)

    def lookup_name(self, host: str, namespace: str | None = None) -> str | None:
        """The fully qualified Service name `host` refers to, or None if it is no Service."""
        with self._lock:
            self._reload()
            if host in self._by_cluster_ip:
                return self._by_cluster_ip[host]
            for candidate in _candidate_names(host, namespace):
                if candidate in self._services:
                    return candidate
        return None

    def resolve(
        self, host: str, port: int | str | None, namespace: str | None = None
    ) -> ServiceAddress | None:
        """Local (host, port) serving Service `host` on `port`; None when not a known Service.

        `host` may be the full name, `svc.ns.svc`, `svc.ns`, `svc` (relative to `namespace`)
        or the Service's clusterIP. With `port` None a single-port Service's port is used.
        """
        fqdn = self.lookup_name(host, namespace)
        if fqdn is None:
            return None
        with self._lock:
            ports = self._services.get(fqdn, {}).get("ports", {})
        if port is None or port == "":
            if len(ports) != 1:
                return None
            (target,) = ports.values()
        else:
            target = ports.get(str(port))
        if not isinstance(target, dict):
            return None
        return str(target["host"]), int(target["port"])

    def rewrite_url(self, url: str, namespace: str | None = None) -> str:
        """`url` with a Service host:port replaced by its local address; others unchanged."""
        parts = urlsplit(url)
        if not parts.hostname:
            return url
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
        address = self.resolve(parts.hostname, port, namespace)
        if address is None:
            return url
        netloc = f"{address[0]}:{address[1]}"
        if parts.username or parts.password:
            netloc = f"{parts.username or ''}:{parts.password or ''}@{netloc}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _redirect(resolver: Resolver, namespace: str | None, request: httpx.Request) -> None:
    url = request.url
    port = url.port or _DEFAULT_PORTS.get(url.scheme)
    address = resolver.resolve(url.host, port, namespace)
    if address is not None:
        request.url = url.copy_with(host=address[0], port=address[1])


class ResolvingTransport(httpx.AsyncBaseTransport):
    """httpx transport sending requests for Service names to the Service proxy.

    The Host header keeps the Service name, as a client inside the cluster would send it.
    """

    def __init__(
        self,
        resolver: Resolver,
        namespace: str | None = None,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._resolver = resolver
        self._namespace = namespace
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _redirect(self._resolver, self._namespace, request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class ResolvingSyncTransport(httpx.BaseTransport):
    """The blocking twin of `ResolvingTransport`, for `httpx.Client`."""

    def __init__(
        self,
        resolver: Resolver,
        namespace: str | None = None,
        inner: httpx.BaseTransport | None = None,
    ) -> None:
        self._resolver = resolver
        self._namespace = namespace
        self._inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _redirect(self._resolver, self._namespace, request)
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()
