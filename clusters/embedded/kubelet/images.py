"""The images the embedded cluster can "run", each mapped to a Python program.

There is no container runtime: an image name stands for a Python entrypoint plus default
arguments and environment, as its Dockerfile would define them (ENTRYPOINT, CMD, ENV).

Image references are matched after normalising: a registry prefix (`docker.io/`,
`localhost:5001/`, `ghcr.io/`, anything with a dot, colon or `localhost` in its first path
part) and `library/` are dropped, a missing tag means `latest`, and a digest is ignored. So
`localhost:5001/rollout-lab/task-agent:v2` runs the same program as `rollout-lab/task-agent:v2`.

Pod `command`/`args` follow Kubernetes rules (command replaces ENTRYPOINT, args replace CMD;
command without args drops CMD). Only Python invocations can run: the argv must start with
`python`, `python3` or `python3.X` (any directory), followed by `-m MODULE`, `-c CODE` or a
script path.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "AGENT_VERSIONS",
    "ImageCatalog",
    "ImageSpec",
    "UnsupportedCommand",
    "expand_references",
    "normalize_image",
]

AGENT_VERSIONS = ("v1", "v2", "v3", "v4", "v5")
_PYTHON = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")
_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


class UnsupportedCommand(ValueError):
    """The container's command cannot run on the embedded cluster (not a Python program)."""


@dataclass(frozen=True)
class ImageSpec:
    """What an image runs: ENTRYPOINT, CMD and ENV, the entrypoint being a Python argv."""

    name: str
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def image_id(self) -> str:
        """A stable content-like ID, so `imageID` in pod status is never empty."""
        digest = hashlib.sha256(self.name.encode()).hexdigest()
        return f"docker.io/{self.name.rsplit(':', 1)[0]}@sha256:{digest}"


def normalize_image(reference: str) -> str:
    """`repo/name:tag` without registry, `library/` or digest; tag defaults to `latest`."""
    name = reference.strip().split("@", 1)[0]
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    name = "/".join(parts)
    if ":" not in parts[-1]:
        name += ":latest"
    return name


def _lab_images() -> dict[str, ImageSpec]:
    images = {}
    for version in AGENT_VERSIONS:
        name = f"rollout-lab/task-agent:{version}"
        images[name] = ImageSpec(
            name=name,
            entrypoint=("python", "-m", "agent"),
            cmd=("serve",),
            env={"AGENT_VERSION": version, "PORT": "8080"},
        )
    traffic = "rollout-lab/traffic:latest"
    images[traffic] = ImageSpec(name=traffic, entrypoint=("python", "-m", "agent.traffic"))
    return images


def expand_references(text: str, env: Mapping[str, str]) -> str:
    """Kubernetes `$(VAR)` expansion: known variables replaced, `$$` escapes, others kept."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return _REFERENCE.sub(replace, text)


class ImageCatalog:
    """Known images by normalised name; the lab images unless others are given (tests)."""

    def __init__(self, images: Mapping[str, ImageSpec] | None = None) -> None:
        source = _lab_images() if images is None else images
        self._images = {normalize_image(name): spec for name, spec in source.items()}

    def names(self) -> list[str]:
        return sorted(self._images)

    def lookup(self, reference: str) -> ImageSpec | None:
        return self._images.get(normalize_image(reference))

    def unavailable_message(self, reference: str) -> str:
        """Why `reference` cannot run, and what can (the ErrImagePull message)."""
        return (
            f'image "{reference}" is not available on the embedded cluster; it runs only: '
            f"{', '.join(self.names())} (use the kind backend for other images)"
        )

    def program(
        self, spec: ImageSpec, container: Mapping[str, object], env: Mapping[str, str]
    ) -> list[str]:
        """The Python arguments to run (after the interpreter), per Kubernetes command rules."""
        command = _string_list(container.get("command"))
        args = _string_list(container.get("args"))
        if command is None:
            argv = [*spec.entrypoint, *(spec.cmd if args is None else args)]
        else:
            argv = [*command, *(args or [])]
        argv = [expand_references(part, env) for part in argv]
        if not argv or not _PYTHON.match(argv[0]):
            raise UnsupportedCommand(
                f"command {argv!r} cannot run on the embedded cluster: only Python entrypoints "
                "(python -m MODULE ..., python SCRIPT ...) are supported"
            )
        rest = argv[1:]
        if rest[:1] == ["-u"]:
            rest = rest[1:]
        if not rest or (rest[0] in ("-m", "-c") and len(rest) < 2):
            raise UnsupportedCommand(f"command {argv!r} names no module or script to run")
        if rest[0].startswith("-") and rest[0] not in ("-m", "-c"):
            raise UnsupportedCommand(
                f"command {argv!r}: interpreter option {rest[0]!r} is not supported"
            )
        return rest


def _string_list(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise UnsupportedCommand(f"expected a list of strings, got {value!r}")
    return [str(item) for item in value]
