"""podexec gives pod processes cluster DNS (via the resolver file) and pod-IP binding."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from clusters.embedded.dns import Resolver
from clusters.embedded.proxy import ServiceProxy

CLIENT = """
import socket, sys, urllib.request
for url in sys.argv[1:]:
    with urllib.request.urlopen(url, timeout=5) as answer:
        print(url, answer.read().decode())
listener = socket.socket()
listener.bind(("0.0.0.0", 0))
print("bound", listener.getsockname()[0])
print("outside", socket.getaddrinfo("localhost", 80)[0][4][0] in ("127.0.0.1", "::1"))
"""


def without_proxies() -> dict[str, str]:
    """The environment minus HTTP proxy settings, which would send urllib elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}


def test_pod_process_reaches_services_by_name_and_binds_its_pod_ip(tmp_path: Path):
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
            await writer.drain()
        finally:
            writer.close()

    async def main() -> str:
        backend = await asyncio.start_server(answer, "127.255.201.1", 0)
        backend_port = backend.sockets[0].getsockname()[1]
        proxy = ServiceProxy(tmp_path)
        service = {
            "metadata": {"name": "web", "namespace": "demo"},
            "spec": {"ports": [{"port": 80, "targetPort": 8080}]},
        }
        endpoints = {
            "metadata": {"name": "web", "namespace": "demo"},
            "subsets": [
                {"addresses": [{"ip": "127.255.201.1"}], "ports": [{"port": backend_port}]}
            ],
        }
        try:
            await proxy.sync([service], [endpoints])
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "clusters.embedded.podexec",
                "--resolver", str(Resolver.in_state_dir(tmp_path).path),
                "--namespace", "demo", "--pod-ip", "127.255.201.7", "--",
                "-c", CLIENT,
                "http://web.demo.svc.cluster.local/", "http://web/", "http://web.demo:80/x",
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=without_proxies(),
            )  # fmt: skip
            output, _ = await asyncio.wait_for(process.communicate(), 30)
            assert process.returncode == 0, output.decode()
            return output.decode()
        finally:
            await proxy.close()
            backend.close()
            await backend.wait_closed()

    lines = asyncio.run(main()).splitlines()
    assert lines == [
        "http://web.demo.svc.cluster.local/ hello",
        "http://web/ hello",
        "http://web.demo:80/x hello",
        "bound 127.255.201.7",
        "outside True",
    ]


def test_podexec_runs_scripts_and_refuses_a_missing_program(tmp_path: Path):
    script = tmp_path / "hello.py"
    script.write_text("import sys\nprint('args', sys.argv[1:])\n")
    base = [sys.executable, "-m", "clusters.embedded.podexec", "--resolver", str(tmp_path / "d")]
    ran = subprocess.run(
        [*base, "--", str(script), "a", "b"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert ran.returncode == 0 and ran.stdout == "args ['a', 'b']\n"
    missing = subprocess.run([*base, "--"], capture_output=True, text=True, timeout=30, check=False)
    assert missing.returncode != 0 and "no program" in missing.stderr
