"""Run a rubric's checks over the inputs and build the LabResult.

Modes: `static` (manifest rules only, the rest skipped), `cluster` (live: snapshot/timeline
sources are polled until nothing is pending or the deadline passes; never `failed` because the
cluster is not ready), `offline` (a submitted bundle: the snapshot is final, so pending means
the work was not finished when submitted and counts as failed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from checker.manifests import ManifestSet
from checker.results import CheckResult, LabResult, Learner, Outcome, Status
from checker.rubric import CheckSpec, Rubric
from checker.rules import RuleInputs
from checker.snapshot import Snapshot, SnapshotError
from checker.timeline import Timeline

__all__ = ["CHECKER_VERSION", "MODES", "GradeRequest", "grade"]

CHECKER_VERSION = "0.1.0"
MODES = ("static", "cluster", "offline")


@dataclass
class GradeRequest:
    """Everything one grading needs; live sources are callables so tests can feed fixtures."""

    rubric: Rubric
    mode: str = "static"
    manifests: ManifestSet | None = None
    snapshot: Snapshot | None = None
    timeline: Timeline | None = None
    snapshot_source: Callable[[], Snapshot] | None = None
    timeline_source: Callable[[], Timeline] | None = None
    hint_levels: Mapping[str, int] = field(default_factory=dict)
    learner: Learner = field(default_factory=Learner)
    environment: dict[str, str] = field(default_factory=dict)
    submitted_at: str = ""
    integrity: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    source: str = ""
    deadline_seconds: float | None = None


def _run(check: CheckSpec, inputs: RuleInputs) -> Outcome:
    try:
        return check.rule.fn(inputs, dict(check.params))
    except Exception as error:  # a rule bug must become an error row, never a crash
        return Outcome.error(
            f"checker fault in {check.rule.name} ({type(error).__name__}: {error})"
        )


def _result(check: CheckSpec, outcome: Outcome, level: int) -> CheckResult:
    hint = ""
    shown_level = 0
    if outcome.status in (Status.FAILED, Status.PENDING) and check.hints:
        shown_level = min(max(level, 0), len(check.hints) - 1) + 1
        hint = check.hints[shown_level - 1]
    return CheckResult(
        id=check.id,
        title=check.title,
        family=check.family,
        status=outcome.status,
        score=check.points if outcome.status is Status.PASSED else 0.0,
        max_score=check.points,
        visibility=check.visibility,
        observed=outcome.observed,
        evidence=outcome.evidence,
        where=outcome.where,
        hint=hint,
        hint_level=shown_level,
        hints_total=len(check.hints),
    )


def _live_round(
    request: GradeRequest, checks: list[CheckSpec], inputs: RuleInputs
) -> tuple[dict[str, Outcome], bool]:
    """One polling round: outcomes, and whether another round could change them."""
    problem = ""
    retry = True
    if request.snapshot_source is not None:
        try:
            inputs.snapshot = request.snapshot_source()
        except SnapshotError as error:
            problem, retry = str(error), error.retry
    if request.timeline_source is not None:
        inputs.timeline = request.timeline_source()
    outcomes = {}
    for check in checks:
        if problem and check.family == "state":
            outcomes[check.id] = Outcome.error(f"cluster not ready: {problem}")
        else:
            outcomes[check.id] = _run(check, inputs)
    return outcomes, retry


def grade(
    request: GradeRequest,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> LabResult:
    """Grade once (static/offline) or poll until settled (cluster); returns the LabResult."""
    rubric = request.rubric
    if request.mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    inputs = RuleInputs(
        manifests=request.manifests,
        snapshot=request.snapshot,
        timeline=request.timeline,
        namespace=rubric.namespace,
    )
    outcomes: dict[str, Outcome] = {}
    live_checks = [c for c in rubric.checks if c.family != "manifest"]
    for check in rubric.checks:
        if check.family != "manifest":
            continue
        if request.manifests is None:
            outcomes[check.id] = Outcome.error("no manifest files were given to the checker")
        else:
            outcomes[check.id] = _run(check, inputs)
    if request.mode == "static":
        for check in live_checks:
            outcomes[check.id] = Outcome(Status.SKIPPED, "static mode: this check needs a cluster")
    elif request.mode == "offline":
        for check in live_checks:
            outcome = _run(check, inputs)
            if outcome.status is Status.PENDING:
                outcome = Outcome.failed(f"when submitted: {outcome.observed}", outcome.evidence)
            outcomes[check.id] = outcome
    else:
        deadline_seconds = request.deadline_seconds or rubric.deadline_seconds
        deadline = clock() + deadline_seconds
        while True:
            round_outcomes, retry = _live_round(request, live_checks, inputs)
            outcomes.update(round_outcomes)
            unsettled = [
                o for o in round_outcomes.values() if o.status in (Status.PENDING, Status.ERROR)
            ]
            if not unsettled or not retry or clock() + rubric.poll_seconds > deadline:
                break
            sleep(rubric.poll_seconds)
        for check in live_checks:
            outcome = outcomes[check.id]
            if outcome.status is Status.PENDING:
                outcomes[check.id] = Outcome.pending(
                    f"{outcome.observed} (waited {deadline_seconds:.0f}s)", outcome.evidence
                )
    environment = dict(request.environment)
    snapshot = inputs.snapshot
    if snapshot is not None:
        environment.setdefault("backend", snapshot.backend)
        for key, value in snapshot.versions.items():
            environment.setdefault(f"{key}_version", value)
    return LabResult(
        lab=rubric.id,
        lab_title=rubric.title,
        checks=[
            _result(c, outcomes[c.id], request.hint_levels.get(c.id, 0)) for c in rubric.checks
        ],
        mode=request.mode,
        checker_version=CHECKER_VERSION,
        rubric_hash=rubric.hash,
        learner=request.learner,
        environment=environment,
        graded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        submitted_at=request.submitted_at,
        integrity=list(request.integrity),
        errors=list(request.errors),
        source=request.source,
    )
