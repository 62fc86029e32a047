"""Launcher for pod processes: cluster DNS and pod-IP binding, then the container's program.

`python -m clusters.embedded.podexec --resolver DNS_JSON [--namespace NS] [--pod-ip IP] --
(-m MODULE | -c CODE | SCRIPT) ARGS...` installs a `socket.getaddrinfo` hook so Service names
(`svc`, `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`, clusterIPs) resolve to the Service
proxy, makes wildcard binds (0.0.0.0, "") bind the pod IP instead, and runs the program in
this same process (runpy), so signals sent to the pod's process group reach it directly.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import runpy
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from clusters.embedded.dns import Resolver
from clusters.embedded.kubelet.portmap import record_port

__all__ = ["die_with_parent", "install_bind_hook", "install_resolver_hook", "main"]

_WILDCARD_HOSTS = {"", "0.0.0.0"}
_PR_SET_PDEATHSIG = 1


def install_resolver_hook(resolver: Resolver, namespace: str | None) -> None:
    """Route `socket.getaddrinfo` for Service names through `resolver`."""
    original = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if isinstance(host, str) and host:
            wanted = port
            if isinstance(port, bytes):
                wanted = port.decode("ascii", "replace")
            address = resolver.resolve(host, wanted, namespace)
            if address is not None:
                return original(address[0], address[1], *args, **kwargs)
        return original(host, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo


def install_bind_hook(pod_ip: str, port_map: Path | None = None) -> None:
    """Make IPv4 wildcard binds listen on the pod IP, so pods sharing a port do not clash.

    With `port_map` (machines where the pod IP cannot be bound) binds to the wildcard or the
    pod IP go to 127.0.0.1 on a free port instead, recorded in that file for the kubelet.
    """
    original_bind = socket.socket.bind

    def bind(self: socket.socket, address: Any) -> None:
        ours = _WILDCARD_HOSTS | {pod_ip}
        if not (self.family == socket.AF_INET and isinstance(address, tuple)):
            original_bind(self, address)
        elif address[0] in ours and port_map is not None:
            original_bind(self, ("127.0.0.1", 0))
            if address[1]:
                record_port(port_map, pod_ip, int(address[1]), self.getsockname()[1])
        elif address[0] in _WILDCARD_HOSTS:
            original_bind(self, (pod_ip, *address[1:]))
        else:
            original_bind(self, address)

    socket.socket.bind = bind  # type: ignore[method-assign, assignment]


def _parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    if "--" not in argv:
        raise SystemExit("podexec: expected `--` followed by the program to run")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="podexec", description=__doc__)
    parser.add_argument("--resolver", type=Path, required=True, help="path of dns.json")
    parser.add_argument("--namespace", default=os.environ.get("POD_NAMESPACE"))
    parser.add_argument("--pod-ip", default=None, help="bind wildcard addresses to this IP")
    parser.add_argument(
        "--port-map",
        type=Path,
        default=None,
        help="listen on 127.0.0.1 "
        "and record the ports here (hosts where the pod IP cannot be bound)",
    )
    options = parser.parse_args(argv[:split])
    program = argv[split + 1 :]
    if not program:
        raise SystemExit("podexec: no program given after `--`")
    return options, program


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this pod process when the cluster process that started it dies,
    so no pod outlives a crashed (`kill -9`) cluster. A no-op where prctl is unavailable."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(137)


def main(argv: list[str] | None = None) -> None:
    """Install the hooks, then run the program as `python` would."""
    options, program = _parse(list(sys.argv[1:] if argv is None else argv))
    die_with_parent()
    install_resolver_hook(Resolver(options.resolver), options.namespace)
    if options.pod_ip:
        install_bind_hook(options.pod_ip, options.port_map)
    if program[0] == "-m" and len(program) >= 2:
        sys.argv = [program[1], *program[2:]]
        runpy.run_module(program[1], run_name="__main__", alter_sys=True)
    elif program[0] == "-c" and len(program) >= 2:
        sys.argv = ["-c", *program[2:]]
        exec(compile(program[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = list(program)
        sys.path.insert(0, str(Path(program[0]).resolve().parent))
        runpy.run_path(program[0], run_name="__main__")


if __name__ == "__main__":
    main()
