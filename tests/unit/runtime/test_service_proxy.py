"""The Service proxy spreads real connections over Ready endpoints and publishes DNS entries."""

from __future__ import annotations

import asyncio
import random
import socket
from collections import Counter
from pathlib import Path

import httpx
import pytest

from clusters.embedded.dns import Resolver, ResolvingSyncTransport, ResolvingTransport
from clusters.embedded.proxy import ServiceProxy

BACKENDS = {"127.255.200.1": "stable", "127.255.200.2": "stable", "127.255.200.3": "canary"}


def free_node_port() -> int:
    """A free port of the NodePort range, tried in random order so parallel runs differ."""
    for port in random.sample(range(30000, 32768), 2768):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free NodePort")


def service(name: str, port: int = 80, node_port: int | None = None) -> dict:
    ports = {"name": "http", "port": port, "targetPort": 8080, "protocol": "TCP"}
    spec = {"type": "ClusterIP", "clusterIP": "10.96.0.20", "ports": [ports]}
    if node_port:
        spec["type"] = "NodePort"
        ports["nodePort"] = node_port
    return {"kind": "Service", "metadata": {"name": name, "namespace": "demo"}, "spec": spec}


BACKEND_PORTS: dict[str, int] = {}  # endpoint IP -> the port its test server got


def endpoints(name: str, ips: list[str]) -> dict:
    """Endpoints with one subset per address (test servers listen on ephemeral ports, so that
    parallel runs never clash); an IP without a server gets port 1, where nothing listens."""
    subsets = [
        {"addresses": [{"ip": ip}], "ports": [{"name": "http", "port": BACKEND_PORTS.get(ip, 1)}]}
        for ip in ips
    ]
    return {
        "kind": "Endpoints",
        "metadata": {"name": name, "namespace": "demo"},
        "subsets": subsets,
    }


async def start_backends() -> list[asyncio.Server]:
    """One tiny HTTP server per endpoint IP, answering its track name."""

    def handler(label: str):
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            body = label.encode()
            try:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                    % (len(body), body)
                )
                await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass  # the client (the proxy) went away first
            finally:
                writer.close()

        return answer

    servers = []
    for ip, label in BACKENDS.items():
        server = await asyncio.start_server(handler(label), ip, 0)
        BACKEND_PORTS[ip] = server.sockets[0].getsockname()[1]
        servers.append(server)
    return servers


async def fetch(port: int) -> str:
    """One request on a fresh connection; '' when the proxy refuses it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: web\r\n\r\n")
        await writer.drain()
        response = await reader.read()
    except ConnectionResetError:
        return ""
    finally:
        writer.close()
    return response.split(b"\r\n\r\n", 1)[1].decode() if response else ""


def run(scenario, tmp_path: Path) -> None:
    async def main():
        servers = await start_backends()
        proxy = ServiceProxy(tmp_path, Resolver.in_state_dir(tmp_path))
        try:
            await scenario(proxy)
        finally:
            await proxy.close()
            # Backend handlers of connections accepted a moment ago run (and close) before the
            # loop ends; a handler task cancelled before its first step would leak its writer.
            await asyncio.sleep(0.05)
            for server in servers:
                server.close()
                await server.wait_closed()

    asyncio.run(main())


def test_node_port_spreads_connections_by_endpoint_count_and_follows_changes(tmp_path):
    node_port = free_node_port()

    async def scenario(proxy: ServiceProxy):
        await proxy.sync([service("web", node_port=node_port)], [endpoints("web", list(BACKENDS))])
        answers = Counter([await fetch(node_port) for _ in range(200)])
        assert answers["stable"] + answers["canary"] == 200
        assert 120 <= answers["stable"] <= 147 and 53 <= answers["canary"] <= 80  # ~2:1
        # blue-green style switch: only the canary endpoint is Ready now
        await proxy.sync(
            [service("web", node_port=node_port)], [endpoints("web", ["127.255.200.3"])]
        )
        assert {await fetch(node_port) for _ in range(10)} == {"canary"}
        in_cluster = proxy.service_address("demo", "web", 80)
        assert in_cluster is not None and await fetch(in_cluster[1]) == "canary"
        await proxy.sync([service("web", node_port=node_port)], [endpoints("web", [])])
        assert await fetch(node_port) == ""
        assert proxy.node_ports() == {node_port: ("demo", "web", 80)}
        await proxy.sync([], [])
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", node_port)

    run(scenario, tmp_path)


def test_dead_endpoint_is_skipped_for_the_next_one(tmp_path):
    async def scenario(proxy: ServiceProxy):
        await proxy.sync([service("web")], [endpoints("web", ["127.255.200.9", "127.255.200.3"])])
        _, port = proxy.service_address("demo", "web", 80)
        assert [await fetch(port) for _ in range(4)] == ["canary"] * 4

    run(scenario, tmp_path)


def test_service_names_resolve_to_the_proxy_for_in_process_clients(tmp_path):
    async def scenario(proxy: ServiceProxy):
        await proxy.sync([service("web")], [endpoints("web", ["127.255.200.1"])])
        resolver = Resolver.in_state_dir(tmp_path)
        address = proxy.service_address("demo", "web", 80)
        for host in ("web.demo.svc.cluster.local", "web.demo.svc", "web.demo", "10.96.0.20"):
            assert resolver.resolve(host, 80) == address, host
        assert resolver.resolve("web", 80, namespace="demo") == address
        assert resolver.resolve("web", 80) is None  # no namespace to complete it
        assert resolver.resolve("web.demo", 81) is None
        assert resolver.resolve("example.com", 80) is None
        assert resolver.rewrite_url("http://web.demo.svc:80/stats?x=1") == (
            f"http://{address[0]}:{address[1]}/stats?x=1"
        )
        assert resolver.rewrite_url("http://example.com/a") == "http://example.com/a"
        transport = ResolvingTransport(resolver, namespace="demo")
        async with httpx.AsyncClient(transport=transport) as client:
            answer = await client.get("http://web/anything")
        assert answer.status_code == 200 and answer.text == "stable"
        assert answer.request.headers["host"] == "web"  # the Service name, as sent in-cluster
        sync = ResolvingSyncTransport(resolver)

        def blocking_get() -> str:
            with httpx.Client(transport=sync) as client:
                return client.get("http://web.demo.svc.cluster.local/").text

        assert await asyncio.to_thread(blocking_get) == "stable"

    run(scenario, tmp_path)


def test_close_ends_open_connections_and_forgets_the_names(tmp_path):
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read()  # never answers; waits for the client to go away
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def scenario(proxy: ServiceProxy):
        quiet = await asyncio.start_server(hold, "127.255.200.9", 0)
        BACKEND_PORTS["127.255.200.9"] = quiet.sockets[0].getsockname()[1]
        try:
            await proxy.sync([service("web")], [endpoints("web", ["127.255.200.9"])])
            _, port = proxy.service_address("demo", "web", 80)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"hello")
            await writer.drain()
            await proxy.close()
            assert await asyncio.wait_for(reader.read(), 5) == b""  # closed, not left hanging
            writer.close()
            assert Resolver.in_state_dir(tmp_path).services() == {}
        finally:
            del BACKEND_PORTS["127.255.200.9"]
            quiet.close()
            await quiet.wait_closed()

    run(scenario, tmp_path)
