"""Results as data: what a rule returns (Outcome), one check's result, one learner's lab result.

Every report (terminal, result.json, Gradescope, JUnit, CSV) renders from `LabResult`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

__all__ = [
    "RESULT_SCHEMA",
    "CheckResult",
    "LabResult",
    "Learner",
    "Outcome",
    "Status",
    "Visibility",
]

RESULT_SCHEMA = "rollout-lab.result/v1"


class Status(StrEnum):
    """A check's state. Only `failed` is a verdict against the learner."""

    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"  # the cluster is not there yet (still rolling, not applied yet)
    ERROR = "error"  # the checker could not decide (no cluster, corrupt input, rule error)
    SKIPPED = "skipped"  # not run in this mode (e.g. --static)


class Visibility(StrEnum):
    """Who sees a check's result and when (mirrors Gradescope's visibility values)."""

    VISIBLE = "visible"
    HIDDEN = "hidden"
    AFTER_DUE = "after-due"


@dataclass(frozen=True)
class Outcome:
    """What a rule saw: status, an observation in words (never the answer), evidence command."""

    status: Status
    observed: str
    evidence: str = ""
    where: str = ""

    @classmethod
    def passed(cls, observed: str, evidence: str = "", where: str = "") -> Outcome:
        return cls(Status.PASSED, observed, evidence, where)

    @classmethod
    def failed(cls, observed: str, evidence: str = "", where: str = "") -> Outcome:
        return cls(Status.FAILED, observed, evidence, where)

    @classmethod
    def pending(cls, observed: str, evidence: str = "") -> Outcome:
        return cls(Status.PENDING, observed, evidence)

    @classmethod
    def error(cls, observed: str, evidence: str = "") -> Outcome:
        return cls(Status.ERROR, observed, evidence)


@dataclass
class CheckResult:
    """One rubric check after grading."""

    id: str
    title: str
    family: str
    status: Status
    score: float
    max_score: float
    visibility: Visibility
    observed: str = ""
    evidence: str = ""
    where: str = ""
    hint: str = ""
    hint_level: int = 0
    hints_total: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = str(self.status)
        data["visibility"] = str(self.visibility)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        values = dict(data)
        values["status"] = Status(values["status"])
        values["visibility"] = Visibility(values["visibility"])
        return cls(**values)


@dataclass
class Learner:
    """Who submitted; the identifier fields a Canvas gradebook import matches on."""

    id: str = ""
    name: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""

    @classmethod
    def from_dict(cls, data: Any) -> Learner:
        if not isinstance(data, dict):
            return cls()
        return cls(**{k: str(data.get(k) or "")[:200] for k in cls.__dataclass_fields__})


@dataclass
class LabResult:
    """One learner x lab x attempt: the canonical record behind every report."""

    lab: str
    lab_title: str
    checks: list[CheckResult]
    mode: str  # "static" | "cluster" | "offline"
    checker_version: str
    rubric_hash: str
    learner: Learner = field(default_factory=Learner)
    environment: dict[str, str] = field(default_factory=dict)
    graded_at: str = ""
    submitted_at: str = ""
    integrity: list[str] = field(default_factory=list)  # shipped lab files that were edited
    errors: list[str] = field(default_factory=list)  # problems with the submission as a whole
    source: str = ""  # bundle path or working directory

    @property
    def score(self) -> float:
        return sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        """Points of the checks that ran (skipped checks are not counted)."""
        return sum(c.max_score for c in self.checks if c.status is not Status.SKIPPED)

    @property
    def points_possible(self) -> float:
        return sum(c.max_score for c in self.checks)

    @property
    def gradable(self) -> bool:
        """False when the checker could not decide something (pending/error) or the input broke."""
        undecided = any(c.status in (Status.PENDING, Status.ERROR) for c in self.checks)
        return not undecided and not self.errors

    def counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in Status}
        for check in self.checks:
            counts[str(check.status)] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": RESULT_SCHEMA,
            "lab": self.lab,
            "lab_title": self.lab_title,
            "learner": asdict(self.learner),
            "mode": self.mode,
            "checker_version": self.checker_version,
            "rubric_hash": self.rubric_hash,
            "environment": dict(self.environment),
            "graded_at": self.graded_at,
            "submitted_at": self.submitted_at,
            "source": self.source,
            "score": self.score,
            "max_score": self.max_score,
            "points_possible": self.points_possible,
            "gradable": self.gradable,
            "counts": self.counts(),
            "integrity": {"edited_files": list(self.integrity)},
            "errors": list(self.errors),
            "checks": [c.to_dict() for c in self.checks],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabResult:
        if data.get("schema") != RESULT_SCHEMA:
            raise ValueError(f"not a {RESULT_SCHEMA} document (schema={data.get('schema')!r})")
        return cls(
            lab=data["lab"],
            lab_title=data.get("lab_title", ""),
            checks=[CheckResult.from_dict(c) for c in data.get("checks", [])],
            mode=data.get("mode", ""),
            checker_version=data.get("checker_version", ""),
            rubric_hash=data.get("rubric_hash", ""),
            learner=Learner.from_dict(data.get("learner")),
            environment=dict(data.get("environment") or {}),
            graded_at=data.get("graded_at", ""),
            submitted_at=data.get("submitted_at", ""),
            integrity=list((data.get("integrity") or {}).get("edited_files", [])),
            errors=list(data.get("errors", [])),
            source=data.get("source", ""),
        )
