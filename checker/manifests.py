"""The learner's manifest files as typed objects with file and line for every field."""

from __future__ import annotations

import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from checker.yaml_safe import Document, YamlLimits, YamlProblem, load_yaml

__all__ = [
    "MANIFEST_SUFFIXES",
    "ManifestObject",
    "ManifestSet",
    "load_manifest_dir",
    "load_manifests",
]

MANIFEST_SUFFIXES = (".yaml", ".yml")
_MAX_FILES = 50


@dataclass(frozen=True)
class ManifestObject:
    """One Kubernetes object from a file, plus where each of its fields is written."""

    obj: dict[str, Any]
    document: Document
    item_path: tuple[str | int, ...] = ()

    @property
    def file(self) -> str:
        return self.document.file

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or "")

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion") or "")

    @property
    def name(self) -> str:
        metadata = self.obj.get("metadata")
        return str(metadata.get("name") or "") if isinstance(metadata, dict) else ""

    def line(self, *path: str | int) -> int:
        """1-based line of the field at `path` (or its nearest written ancestor)."""
        return self.document.line_of((*self.item_path, *path))

    def where(self, *path: str | int) -> str:
        """`file:line` of the field at `path`, for messages."""
        return f"{self.file}:{self.line(*path)}"

    def get(self, *path: str | int) -> Any:
        """The value at `path`, or None when any step is missing or of the wrong shape."""
        node: Any = self.obj
        for step in path:
            if isinstance(step, int):
                if not isinstance(node, list) or not -len(node) <= step < len(node):
                    return None
                node = node[step]
            else:
                if not isinstance(node, dict):
                    return None
                node = node.get(step)
        return node

    def label(self) -> str:
        return f"{self.kind or '?'} {self.name or '(no name)'!r}"


@dataclass
class ManifestSet:
    """Every object from the learner's files and every problem met reading them."""

    files: list[str] = field(default_factory=list)
    objects: list[ManifestObject] = field(default_factory=list)
    problems: list[YamlProblem] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[ManifestObject]:
        return [item for item in self.objects if item.kind == kind]

    def find(self, kind: str, name: str) -> ManifestObject | None:
        return next((o for o in self.objects if o.kind == kind and o.name == name), None)


def _objects_of(document: Document) -> tuple[list[ManifestObject], list[YamlProblem]]:
    value = document.value
    if not isinstance(value, dict):
        kind = type(value).__name__.replace("str", "text").replace("list", "list")
        return [], [
            YamlProblem(
                document.file,
                document.line_of(()),
                f"document {document.index + 1} is a {kind}, not a Kubernetes object "
                "(expected keys such as apiVersion, kind, metadata)",
            )
        ]
    if value.get("kind") == "List" and isinstance(value.get("items"), list):
        found: list[ManifestObject] = []
        problems: list[YamlProblem] = []
        for i, item in enumerate(value["items"]):
            if isinstance(item, dict):
                found.append(ManifestObject(item, document, ("items", i)))
            else:
                line = document.line_of(("items", i))
                problems.append(YamlProblem(document.file, line, f"items[{i}] is not an object"))
        return found, problems
    return [ManifestObject(value, document)], []


def load_manifests(
    files: Mapping[str, bytes | str], limits: YamlLimits | None = None
) -> ManifestSet:
    """Parse named file contents (name -> bytes) into a ManifestSet; never raises on bad input."""
    limits = limits or YamlLimits()
    result = ManifestSet()
    budget = limits.max_nodes  # one value budget for all files together, so many files stay fast
    for name in sorted(files)[:_MAX_FILES]:
        result.files.append(name)
        if budget <= 0:
            result.problems.append(
                YamlProblem(
                    name, 0, f"not read: the files hold more than {limits.max_nodes} values"
                )
            )
            continue
        loaded = load_yaml(name, files[name], replace(limits, max_nodes=budget))
        budget -= max(loaded.values, 1)
        result.problems.extend(loaded.problems)
        if loaded.problems:
            continue
        for document in loaded.documents:
            objects, problems = _objects_of(document)
            result.objects.extend(objects)
            result.problems.extend(problems)
    if len(files) > _MAX_FILES:
        result.problems.append(
            YamlProblem("(files)", 0, f"{len(files)} files; only the first {_MAX_FILES} are read")
        )
    return result


def _manifest_paths(directory: Path) -> Iterable[Path]:
    for path in sorted(directory.rglob("*")):
        if path.suffix.lower() in MANIFEST_SUFFIXES:
            yield path


def load_manifest_dir(directory: Path, limits: YamlLimits | None = None) -> ManifestSet:
    """Read every *.yaml / *.yml regular file under `directory` (symlinks and pipes skipped)."""
    limits = limits or YamlLimits()
    contents: dict[str, bytes | str] = {}
    skipped: list[YamlProblem] = []
    for path in _manifest_paths(directory):
        name = path.relative_to(directory).as_posix()
        mode = path.lstat().st_mode
        if not stat.S_ISREG(mode):
            skipped.append(
                YamlProblem(name, 0, "not a regular file (link, pipe or device); skipped")
            )
            continue
        size = path.stat().st_size
        if size > limits.max_bytes:
            skipped.append(
                YamlProblem(
                    name,
                    0,
                    f"file is {size / 1_000_000:.1f} MB; manifests larger than "
                    f"{limits.max_bytes / 1_000_000:.1f} MB are not read",
                )
            )
            continue
        with path.open("rb") as handle:
            contents[name] = handle.read(limits.max_bytes + 1)
    result = load_manifests(contents, limits)
    result.files.extend(p.file for p in skipped)
    result.problems.extend(skipped)
    return result
