"""Known kind / Docker / Argo Rollouts failures: recognise the output, say what to do.

Each `KnownFailure` matches tool output with a regular expression and carries a one-line
title and a fix. `explain` picks the first match so `up` and `doctor` can print
"what happened" and "what to do next" instead of a raw stack of command output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from clusters.runner import CommandError

__all__ = ["CATALOGUE", "Diagnosis", "KnownFailure", "explain", "explain_error"]


@dataclass(frozen=True)
class KnownFailure:
    """One catalogue entry; `fix` may use `{0}`, `{1}` for the pattern's groups."""

    key: str
    pattern: str
    title: str
    fix: str


@dataclass(frozen=True)
class Diagnosis:
    """A matched failure with its fix filled in."""

    key: str
    title: str
    fix: str

    def render(self) -> str:
        return f"{self.title}\n  fix: {self.fix}"


CATALOGUE: tuple[KnownFailure, ...] = (
    KnownFailure(
        "docker-permission",
        r"permission denied[^\n]*(docker\.sock|docker daemon socket|\.docker/config\.json)",
        "You are not allowed to use the Docker daemon.",
        "add yourself to the docker group (`sudo usermod -aG docker $USER`, then log out and in) "
        "or use rootless Docker",
    ),
    KnownFailure(
        "docker-down",
        r"Cannot connect to the Docker daemon|Is the docker daemon running",
        "Docker is not running.",
        "start Docker (Docker Desktop, Colima, OrbStack or `sudo systemctl start docker`), "
        "check with `docker info`, then run `rollout-lab up` again",
    ),
    KnownFailure(
        "cluster-exists",
        r'node\(s\) already exist for a cluster with the name "([^"]+)"',
        "A kind cluster with this name already exists.",
        "`rollout-lab up` reuses it when its config matches; otherwise run "
        "`rollout-lab down` (or `kind delete cluster --name {0}`) and `up` again",
    ),
    KnownFailure(
        "host-port-taken",
        r"port is already allocated|Ports are not available|address already in use",
        "A host port the lab publishes is already in use.",
        "stop whatever listens on it (`rollout-lab doctor` shows which port), or pick other "
        "ports, then run `rollout-lab up` again",
    ),
    KnownFailure(
        "privileged-port",
        r"bind: permission denied",
        "Rootless Docker cannot publish ports below 1024.",
        "use ports of 1024 or more (the lab defaults to 30080-30082) or lower "
        "`net.ipv4.ip_unprivileged_port_start`",
    ),
    KnownFailure(
        "rootless-cgroup-v2",
        r"rootless provider requires cgroup v2",
        "Rootless Docker/Podman needs the cgroup v2 unified hierarchy for kind.",
        "enable cgroup v2 (systemd.unified_cgroup_hierarchy=1) or use rootful Docker",
    ),
    KnownFailure(
        "rootless-delegate",
        r"Delegate=yes",
        "Rootless Docker/Podman has no delegated cgroup controllers.",
        "add a systemd drop-in with `Delegate=yes` for user@.service (systemd >= 252 does it "
        "by default), then log in again",
    ),
    KnownFailure(
        "podman-log-relay",
        r'could not find a log line that matches "Reached target',
        "Podman does not relay the node's logs, so kind cannot see it boot.",
        'set `log_driver = "k8s-file"` in containers.conf',
    ),
    KnownFailure(
        "wsl-cgroups",
        r"error adding pid \d+ to cgroups",
        "The WSL2 kernel's cgroup layout breaks kind's node containers.",
        "enable cgroup v2 in WSL2 (community fix: spurin/wsl-cgroupsv2), or use Docker Desktop",
    ),
    KnownFailure(
        "containerd-image-store",
        r"ctr: content digest sha256:[0-9a-f]+: not found",
        "kind could not import the image: the local image index lists platforms whose layers "
        "are absent (Docker's containerd image store or OrbStack).",
        "the lab retries automatically with `docker image save --platform` + "
        "`kind load image-archive`; if that fails too, rebuild with `--provenance=false`",
    ),
    KnownFailure(
        "image-not-local",
        r'image: "([^"]+)" not present locally',
        "The image to load into kind was never built.",
        "build it first (`rollout-lab up` builds agent images from agent/Dockerfile) — "
        "check `docker image ls {0}`",
    ),
    KnownFailure(
        "no-nodes",
        r'no nodes found for cluster "([^"]+)"',
        "There is no kind cluster with that name.",
        "run `rollout-lab up` (or pass the right `--cluster-name`; the lab uses {0})",
    ),
    KnownFailure(
        "image-pull",
        r"ErrImagePull|ImagePullBackOff|pull access denied",
        "A pod cannot pull its image.",
        "load the image into the cluster (`rollout-lab up` does this), use a non-latest tag "
        "and `imagePullPolicy: IfNotPresent`; on a shared cluster push with "
        "`rollout-lab images push --registry R` and use `--image-registry R`",
    ),
    KnownFailure(
        "exec-format",
        r"exec format error",
        "The image was built for another CPU architecture than the node's.",
        "rebuild the image on this machine (native architecture) or with "
        "`docker buildx --platform linux/<node arch>`",
    ),
    KnownFailure(
        "non-numeric-user",
        r"image has non-numeric user",
        "The pod requires non-root but the image names its user instead of a numeric UID.",
        "end the Dockerfile with a numeric `USER 10001`",
    ),
    KnownFailure(
        "too-many-files",
        r"too many open files",
        "The host's inotify limits are too low for the cluster's pods.",
        "raise them: `sudo sysctl fs.inotify.max_user_watches=524288 "
        "fs.inotify.max_user_instances=512`",
    ),
    KnownFailure(
        "low-disk",
        r"no space left on device|DiskPressure|eviction",
        "The node is out of disk space.",
        "free space (`docker system prune`) and check `rollout-lab doctor`",
    ),
    KnownFailure(
        "crd-annotation-too-long",
        r"metadata\.annotations: Too long",
        "The Argo Rollouts CRDs are too big for client-side apply.",
        "apply with `kubectl apply --server-side --force-conflicts` (the lab always does)",
    ),
    KnownFailure(
        "status-watch-timeout",
        r"Rollout status watch exceeded timeout",
        "`kubectl argo rollouts status` waits for Healthy; a Paused step never gets there.",
        "check `status.phase == Paused` instead of waiting on `status`",
    ),
    KnownFailure(
        "cgroup-v1",
        r"cgroup v1|cgroupv1",
        "This host uses cgroup v1, which kind has deprecated.",
        "it works for now; plan a move to cgroup v2 (unified hierarchy)",
    ),
)


def explain(text: str) -> Diagnosis | None:
    """The first catalogue entry matching `text`, with its fix filled in, or None."""
    for failure in CATALOGUE:
        match = re.search(failure.pattern, text, flags=re.IGNORECASE)
        if match is not None:
            groups = [group or "" for group in match.groups()]
            return Diagnosis(failure.key, failure.title, failure.fix.format(*groups))
    return None


def explain_error(error: BaseException) -> Diagnosis | None:
    """`explain` over a `CommandError`'s output (or any exception's text)."""
    current: BaseException | None = error
    while current is not None:
        text = current.output if isinstance(current, CommandError) else str(current)
        diagnosis = explain(text)
        if diagnosis is not None:
            return diagnosis
        current = current.__cause__
    return None
