"""Is a Docker daemon answering? One probe shared by `doctor`, `up --backend auto` and kind."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass

from clusters.runner import CommandError, Runner

__all__ = ["DockerStatus", "probe_docker"]


@dataclass(frozen=True)
class DockerStatus:
    """Outcome of `docker info`: whether the daemon answers, and if not, why and what to do."""

    available: bool
    reason: str
    fix: str = ""
    server_version: str = ""
    architecture: str = ""
    cgroup_version: str = ""
    rootless: bool = False


_INFO_FORMAT = "{{.ServerVersion}}|{{.Architecture}}|{{.CgroupVersion}}|{{json .SecurityOptions}}"


def probe_docker(
    runner: Runner,
    docker: str | None = None,
    timeout: float = 15.0,
    which: Callable[[str], str | None] = shutil.which,
) -> DockerStatus:
    """Ask the daemon for its version, architecture and cgroup version via `docker info`."""
    binary = docker or which("docker")
    if binary is None:
        return DockerStatus(
            False,
            "the docker CLI is not installed (not found on PATH)",
            "install Docker Engine or Docker Desktop, or use `--backend embedded`",
        )
    try:
        result = runner.run([binary, "info", "--format", _INFO_FORMAT], timeout=timeout)
    except CommandError as error:
        text = error.output.lower()
        if "permission denied" in text:
            return DockerStatus(
                False,
                "permission denied on the Docker socket",
                "add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in "
                "again) or use rootless Docker",
            )
        if "cannot connect" in text or "is the docker daemon running" in text:
            return DockerStatus(
                False,
                "no Docker daemon answers (the docker CLI is installed but cannot connect)",
                "start Docker (Docker Desktop, Colima, OrbStack or `sudo systemctl start docker`)",
            )
        return DockerStatus(
            False,
            f"`docker info` failed ({error.reason})",
            "check `docker info` by hand; start Docker or use `--backend embedded`",
        )
    version, _, rest = result.stdout.strip().partition("|")
    architecture, _, rest = rest.partition("|")
    cgroup, _, security = rest.partition("|")
    if not version:
        return DockerStatus(
            False,
            "`docker info` reported no server version",
            "start Docker (Docker Desktop, Colima, OrbStack or `sudo systemctl start docker`)",
        )
    return DockerStatus(
        True,
        f"Docker daemon {version} answers",
        server_version=version,
        architecture=architecture,
        cgroup_version=cgroup,
        rootless="rootless" in security,
    )
