"""Find the pinned kind binary: on PATH if its version matches, else from the lab cache.

A missing cached binary is downloaded from the pinned release URL and verified against the
SHA-256 pinned in `pins.py` before it is made executable and atomically renamed into place;
a cached binary is re-verified before every use. Errors say exactly what to do offline.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from clusters.kind.pins import KIND_CHECKSUMS, KIND_DOWNLOAD_BASE, KIND_VERSION
from clusters.runner import CommandError, Runner

__all__ = [
    "ChecksumError",
    "Fetcher",
    "KindBinary",
    "KindUnavailable",
    "ensure_kind",
    "kind_asset",
    "kind_url",
    "parse_kind_version",
    "sha256_file",
    "urllib_fetch",
    "verify_checksum",
]

_ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
_VERSION_PATTERN = re.compile(r"\bkind (v\d+\.\d+\.\d+\S*)")
_INSTALL_DOCS = "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"

Fetcher = Callable[[str, Path, float], None]


class KindUnavailable(Exception):
    """No usable kind binary could be found or obtained; the message says how to fix it."""


class ChecksumError(Exception):
    """A file's SHA-256 differs from the pinned value, or the file is missing."""


@dataclass(frozen=True)
class KindBinary:
    """The kind binary the backend will run, its version and where it came from."""

    path: Path
    version: str
    source: str  # "PATH" | "cache" | "download"


def kind_asset(system: str | None = None, machine: str | None = None) -> str:
    """Release asset name for this platform, e.g. `kind-linux-amd64`."""
    os_name = (system or platform.system()).lower()
    arch = _ARCHES.get((machine or platform.machine()).lower())
    if os_name not in ("linux", "darwin", "windows") or arch is None:
        raise KindUnavailable(
            f"kind publishes no binary for {os_name}/{machine or platform.machine()}; "
            "kind runs on linux, macOS and Windows on amd64 or arm64"
        )
    return f"kind-{os_name}-{arch}"


def kind_url(asset: str, version: str = KIND_VERSION) -> str:
    """The pinned download URL (kind's site redirects to the GitHub release asset)."""
    return f"{KIND_DOWNLOAD_BASE}/{version}/{asset}"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(path: Path, expected: str) -> None:
    """Raise `ChecksumError` unless `path` exists and hashes to `expected`."""
    if not path.is_file():
        raise ChecksumError(f"{path} does not exist, so its checksum cannot be verified")
    actual = sha256_file(path)
    if actual != expected.lower():
        raise ChecksumError(
            f"{path} has SHA-256 {actual}, expected {expected.lower()} "
            "(truncated download, wrong platform, or a tampered file)"
        )


def parse_kind_version(output: str) -> str | None:
    """`kind v0.32.0 go1.24 linux/amd64` -> `v0.32.0`."""
    match = _VERSION_PATTERN.search(output)
    return match.group(1) if match else None


def urllib_fetch(
    url: str, destination: Path, timeout: float, delays: tuple[float, ...] = (1.0, 2.0)
) -> None:
    """Download `url` to `destination`, retrying on network errors, 408, 429 and 5xx."""
    for attempt in range(len(delays) + 1):
        try:
            with (
                urllib.request.urlopen(url, timeout=timeout) as response,
                open(destination, "wb") as handle,
            ):
                shutil.copyfileobj(response, handle)
            return
        except urllib.error.HTTPError as error:
            retryable = error.code in (408, 429) or error.code >= 500
            if not retryable or attempt == len(delays):
                raise
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            if attempt == len(delays):
                raise
        time.sleep(delays[attempt])


def _path_kind(runner: Runner, which: Callable[[str], str | None]) -> tuple[Path, str] | None:
    found = which("kind")
    if found is None:
        return None
    try:
        result = runner.run([found, "version"], timeout=20)
    except CommandError:
        return None
    version = parse_kind_version(result.stdout + result.stderr)
    return (Path(found), version) if version else None


def ensure_kind(
    cache_dir: Path,
    runner: Runner,
    *,
    version: str = KIND_VERSION,
    checksums: Mapping[str, str] = KIND_CHECKSUMS,
    asset: str | None = None,
    fetch: Fetcher = urllib_fetch,
    which: Callable[[str], str | None] = shutil.which,
    timeout: float = 120.0,
) -> KindBinary:
    """Return a verified kind binary of `version`, downloading into `cache_dir` if needed."""
    on_path = _path_kind(runner, which)
    if on_path is not None and on_path[1] == version:
        return KindBinary(on_path[0], version, "PATH")
    asset = asset or kind_asset()
    expected = checksums.get(asset)
    cached = Path(cache_dir) / f"kind-{version}"
    mismatch = (
        f" (the kind on PATH, {on_path[0]}, is {on_path[1]}; the lab pins {version})"
        if on_path
        else ""
    )
    if expected is None:
        raise KindUnavailable(
            f"no pinned SHA-256 for {asset} {version}, so the lab will not download it{mismatch}. "
            f"Install kind {version} yourself ({_INSTALL_DOCS}) and put it on PATH."
        )
    if cached.is_file():
        try:
            verify_checksum(cached, expected)
            return KindBinary(cached, version, "cache")
        except ChecksumError:
            cached.unlink()
    url = kind_url(asset, version)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_name(cached.name + ".partial")
    try:
        fetch(url, partial, timeout)
        verify_checksum(partial, expected)
    except ChecksumError as error:
        partial.unlink(missing_ok=True)
        raise KindUnavailable(
            f"downloaded kind failed verification and was deleted: {error}"
        ) from error
    except (OSError, urllib.error.URLError) as error:
        partial.unlink(missing_ok=True)
        raise KindUnavailable(
            f"could not download kind {version} from {url}: {error}{mismatch}.\n"
            f"Without internet access: install kind {version} ({_INSTALL_DOCS}) and put it on "
            f"PATH, or copy the {asset} binary to {cached} "
            f"(it must have SHA-256 {expected})."
        ) from error
    os.chmod(partial, 0o755)
    os.replace(partial, cached)
    return KindBinary(cached, version, "download")
