"""Submission bundles: one zip per learner x lab with manifests, snapshot, timeline, result and
hashes of the shipped lab files. Read entirely in memory with limits; nothing is extracted or run.

Layout: `bundle.json` (format, lab, learner, submitted_at, lab_files {path: sha256}),
`manifests/*.yaml`, `snapshot.json`, `timeline.jsonl`, `result.json` (the learner-side result).
"""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from checker.engine import GradeRequest, grade
from checker.manifests import MANIFEST_SUFFIXES, load_manifests
from checker.results import CheckResult, LabResult, Learner, Status
from checker.rubric import Rubric, scaffolding_hashes
from checker.snapshot import Snapshot, SnapshotError
from checker.timeline import Timeline, TimelineError

__all__ = [
    "BUNDLE_FORMAT",
    "Bundle",
    "BundleError",
    "BundleLimits",
    "error_result",
    "grade_bundle",
    "read_bundle",
    "write_bundle",
]

BUNDLE_FORMAT = "rollout-lab.bundle/v1"


class BundleError(Exception):
    """The bundle cannot be read safely; the message says why."""


@dataclass(frozen=True)
class BundleLimits:
    """Bounds on a bundle zip (compressed size, entries, uncompressed sizes, ratio)."""

    max_zip_bytes: int = 20_000_000
    max_entries: int = 200
    max_entry_bytes: int = 5_000_000
    max_total_bytes: int = 30_000_000
    max_ratio: int = 200


@dataclass
class Bundle:
    """A bundle's contents after safe reading."""

    lab: str
    learner: Learner
    submitted_at: str = ""
    manifests: dict[str, bytes] = field(default_factory=dict)
    snapshot: Snapshot | None = None
    timeline: Timeline | None = None
    result: dict[str, Any] | None = None
    lab_files: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def write_bundle(
    path: Path,
    *,
    lab: str,
    learner: Learner,
    manifests: dict[str, bytes],
    snapshot: Snapshot | None = None,
    timeline: Timeline | None = None,
    result: LabResult | None = None,
    lab_files: dict[str, str] | None = None,
) -> Path:
    """Write a bundle zip; `manifests` maps relative names to file bytes."""
    meta = {
        "format": BUNDLE_FORMAT,
        "lab": lab,
        "learner": learner.__dict__,
        "submitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "lab_files": dict(lab_files or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("bundle.json", json.dumps(meta, indent=2, sort_keys=True))
        for name, data in sorted(manifests.items()):
            archive.writestr(f"manifests/{name}", data)
        if snapshot is not None:
            archive.writestr("snapshot.json", json.dumps(snapshot.to_dict(), sort_keys=True))
        if timeline is not None:
            archive.writestr("timeline.jsonl", timeline.to_jsonl())
        if result is not None:
            archive.writestr("result.json", json.dumps(result.to_dict(), sort_keys=True))
    return path


def _safe_name(name: str) -> str | None:
    """The entry name if it stays inside the bundle, else None."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/") or ":" in name:
        return None
    parts = PurePosixPath(name).parts
    if any(part in ("..", "") for part in parts):
        return None
    return name


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: BundleLimits) -> bytes:
    with archive.open(info) as handle:
        data = handle.read(limits.max_entry_bytes + 1)
    if len(data) > limits.max_entry_bytes:
        raise BundleError(f"entry {info.filename!r} is larger than {limits.max_entry_bytes} bytes")
    return data


def _json(name: str, data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise BundleError(f"{name} is not valid UTF-8 JSON ({type(error).__name__})") from error


def _members(archive: zipfile.ZipFile, limits: BundleLimits) -> list[zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise BundleError(f"bundle has {len(infos)} entries; the limit is {limits.max_entries}")
    seen: set[str] = set()
    total = 0
    for info in infos:
        if _safe_name(info.filename) is None:
            raise BundleError(f"unsafe path in bundle: {info.filename[:80]!r}")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise BundleError(f"bundle entry {info.filename!r} is a symbolic link")
        if info.filename in seen:
            raise BundleError(f"bundle has two entries named {info.filename!r}")
        seen.add(info.filename)
        total += info.file_size
        if total > limits.max_total_bytes:
            raise BundleError(f"bundle expands to more than {limits.max_total_bytes} bytes")
        ratio = info.file_size / info.compress_size if info.compress_size else 0
        if ratio > limits.max_ratio and info.file_size > 1_000_000:
            raise BundleError(f"entry {info.filename!r} is a compression bomb")
    return infos


def read_bundle(path: Path, limits: BundleLimits | None = None) -> Bundle:
    """Read and check a bundle; BundleError when it is unreadable or unsafe."""
    limits = limits or BundleLimits()
    try:
        info = os.stat(path)
    except OSError as error:
        raise BundleError(f"cannot open bundle: {error.strerror}") from error
    if not stat.S_ISREG(info.st_mode):
        raise BundleError("bundle is not a regular file")
    if info.st_size > limits.max_zip_bytes:
        raise BundleError(f"bundle is {info.st_size} bytes; the limit is {limits.max_zip_bytes}")
    with open(path, "rb") as handle:
        raw = handle.read(limits.max_zip_bytes + 1)
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise BundleError(f"not a zip file ({error})") from error
    try:
        with archive:
            return _contents(archive, limits)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise BundleError(f"corrupt zip ({type(error).__name__}: {error})") from error


def _contents(archive: zipfile.ZipFile, limits: BundleLimits) -> Bundle:
    infos = {i.filename: i for i in _members(archive, limits)}
    if "bundle.json" not in infos:
        raise BundleError("bundle.json is missing")
    meta = _json("bundle.json", _read_entry(archive, infos["bundle.json"], limits))
    if not isinstance(meta, dict) or meta.get("format") != BUNDLE_FORMAT:
        raise BundleError(f"bundle.json is not a {BUNDLE_FORMAT} header")
    lab_files = meta.get("lab_files") if isinstance(meta.get("lab_files"), dict) else {}
    bundle = Bundle(
        lab=str(meta.get("lab") or ""),
        learner=Learner.from_dict(meta.get("learner")),
        submitted_at=str(meta.get("submitted_at") or ""),
        lab_files={str(k): str(v) for k, v in (lab_files or {}).items()},
    )
    for name, info in infos.items():
        if name.startswith("manifests/") and not info.is_dir():
            relative = name[len("manifests/") :]
            if PurePosixPath(relative).suffix.lower() in MANIFEST_SUFFIXES:
                bundle.manifests[relative] = _read_entry(archive, info, limits)
    if "snapshot.json" in infos:
        try:
            data = _json("snapshot.json", _read_entry(archive, infos["snapshot.json"], limits))
            bundle.snapshot = Snapshot.from_dict(data)
        except (BundleError, SnapshotError) as error:
            bundle.problems.append(str(error))
    if "timeline.jsonl" in infos:
        raw = _read_entry(archive, infos["timeline.jsonl"], limits)
        try:
            bundle.timeline = Timeline.from_jsonl(raw.decode("utf-8"))
        except (UnicodeDecodeError, TimelineError) as error:
            bundle.problems.append(f"timeline.jsonl: {error}")
    if "result.json" in infos:
        data = _json("result.json", _read_entry(archive, infos["result.json"], limits))
        bundle.result = data if isinstance(data, dict) else None
    return bundle


def error_result(
    rubric: Rubric, source: str, message: str, learner: Learner | None = None
) -> LabResult:
    """A result whose every check is `error`: the submission could not be graded."""
    from checker.engine import CHECKER_VERSION

    checks = [
        CheckResult(c.id, c.title, c.family, Status.ERROR, 0.0, c.points, c.visibility, message)
        for c in rubric.checks
    ]
    return LabResult(
        lab=rubric.id,
        lab_title=rubric.title,
        checks=checks,
        mode="offline",
        checker_version=CHECKER_VERSION,
        rubric_hash=rubric.hash,
        learner=learner or Learner(id=Path(source).stem),
        errors=[message],
        source=source,
        graded_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


_SHIPPED: dict[tuple[str, str], dict[str, str]] = {}


def _shipped_hashes(rubric: Rubric) -> dict[str, str]:
    """Hashes of the lab's shipped files, computed once per rubric in this process."""
    if rubric.folder is None:
        return {}
    key = (str(rubric.folder), rubric.hash)
    if key not in _SHIPPED:
        _SHIPPED[key] = scaffolding_hashes(rubric.folder, rubric.scaffolding)
    return _SHIPPED[key]


def grade_bundle(rubric: Rubric, path: Path) -> LabResult:
    """Re-grade one bundle offline against the instructor's rubric; never raises for bad input."""
    try:
        bundle = read_bundle(path)
    except BundleError as error:
        return error_result(rubric, str(path), f"unreadable bundle: {error}")
    if bundle.lab != rubric.id:
        return error_result(
            rubric,
            str(path),
            f"bundle is for lab {bundle.lab!r}, not {rubric.id!r}",
            bundle.learner,
        )
    shipped = _shipped_hashes(rubric)
    edited = sorted(n for n, h in bundle.lab_files.items() if n in shipped and shipped[n] != h)
    request = GradeRequest(
        rubric=rubric,
        mode="offline",
        manifests=load_manifests(bundle.manifests),
        snapshot=bundle.snapshot,
        timeline=bundle.timeline,
        learner=bundle.learner,
        submitted_at=bundle.submitted_at,
        integrity=edited,
        errors=list(bundle.problems),
        source=str(path),
        environment={"backend": bundle.snapshot.backend if bundle.snapshot else ""},
    )
    return grade(request)
