"""A lab's rubric (`labs/<lab>/lab.yaml`): schema, loading with line-numbered errors, hashing.

Format (see RUBRIC_SCHEMA): `schema: rollout-lab/rubric@1`, `id`, `title`, `namespace`,
`scaffolding` (shipped files hashed for integrity), `live` (deadline/poll seconds), `defaults`
(params merged into every check whose rule declares them) and `checks[]` with `id`, `title`,
`rule` (`family.name`), `params`, `points`, `visibility` and `hints` (a ladder, mildest first).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from checker import analysis_rules, manifest_rules, state_rules, strategy_rules, timeline_rules
from checker.results import Visibility
from checker.rules import RULES, RuleSpec
from checker.yaml_safe import Document, load_yaml

__all__ = [
    "RUBRIC_SCHEMA",
    "CheckSpec",
    "Rubric",
    "RubricError",
    "load_rubric",
    "parse_rubric",
    "scaffolding_hashes",
]

from checker import bluegreen_rules, deployment_rules, quiz_rules, release_rules

_CORE_RULES = (manifest_rules, strategy_rules, analysis_rules, state_rules, timeline_rules)
_RULE_MODULES = (*_CORE_RULES, deployment_rules, bluegreen_rules, release_rules, quiz_rules)

RUBRIC_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["schema", "id", "title", "checks"],
    "additionalProperties": False,
    "properties": {
        "schema": {"const": "rollout-lab/rubric@1"},
        "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"},
        "title": {"type": "string", "minLength": 1},
        "namespace": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
        "scaffolding": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "live": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "deadline_seconds": {"type": "number", "exclusiveMinimum": 0},
                "poll_seconds": {"type": "number", "exclusiveMinimum": 0},
            },
        },
        "defaults": {"type": "object"},
        "checks": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "title", "rule", "points"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"},
                    "title": {"type": "string", "minLength": 1},
                    "rule": {"type": "string", "pattern": r"^(manifest|state|timeline)\.[a-z_]+$"},
                    "params": {"type": "object"},
                    "points": {"type": "number", "minimum": 0},
                    "visibility": {"enum": [str(v) for v in Visibility]},
                    "hints": {"type": "array", "items": {"type": "string", "minLength": 1}},
                },
            },
        },
    },
}


class RubricError(Exception):
    """A rubric that cannot be used; the message starts with `file:line:`."""


@dataclass(frozen=True)
class CheckSpec:
    """One check of a rubric, resolved against the rule registry."""

    id: str
    title: str
    rule: RuleSpec
    params: dict[str, Any]
    points: float
    visibility: Visibility
    hints: tuple[str, ...]

    @property
    def family(self) -> str:
        return self.rule.family


@dataclass
class Rubric:
    """A parsed, validated rubric plus the folder it came from and its content hash."""

    id: str
    title: str
    checks: list[CheckSpec]
    namespace: str = ""
    scaffolding: list[str] = field(default_factory=list)
    deadline_seconds: float = 60.0
    poll_seconds: float = 2.0
    folder: Path | None = None
    hash: str = ""

    @property
    def points_possible(self) -> float:
        return sum(c.points for c in self.checks)


def _fail(document: Document, path: tuple[str | int, ...], message: str) -> RubricError:
    return RubricError(f"{document.file}:{document.line_of(path)}: {message}")


def _error_path(error: jsonschema.ValidationError) -> tuple[str | int, ...]:
    """Where a schema error is: an unexpected key points at that key, not its parent."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            return (*path, extra[0])
    return path


def parse_rubric(name: str, text: bytes | str) -> Rubric:
    """Parse and validate rubric text; RubricError pointing at the offending line."""
    assert _RULE_MODULES  # importing the modules registers their rules
    loaded = load_yaml(name, text)
    if loaded.problems:
        problem = loaded.problems[0]
        raise RubricError(f"{problem.where()}: {problem.message}")
    if len(loaded.documents) != 1:
        raise RubricError(f"{name}:1: a rubric is exactly one YAML document")
    document = loaded.documents[0]
    data = document.value
    validator = jsonschema.Draft202012Validator(RUBRIC_SCHEMA)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        error = errors[0]
        path = _error_path(error)
        where = ".".join(map(str, path)) or "(top level)"
        raise _fail(document, path, f"{where}: {error.message}")
    defaults = data.get("defaults") or {}
    checks: list[CheckSpec] = []
    seen: set[str] = set()
    for index, raw in enumerate(data["checks"]):
        here = ("checks", index)
        if raw["id"] in seen:
            raise _fail(document, (*here, "id"), f"duplicate check id {raw['id']!r}")
        seen.add(raw["id"])
        spec = RULES.get(raw["rule"])
        if spec is None:
            known = ", ".join(
                sorted(r for r in RULES if r.split(".")[0] == raw["rule"].split(".")[0])
            )
            raise _fail(document, (*here, "rule"), f"unknown rule {raw['rule']!r}; known: {known}")
        declared = spec.params.get("properties", {})
        params = {k: v for k, v in defaults.items() if k in declared}
        params.update(raw.get("params") or {})
        param_errors = list(jsonschema.Draft202012Validator(spec.params).iter_errors(params))
        if param_errors:
            error = param_errors[0]
            path = (*here, "params", *_error_path(error))
            raise _fail(document, path, f"params of {raw['rule']}: {error.message}")
        checks.append(
            CheckSpec(
                id=raw["id"],
                title=raw["title"],
                rule=spec,
                params=params,
                points=float(raw["points"]),
                visibility=Visibility(raw.get("visibility", "visible")),
                hints=tuple(raw.get("hints") or ()),
            )
        )
    live = data.get("live") or {}
    return Rubric(
        id=data["id"],
        title=data["title"],
        checks=checks,
        namespace=data.get("namespace", ""),
        scaffolding=list(data.get("scaffolding") or []),
        deadline_seconds=float(live.get("deadline_seconds", 60.0)),
        poll_seconds=float(live.get("poll_seconds", 2.0)),
    )


def scaffolding_hashes(folder: Path, patterns: list[str]) -> dict[str, str]:
    """sha256 of every shipped file matching `patterns` (relative to the lab folder)."""
    hashes: dict[str, str] = {}
    for pattern in patterns:
        for path in sorted(folder.glob(pattern)):
            if path.is_file() and not path.is_symlink():
                hashes[path.relative_to(folder).as_posix()] = hashlib.sha256(
                    path.read_bytes()
                ).hexdigest()
    return hashes


def load_rubric(folder: Path) -> Rubric:
    """Load `folder/lab.yaml`, validate it and hash it with its scaffolding files."""
    path = folder / "lab.yaml"
    try:
        text = path.read_bytes()
    except OSError as error:
        raise RubricError(f"{path}:0: cannot read the rubric ({error.strerror})") from error
    rubric = parse_rubric(str(path), text)
    rubric.folder = folder
    digest = hashlib.sha256(text)
    for name, file_hash in sorted(scaffolding_hashes(folder, rubric.scaffolding).items()):
        digest.update(f"\n{name}:{file_hash}".encode())
    rubric.hash = "sha256:" + digest.hexdigest()
    return rubric
