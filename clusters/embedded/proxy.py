"""The Service proxy: real TCP traffic to a Service spread over its Ready endpoints.

Each Service port gets an in-cluster listener on 127.0.0.1:<ephemeral> (published in the
resolver file under `name.ns.svc.cluster.local:port`), and NodePort/LoadBalancer Services
also listen on 127.0.0.1:<nodePort>. Every accepted connection goes to the next Ready
endpoint in turn (round robin, like IPVS `rr`), so traffic shares follow pod counts; changes
apply to new connections at once. With no Ready endpoint the connection is reset at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clusters.embedded.dns import Resolver, service_fqdn
from clusters.embedded.kubelet.portmap import PortMap

__all__ = ["ServiceProxy", "endpoint_backends"]

_log = logging.getLogger(__name__)

LISTEN_HOST = "127.0.0.1"
CHUNK = 64 * 1024
CONNECT_TIMEOUT = 3.0

Address = tuple[str, int]
PortKey = tuple[str, str, int]  # namespace, service name, service port


def _matches(port_name: str | None, wanted: str | None, port_count: int) -> bool:
    return (port_name or "") == (wanted or "") or (port_count == 1 and not wanted)


def endpoint_backends(obj: dict[str, Any], port_name: str | None) -> list[Address]:
    """Ready (ip, port) pairs for the Service port named `port_name`, from an Endpoints or
    EndpointSlice object, in a stable order."""
    backends: list[Address] = []
    if obj.get("kind") == "EndpointSlice":
        ports = obj.get("ports") or []
        numbers = [p.get("port") for p in ports if _matches(p.get("name"), port_name, len(ports))]
        for endpoint in obj.get("endpoints") or []:
            if (endpoint.get("conditions") or {}).get("ready") is False:
                continue
            for ip in endpoint.get("addresses") or []:
                backends.extend((ip, int(n)) for n in numbers if n is not None)
        return backends
    for subset in obj.get("subsets") or []:
        ports = subset.get("ports") or []
        numbers = [p.get("port") for p in ports if _matches(p.get("name"), port_name, len(ports))]
        for address in subset.get("addresses") or []:
            backends.extend((address["ip"], int(n)) for n in numbers if n is not None)
    return backends


@dataclass
class _Backends:
    """The current Ready endpoints of one Service port and the round-robin position."""

    addresses: list[Address] = field(default_factory=list)
    position: int = 0

    def order(self) -> list[Address]:
        """Backends to try for one connection: the next in turn first, then the others."""
        if not self.addresses:
            return []
        start = self.position % len(self.addresses)
        self.position = start + 1
        return self.addresses[start:] + self.addresses[:start]


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST, the nearest thing to "connection refused" after accepting."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction until EOF, then half-close; backpressure through drain()."""
    while data := await reader.read(CHUNK):
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof():
        with contextlib.suppress(OSError):
            writer.write_eof()


class ServiceProxy:
    """Listeners for every Service port; call `sync` whenever Services or Endpoints change."""

    def __init__(self, state_dir: Path, resolver: Resolver | None = None) -> None:
        self.state_dir = Path(state_dir)
        self.resolver = resolver or Resolver.in_state_dir(self.state_dir)
        self._backends: dict[PortKey, _Backends] = {}
        self._internal: dict[PortKey, asyncio.Server] = {}
        self._node_ports: dict[int, tuple[PortKey, asyncio.Server]] = {}
        self._connections: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()
        self._published: dict[str, dict[str, Any]] | None = None
        self._closed = False
        self._port_map = PortMap(self.state_dir)  # only read on hosts running pods port-mapped

    def service_address(self, namespace: str, name: str, port: int) -> Address | None:
        """The in-cluster listener of a Service port, or None."""
        server = self._internal.get((namespace, name, int(port)))
        if server is None or not server.sockets:
            return None
        host, bound_port = server.sockets[0].getsockname()[:2]
        return str(host), int(bound_port)

    def node_ports(self) -> dict[int, tuple[str, str, int]]:
        """Open NodePort listeners: nodePort -> (namespace, service, port)."""
        return {number: key for number, (key, _) in self._node_ports.items()}

    async def sync(
        self, services: Iterable[dict[str, Any]], endpoints: Iterable[dict[str, Any]]
    ) -> None:
        """Make listeners and backends match these Services and Endpoints (idempotent)."""
        async with self._lock:
            if self._closed:
                raise RuntimeError("the Service proxy is closed")
            await self._sync(list(services), list(endpoints))

    @staticmethod
    def _desired(
        services: list[dict[str, Any]], endpoints: list[dict[str, Any]]
    ) -> tuple[dict[PortKey, list[Address]], dict[int, PortKey], dict[tuple[str, str], str]]:
        """(backends per Service port, NodePort -> Service port, clusterIP per Service)."""
        by_service: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for obj in endpoints:
            meta = obj.get("metadata") or {}
            name = meta.get("name", "")
            if obj.get("kind") == "EndpointSlice":
                name = (meta.get("labels") or {}).get("kubernetes.io/service-name", "")
            by_service.setdefault((meta.get("namespace", "default"), name), []).append(obj)
        wanted: dict[PortKey, list[Address]] = {}
        node_ports: dict[int, PortKey] = {}
        cluster_ips: dict[tuple[str, str], str] = {}
        for service in services:
            meta, spec = service.get("metadata") or {}, service.get("spec") or {}
            namespace, name = meta.get("namespace", "default"), meta.get("name", "")
            kind = spec.get("type") or "ClusterIP"
            if kind == "ExternalName" or spec.get("clusterIP") == "None":
                continue
            cluster_ips[(namespace, name)] = spec.get("clusterIP") or ""
            for port in spec.get("ports") or []:
                if (port.get("protocol") or "TCP") != "TCP":
                    continue
                key = (namespace, name, int(port["port"]))
                wanted[key] = [
                    backend
                    for obj in by_service.get((namespace, name), [])
                    for backend in endpoint_backends(obj, port.get("name"))
                ]
                if kind in ("NodePort", "LoadBalancer") and port.get("nodePort"):
                    node_ports[int(port["nodePort"])] = key
        return wanted, node_ports, cluster_ips

    async def _sync(self, services: list[dict[str, Any]], endpoints: list[dict[str, Any]]) -> None:
        wanted, wanted_node_ports, cluster_ips = self._desired(services, endpoints)
        for key in [k for k in self._internal if k not in wanted]:
            self._internal.pop(key).close()
            self._backends.pop(key, None)
        stale = [n for n, (k, _) in self._node_ports.items() if wanted_node_ports.get(n) != k]
        for number in stale:
            self._node_ports.pop(number)[1].close()
        for key, addresses in wanted.items():
            self._backends.setdefault(key, _Backends()).addresses = addresses
            if key not in self._internal:
                self._internal[key] = await self._listen(key, 0)
        for number, key in wanted_node_ports.items():
            if number not in self._node_ports:
                try:
                    self._node_ports[number] = (key, await self._listen(key, number))
                except OSError as error:
                    _log.warning("cannot open NodePort %s for %s/%s: %s", number, *key[:2], error)
        table: dict[str, dict[str, Any]] = {}
        for key in wanted:
            address = self.service_address(*key)
            if address is None:
                continue
            entry = table.setdefault(
                service_fqdn(key[1], key[0]), {"clusterIP": cluster_ips[key[:2]], "ports": {}}
            )
            entry["ports"][str(key[2])] = {"host": address[0], "port": address[1]}
        if table != self._published:
            self.resolver.publish(table)
            self._published = table

    async def _listen(self, key: PortKey, port: int) -> asyncio.Server:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if self._closed:
                _reset(writer)  # accepted just before close(): never forwarded
                return
            task = asyncio.current_task()
            if task is not None:
                self._connections.add(task)
            try:
                await self._forward(key, reader, writer)
            except asyncio.CancelledError:
                pass  # close() ended it; _forward has closed both sides
            finally:
                if task is not None:
                    self._connections.discard(task)

        return await asyncio.start_server(
            accept, LISTEN_HOST, port, reuse_address=True, limit=CHUNK
        )

    async def _forward(
        self, key: PortKey, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        backends = self._backends.get(key)
        up_writer: asyncio.StreamWriter | None = None
        pumps: list[asyncio.Task[None]] = []
        try:
            for address in backends.order() if backends else []:
                try:
                    async with asyncio.timeout(CONNECT_TIMEOUT):  # no result lost, unlike wait_for
                        up_reader, up_writer = await asyncio.open_connection(
                            *self._port_map.lookup(*address), limit=CHUNK
                        )
                    break
                except (OSError, TimeoutError) as error:
                    _log.debug("endpoint %s:%s of %s/%s unreachable: %s", *address, *key[:2], error)
            if up_writer is None:
                _reset(writer)
                return
            pumps = [
                asyncio.create_task(_pump(reader, up_writer)),
                asyncio.create_task(_pump(up_reader, writer)),
            ]
            for finished in asyncio.as_completed(pumps):
                try:
                    await finished
                except OSError:
                    break  # one side reset: tear both down
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            sides = [side for side in (writer, up_writer) if side is not None]
            for side in sides:  # close both before awaiting: a cancel must not skip one
                side.close()
            for side in sides:
                with contextlib.suppress(OSError):
                    await side.wait_closed()

    async def close(self) -> None:
        """Stop listening, end open connections and forget every route."""
        self._closed = True
        servers = list(self._internal.values()) + [s for _, s in self._node_ports.values()]
        self._internal.clear()
        self._node_ports.clear()
        self._backends.clear()
        for server in servers:
            server.close()
        await asyncio.sleep(0)  # handlers of connections accepted a moment ago start and register
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        for server in servers:
            await server.wait_closed()
        if self._published:
            self.resolver.publish({})  # nothing answers for these names any more
            self._published = {}
