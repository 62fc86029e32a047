"""Port-mapped pods, for machines where only 127.0.0.1 is a loopback address (macOS).

There a pod keeps its virtual pod IP in status and Endpoints, but its process listens on
127.0.0.1:<ephemeral>: podexec's bind hook records `{containerPort: actual port}` in
`<state_dir>/pods/<uid>/<container>/ports.json`, and the kubelet's probes and the Service
proxy translate (podIP, port) through those files. The marker `<state_dir>/pods/PORT_MAPPED`
says the mode is on, so on Linux nothing is read.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["MARKER", "PORTS_FILE", "PortMap", "record_port"]

MARKER = "PORT_MAPPED"
PORTS_FILE = "ports.json"


def record_port(path: Path, pod_ip: str, declared: int, actual: int) -> None:
    """Add `declared -> actual` to a container's port file (atomic replace)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        document = {"ip": pod_ip, "ports": {}}
    document["ports"][str(declared)] = actual
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".ports-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    os.replace(temp, path)


class PortMap:
    """Translates (pod IP, port) to where a port-mapped pod really listens."""

    def __init__(self, state_dir: Path) -> None:
        self.pods_dir = Path(state_dir) / "pods"

    def enable(self) -> None:
        self.pods_dir.mkdir(parents=True, exist_ok=True)
        (self.pods_dir / MARKER).touch()

    def disable(self) -> None:
        (self.pods_dir / MARKER).unlink(missing_ok=True)

    @property
    def active(self) -> bool:
        return (self.pods_dir / MARKER).exists()

    def lookup(self, host: str, port: int) -> tuple[str, int]:
        """The real address for host:port; unchanged when it is no mapped pod port."""
        if not self.active:
            return host, port
        for path in self.pods_dir.glob(f"*/*/{PORTS_FILE}"):
            try:
                document = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            actual = (document.get("ports") or {}).get(str(port))
            if document.get("ip") == host and actual:
                return "127.0.0.1", int(actual)
        return host, port
