"""Versioned prompt templates: the data files that make v1..v5 behave differently.

The agent has no model weights; a template's rules and weights drive a deterministic planner,
so every version runs the same code and differs only in `templates/<version>.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = [
    "MAX_TEMPLATE_BYTES",
    "PRIORITIES",
    "DueBand",
    "PromptTemplate",
    "TemplateError",
    "available_versions",
    "load_template",
    "parse_template",
]

MAX_TEMPLATE_BYTES = 64 * 1024
PRIORITIES = ("P0", "P1", "P2", "P3")
SCHEMA = "rollout-lab/prompt-template@1"


class TemplateError(ValueError):
    """A template file is missing, too large or malformed; the message names the problem."""


@dataclass(frozen=True)
class DueBand:
    """Tasks due within `within_hours` earn `points` of urgency (first matching band wins)."""

    within_hours: float
    points: float


@dataclass(frozen=True)
class PromptTemplate:
    """One version's planner rules, read from its YAML file."""

    name: str
    version: str
    revision: str
    description: str
    image: str
    thinking_base_ms: float
    thinking_jitter_ms: float
    failure_rate: float
    failure_message: str
    ready: bool
    not_ready_reason: str
    extra_fields: tuple[str, ...]
    due_bands: tuple[DueBand, ...]
    weight_urgency: float
    weight_impact: float
    weight_effort: float
    tag_points: dict[str, float] = field(default_factory=dict)
    title_points: dict[str, float] = field(default_factory=dict)
    thresholds: dict[str, float] = field(default_factory=dict)
    subtask_min_effort: int = 4
    subtask_steps: tuple[str, ...] = ()


def available_versions() -> list[str]:
    """Versions that ship a template, sorted (v1, v2, ...)."""
    folder = resources.files("agent") / "templates"
    names = [p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml")]
    return sorted(names, key=lambda name: (len(name), name))


@cache
def load_template(version: str) -> PromptTemplate:
    """Read and validate the packaged template for `version` (e.g. "v3")."""
    known = available_versions()
    if version not in known:
        raise TemplateError(f"unknown agent version {version!r}; choose one of {', '.join(known)}")
    resource = resources.files("agent") / "templates" / f"{version}.yaml"
    template = parse_template(resource.read_bytes(), source=f"templates/{version}.yaml")
    if template.version != version:
        raise TemplateError(f"templates/{version}.yaml declares version {template.version!r}")
    return template


def parse_template(raw: bytes, source: str = "<template>") -> PromptTemplate:
    """Parse template YAML (size-limited, safe loader) into a validated `PromptTemplate`."""
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"{source} is {len(raw)} bytes; the limit is {MAX_TEMPLATE_BYTES}")
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise TemplateError(f"{source} is not valid YAML: {error}") from error
    reader = _Reader(data, source)
    if reader.text("schema") != SCHEMA:
        raise TemplateError(f"{source}: schema must be {SCHEMA!r}")
    thinking = reader.section("thinking")
    failure = reader.section("failure")
    readiness = reader.section("readiness")
    response = reader.section("response")
    scoring = reader.section("scoring")
    weights = scoring.section("weights")
    subtasks = reader.section("subtasks")
    thresholds = {p: scoring.section("thresholds").number(p) for p in PRIORITIES[:-1]}
    if not thresholds["P0"] >= thresholds["P1"] >= thresholds["P2"]:
        raise TemplateError(f"{source}: thresholds must satisfy P0 >= P1 >= P2")
    rate = failure.number("rate")
    if not 0.0 <= rate <= 1.0:
        raise TemplateError(f"{source}: failure.rate must be between 0 and 1")
    bands = tuple(
        DueBand(within_hours=band.number("within_hours"), points=band.number("points"))
        for band in scoring.items("due_bands")
    )
    return PromptTemplate(
        name=reader.text("name"),
        version=reader.text("version"),
        revision=reader.text("revision"),
        description=reader.text("description"),
        image=reader.text("image"),
        thinking_base_ms=thinking.number("base_ms"),
        thinking_jitter_ms=thinking.number("jitter_ms"),
        failure_rate=rate,
        failure_message=failure.text("message"),
        ready=readiness.flag("ready"),
        not_ready_reason=readiness.text("reason"),
        extra_fields=tuple(response.strings("extra_fields")),
        due_bands=bands,
        weight_urgency=weights.number("urgency"),
        weight_impact=weights.number("impact"),
        weight_effort=weights.number("effort"),
        tag_points=scoring.number_map("tag_points"),
        title_points=scoring.number_map("title_points"),
        thresholds=thresholds,
        subtask_min_effort=int(subtasks.number("min_effort")),
        subtask_steps=tuple(subtasks.strings("steps")),
    )


class _Reader:
    """Typed access to one mapping of the template, with errors naming the dotted path."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise TemplateError(f"{path}: expected a mapping")
        self._data = data
        self._path = path

    def _get(self, key: str) -> Any:
        if key not in self._data:
            raise TemplateError(f"{self._path}: missing {key!r}")
        return self._data[key]

    def section(self, key: str) -> _Reader:
        return _Reader(self._get(key), f"{self._path}.{key}")

    def items(self, key: str) -> list[_Reader]:
        value = self._get(key)
        if not isinstance(value, list):
            raise TemplateError(f"{self._path}.{key}: expected a list")
        return [_Reader(item, f"{self._path}.{key}[{i}]") for i, item in enumerate(value)]

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise TemplateError(f"{self._path}.{key}: expected a string")
        return value

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise TemplateError(f"{self._path}.{key}: expected true or false")
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TemplateError(f"{self._path}.{key}: expected a number")
        return float(value)

    def strings(self, key: str) -> list[str]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise TemplateError(f"{self._path}.{key}: expected a list of strings")
        return list(value)

    def number_map(self, key: str) -> dict[str, float]:
        value = self._get(key)
        if not isinstance(value, dict):
            raise TemplateError(f"{self._path}.{key}: expected a mapping")
        inner = _Reader(value, f"{self._path}.{key}")
        return {str(k): inner.number(k) for k in value}
