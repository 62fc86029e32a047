"""Pod IPs: loopback addresses unique among live pods, and among clusters on one machine.

Linux routes all of 127.0.0.0/8 to the loopback device, so each pod can listen on its own
address. Each kubelet leases one /24 block (127.B.C.0/24 with B >= 16, away from the 127.0
and 127.1 addresses other tools like to use) through an exclusive lock file, so two embedded
clusters on one machine (parallel test runs, a second lab) never hand out the same pod IP;
the lock dies with the process, so a crash frees the block.
"""

from __future__ import annotations

import fcntl
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import IO

__all__ = [
    "BLOCK_SIZE",
    "PodIPAllocator",
    "SubnetLease",
    "default_lease_dir",
    "listening_prefixes",
    "loopback_block_error",
]

BLOCK_SIZE = 254  # .1 .. .254 of a /24
FIRST_OCTET = 16
_BLOCKS = (255 - FIRST_OCTET) * 256


def default_lease_dir() -> Path:
    """Where kubelets of this user coordinate their address blocks."""
    return Path(tempfile.gettempdir()) / f"rollout-lab-pod-subnets-{os.getuid()}"


class SubnetLease:
    """An exclusive lease on one 127.B.C.0/24 block, held until `release()` or exit."""

    def __init__(self, lease_dir: Path | None = None) -> None:
        self.lease_dir = Path(lease_dir) if lease_dir else default_lease_dir()
        self.lease_dir.mkdir(parents=True, exist_ok=True)
        self._handle: IO[bytes] | None = None
        for block in range(_BLOCKS):
            handle = open(self.lease_dir / f"{block}.lock", "ab")  # noqa: SIM115 - held open
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                continue
            prefix = f"127.{FIRST_OCTET + block // 256}.{block % 256}"
            if prefix in listening_prefixes():
                handle.close()  # someone listens there already (an orphan, a foreign tool)
                continue
            self._handle = handle
            self.prefix = prefix
            return
        raise RuntimeError(f"every pod address block under {self.lease_dir} is leased")

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the descriptor drops the lock
            self._handle = None


class PodIPAllocator:
    """Hands out addresses of the leased block, unique among live pods, cycling before reuse."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self._in_use: dict[str, str] = {}
        self._next = 0

    def allocate(self, uid: str) -> str:
        if uid in self._in_use:
            return self._in_use[uid]
        taken = set(self._in_use.values())
        for step in range(BLOCK_SIZE):
            index = (self._next + step) % BLOCK_SIZE
            address = f"{self.prefix}.{index + 1}"
            if address not in taken:
                self._next = (index + 1) % BLOCK_SIZE
                self._in_use[uid] = address
                return address
        raise RuntimeError(f"all {BLOCK_SIZE} pod IPs of {self.prefix}.0/24 are in use")

    def release(self, uid: str) -> None:
        self._in_use.pop(uid, None)

    def get(self, uid: str) -> str | None:
        return self._in_use.get(uid)


def listening_prefixes(table: Path = Path("/proc/net/tcp")) -> set[str]:
    """The /24 prefixes (`127.B.C`) with a listening TCP socket; empty where unknown."""
    try:
        lines = table.read_text().splitlines()[1:]
    except OSError:
        return set()
    prefixes = set()
    for line in lines:
        fields = line.split()
        if len(fields) < 4 or fields[3] != "0A":  # 0A = LISTEN
            continue
        packed = bytes.fromhex(fields[1].split(":")[0])[::-1]  # little-endian IPv4
        if len(packed) == 4:
            prefixes.add(".".join(str(part) for part in packed[:3]))
    return prefixes


def loopback_block_error(prefix: str) -> str | None:
    """None when this machine can listen on the block's addresses, else what to do about it.

    Linux routes all of 127.0.0.0/8 to the loopback device; macOS and others answer only
    127.0.0.1 unless aliases are added.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((f"{prefix}.1", 0))
    except OSError as error:
        hint = (
            f"add loopback aliases, e.g. `for i in $(seq 1 254); do sudo ifconfig lo0 alias "
            f"{prefix}.$i up; done`"
            if sys.platform == "darwin"
            else "make 127.0.0.0/8 reachable on the loopback device"
        )
        return (
            f"pod IPs {prefix}.1-254 cannot be used on this machine ({error.strerror or error}); "
            f"{hint}, or use the kind backend"
        )
    return None
