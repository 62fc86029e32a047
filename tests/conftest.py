"""Suite-wide fixtures and the `docker` marker's skip rule."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def docker_available() -> tuple[bool, str]:
    """True when a Docker daemon answers; else False and the reason."""
    docker = shutil.which("docker")
    if docker is None:
        return False, "docker CLI not found on PATH"
    try:
        result = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"docker info failed: {error}"
    if result.returncode != 0:
        return False, "no Docker daemon answers (docker info failed)"
    return True, ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(item.get_closest_marker("docker") for item in items):
        return
    available, reason = docker_available()
    if available:
        return
    skip = pytest.mark.skip(reason=f"needs Docker for the kind backend: {reason}")
    for item in items:
        if item.get_closest_marker("docker"):
            item.add_marker(skip)
