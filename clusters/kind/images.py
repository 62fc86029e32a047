"""Agent images: build from `agent/Dockerfile`, load into kind (with the archive fallback), push.

Each agent version vN is built with `--build-arg AGENT_VERSION=vN` and tagged
`rollout-lab/task-agent:vN` — never `:latest`, which would make kind pull from a registry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from clusters.kind.failures import explain_error
from clusters.kind.pins import AGENT_IMAGE_REPOSITORY, AGENT_VERSIONS
from clusters.runner import CommandError, Runner

__all__ = [
    "ImageError",
    "agent_image",
    "build_agent_image",
    "default_agent_dir",
    "load_image",
    "push_agent_images",
    "validate_registry",
]

_BUILD_TIMEOUT = 900.0
_LOAD_TIMEOUT = 600.0
_REGISTRY_PATTERN = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?(/[a-z0-9._-]+)*$")


class ImageError(Exception):
    """An agent image could not be built, loaded or pushed; the message says what to do."""


def default_agent_dir() -> Path:
    """The `agent/` folder next to the `clusters/` package (source tree or installed)."""
    return Path(__file__).resolve().parents[2] / "agent"


def validate_registry(registry: str) -> str:
    """Normalise `--image-registry` (no scheme, no trailing slash) or raise `ImageError`."""
    cleaned = registry.strip().rstrip("/")
    if "://" in cleaned or not _REGISTRY_PATTERN.match(cleaned):
        raise ImageError(
            f"{registry!r} is not a registry reference; use host[:port][/path], "
            "e.g. `registry.example.edu:5000/course`"
        )
    return cleaned


def agent_image(version: str, registry: str | None = None) -> str:
    """`rollout-lab/task-agent:vN`, prefixed with `registry/` when one is given."""
    if version not in AGENT_VERSIONS:
        raise ImageError(f"unknown agent version {version!r}; one of {', '.join(AGENT_VERSIONS)}")
    local = f"{AGENT_IMAGE_REPOSITORY}:{version}"
    return f"{validate_registry(registry)}/{local}" if registry else local


def build_agent_image(runner: Runner, version: str, agent_dir: Path, docker: str = "docker") -> str:
    """`docker build` one agent version from `agent_dir/Dockerfile`; returns the local tag."""
    dockerfile = agent_dir / "Dockerfile"
    if not dockerfile.is_file():
        raise ImageError(
            f"{dockerfile} not found: the agent image cannot be built "
            "(run from a Rollout Lab source checkout or pass --agent-dir)"
        )
    tag = agent_image(version)
    try:
        runner.run(
            [
                docker,
                "build",
                "--build-arg",
                f"AGENT_VERSION={version}",
                "--tag",
                tag,
                "--file",
                str(dockerfile),
                str(agent_dir.parent),
            ],
            timeout=_BUILD_TIMEOUT,
        )
    except CommandError as error:
        raise ImageError(f"building {tag} failed:\n{error}") from error
    return tag


def load_image(
    runner: Runner,
    image: str,
    cluster: str,
    workdir: Path,
    *,
    kind: str = "kind",
    docker: str = "docker",
    arch: str = "amd64",
) -> str:
    """Load `image` into the kind cluster; returns the method used.

    `kind load docker-image` first; when the local image store lists platforms whose
    layers are absent (containerd image store, OrbStack) fall back to saving one platform
    to an archive and `kind load image-archive`.
    """
    try:
        runner.run([kind, "load", "docker-image", image, "--name", cluster], timeout=_LOAD_TIMEOUT)
        return "docker-image"
    except CommandError as error:
        diagnosis = explain_error(error)
        if diagnosis is None or diagnosis.key != "containerd-image-store":
            raise
    workdir.mkdir(parents=True, exist_ok=True)
    archive = workdir / (re.sub(r"[^A-Za-z0-9_.-]", "_", image) + ".tar")
    try:
        runner.run(
            [
                docker,
                "image",
                "save",
                "--platform",
                f"linux/{arch}",
                "--output",
                str(archive),
                image,
            ],
            timeout=_LOAD_TIMEOUT,
        )
        runner.run(
            [kind, "load", "image-archive", str(archive), "--name", cluster],
            timeout=_LOAD_TIMEOUT,
        )
    finally:
        archive.unlink(missing_ok=True)
    return "image-archive"


def push_agent_images(
    runner: Runner,
    registry: str,
    agent_dir: Path,
    versions: Sequence[str] = AGENT_VERSIONS,
    docker: str = "docker",
) -> list[str]:
    """Build every agent version, tag it under `registry` and push it; returns pushed refs."""
    pushed = []
    for version in versions:
        local = build_agent_image(runner, version, agent_dir, docker)
        remote = agent_image(version, registry)
        try:
            runner.run([docker, "tag", local, remote], timeout=60)
            runner.run([docker, "push", remote], timeout=_BUILD_TIMEOUT)
        except CommandError as error:
            raise ImageError(
                f"pushing {remote} failed (are you logged in? `docker login "
                f"{registry.split('/')[0]}`):\n{error}"
            ) from error
        pushed.append(remote)
    return pushed
