"""Pure decisions of the AnalysisRun measurement loop (upstream v1.9.1 `analysis/analysis.go`).

Works on plain dicts: a metric spec, an AnalysisRun (`spec.metrics`, `spec.terminate`,
`status.metricResults`, `status.startedAt`) and `now`. Timestamps may be datetimes or RFC3339
strings. The controller loop calls providers and persists; these functions decide what to do.
Past 400 lines on purpose: the whole loop (validate, schedule, count, assess) reads as one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "COMPLETED_PHASES",
    "DEFAULT_CONSECUTIVE_ERROR_LIMIT",
    "DEFAULT_MEASUREMENT_HISTORY_LIMIT",
    "ERROR_RETRY_SECONDS",
    "MetricAction",
    "MetricTask",
    "RunAssessment",
    "assess_metric_limits",
    "assess_metric_phase",
    "assess_run",
    "dry_run_metric_names",
    "effective_count",
    "int_or_string_value",
    "is_terminating",
    "is_worse",
    "metric_next_action",
    "metric_tasks",
    "next_reconcile_time",
    "parse_go_duration",
    "record_measurement",
    "retention_limits",
    "trim_measurements",
    "validate_metrics",
]

DEFAULT_MEASUREMENT_HISTORY_LIMIT = 10
DEFAULT_CONSECUTIVE_ERROR_LIMIT = 4
ERROR_RETRY_SECONDS = 10
COMPLETED_PHASES = frozenset({"Successful", "Failed", "Error", "Inconclusive"})
# Best to worst, as upstream's analysisStatusOrder.
_PHASE_ORDER = ["Successful", "Running", "Pending", "Inconclusive", "Error", "Failed"]
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")
_PROVIDERS = (
    "prometheus",
    "job",
    "web",
    "kayenta",
    "datadog",
    "wavefront",
    "newRelic",
    "cloudWatch",
    "graphite",
    "influxdb",
    "skywalking",
    "plugin",
)


def parse_go_duration(text: str) -> float:
    """Go time.ParseDuration, in seconds; ValueError carries Go's message."""
    original = text
    quoted = '"' + original + '"'
    if text in ("0", "+0", "-0"):
        return 0.0
    if text == "":
        raise ValueError(f"time: invalid duration {quoted}")
    sign = 1.0
    if text[0] in "+-":
        sign = -1.0 if text[0] == "-" else 1.0
        text = text[1:]
    if text == "":
        raise ValueError(f"time: invalid duration {quoted}")
    total = 0.0
    while text:
        match = _DURATION_PART.match(text)
        number, unit = (match.group(1), match.group(2)) if match else ("", "")
        if number in ("", "."):
            raise ValueError(f"time: invalid duration {quoted}")
        unit_end = len(unit)
        if unit == "":
            raise ValueError(f"time: missing unit in duration {quoted}")
        if unit not in _UNITS:
            raise ValueError(f'time: unknown unit "{unit}" in duration {quoted}')
        total += float(number) * _UNITS[unit]
        text = text[len(number) + unit_end :]
    return sign * total


def _time(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def int_or_string_value(value: Any) -> int:
    """intstr IntValue(): ints as is, numeric strings parsed, anything else 0."""
    if value is None or isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError:
        return 0


def effective_count(metric: dict[str, Any]) -> int | None:
    """count, or 1 for a one-shot metric, or None (unlimited) when only an interval is set."""
    count = int_or_string_value(metric.get("count"))
    if count == 0:
        return None if metric.get("interval") else 1
    return count


def validate_metrics(metrics: list[dict[str, Any]]) -> str | None:
    """Upstream ValidateMetrics: the error text (without "Analysis spec invalid: "), or None."""
    if not metrics:
        return "no metrics specified"
    seen: set[str] = set()
    for i, metric in enumerate(metrics):
        name = metric.get("name", "")
        if name in seen:
            return f"metrics[{i}]: duplicate name '{name}'"
        seen.add(name)
        problem = _validate_metric(metric)
        if problem:
            return f"metrics[{i}]: {problem}"
    return None


def _validate_metric(metric: dict[str, Any]) -> str | None:
    count = int_or_string_value(metric.get("count"))
    failure = int_or_string_value(metric.get("failureLimit"))
    success = int_or_string_value(metric.get("consecutiveSuccessLimit"))
    inconclusive = int_or_string_value(metric.get("inconclusiveLimit"))
    if success < 0:
        return "consecutiveSuccessLimit must be >= 0"
    if failure < -1:
        return "failureLimit must be >= 0, or -1 to be disabled"
    if success == 0 and failure == -1:
        return "failureLimit and consecutiveSuccessLimit cannot both be disabled"
    if inconclusive < 0:
        return "inconclusiveLimit must be >= 0"
    if (
        "consecutiveErrorLimit" in metric
        and int_or_string_value(metric["consecutiveErrorLimit"]) < 0
    ):
        return "consecutiveErrorLimit must be >= 0"
    if count > 0:
        if failure >= 0 and count < failure + success:
            return (
                f"count ({count}) must be >= failureLimit + consecutiveSuccessLimit "
                f"({failure} + {success}) if both >= 0"
            )
        if failure < 0 and count < success:
            return "count must be >= consecutiveSuccessLimit"
        if count < inconclusive:
            return "count must be >= inconclusiveLimit"
    if count > 1 and not metric.get("interval"):
        return "interval must be specified when count > 1"
    for key, label in (("interval", "interval"), ("initialDelay", "startDelay")):
        if metric.get(key):
            try:
                parse_go_duration(str(metric[key]))
            except ValueError as error:
                return f"invalid {label} string: {error}"
    providers = [p for p in _PROVIDERS if (metric.get("provider") or {}).get(p) is not None]
    if not providers:
        return "no provider specified"
    if len(providers) > 1:
        return "multiple providers specified"
    return None


def _match_rules(
    kind: str, rules: list[dict[str, Any]], metrics: list[dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], str | None]:
    matched: dict[str, dict[str, Any]] = {}
    for index, rule in enumerate(rules):
        try:
            pattern = re.compile(str(rule.get("metricName", "")))
        except re.error:
            pattern = None
        hits = [m["name"] for m in metrics if pattern is not None and pattern.search(m["name"])]
        if not hits:
            return matched, f"{kind}[{index}]: Rule didn't match any metric name(s)"
        for name in hits:
            matched[name] = rule
    return matched, None


def dry_run_metric_names(
    rules: list[dict[str, Any]], metrics: list[dict[str, Any]]
) -> tuple[set[str], str | None]:
    """Metric names in dry-run (unanchored regex rules) and the rule error, if any."""
    matched, error = _match_rules("dryRun", rules, metrics)
    return set(matched), error


def retention_limits(
    rules: list[dict[str, Any]], metrics: list[dict[str, Any]]
) -> tuple[dict[str, int], str | None]:
    """Per-metric measurement history limits (default 10; a rule limit > 0 overrides)."""
    matched, error = _match_rules("measurementRetention", rules, metrics)
    limits = {}
    for metric in metrics:
        rule = matched.get(metric["name"])
        limit = int(rule.get("limit") or 0) if rule else 0
        limits[metric["name"]] = limit if limit > 0 else DEFAULT_MEASUREMENT_HISTORY_LIMIT
    return limits, error


def trim_measurements(measurements: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Keep the newest `limit` measurements (counters are never trimmed)."""
    return measurements[-limit:] if len(measurements) > limit else measurements


def _results(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in (run.get("status") or {}).get("metricResults") or []}


def is_terminating(run: dict[str, Any]) -> bool:
    """spec.terminate, or any non-dry-run metric already Failed, Error or Inconclusive."""
    if (run.get("spec") or {}).get("terminate"):
        return True
    return any(
        not r.get("dryRun") and r.get("phase") in ("Failed", "Error", "Inconclusive")
        for r in _results(run).values()
    )


def is_worse(current: str, new: str) -> bool:
    """Whether phase `new` ranks worse than `current` (unknown phases rank as Successful)."""

    def rank(phase: str) -> int:
        return _PHASE_ORDER.index(phase) if phase in _PHASE_ORDER else 0

    return rank(new) > rank(current)


@dataclass(frozen=True)
class MetricTask:
    """A measurement to take now: `resume` = finish the in-flight one (or terminate it)."""

    name: str
    resume: bool = False


def _gap_seconds(metric: dict[str, Any], last: dict[str, Any]) -> float | None:
    if last.get("phase") == "Error":
        return ERROR_RETRY_SECONDS
    if metric.get("interval"):
        try:
            return parse_go_duration(str(metric["interval"]))
        except ValueError:
            return None
    return None


def metric_tasks(
    run: dict[str, Any], metrics: list[dict[str, Any]], now: datetime
) -> list[MetricTask]:
    """generateMetricTasks: which metrics to measure (or resume) in this pass."""
    now = _time(now) or now
    terminating = is_terminating(run)
    started = _time((run.get("status") or {}).get("startedAt"))
    results = _results(run)
    tasks: list[MetricTask] = []
    for metric in metrics:
        result = results.get(metric["name"])
        if result is not None and result.get("phase") in COMPLETED_PHASES:
            continue
        measurements = (result or {}).get("measurements") or []
        last = measurements[-1] if measurements else None
        if last is not None and last.get("finishedAt") is None:
            resume_at = _time(last.get("resumeAt"))
            if resume_at is None or not resume_at > now:
                tasks.append(MetricTask(metric["name"], resume=True))
            continue
        if terminating:
            continue
        if last is None:
            if metric.get("initialDelay"):
                if started is None:
                    continue
                try:
                    delay = parse_go_duration(str(metric["initialDelay"]))
                except ValueError:
                    continue
                if started + timedelta(seconds=delay) > now:
                    continue
            tasks.append(MetricTask(metric["name"]))
            continue
        count = effective_count(metric)
        if count is not None and int((result or {}).get("count") or 0) >= count:
            continue
        gap: float | None = ERROR_RETRY_SECONDS if last.get("phase") == "Error" else None
        if gap is None and metric.get("interval"):
            gap = _gap_seconds(metric, last)
            if gap is None:
                continue
        finished = _time(last.get("finishedAt"))
        if finished is not None and now > finished + timedelta(seconds=gap or ERROR_RETRY_SECONDS):
            tasks.append(MetricTask(metric["name"]))
    return tasks


def record_measurement(
    result: dict[str, Any] | None, name: str, measurement: dict[str, Any], *, dry_run: bool = False
) -> dict[str, Any]:
    """Append (or replace the in-flight) measurement and update the counters as upstream does."""
    out: dict[str, Any] = (
        dict(result) if result else {"name": name, "phase": "Running", "dryRun": dry_run}
    )
    if not out.get("dryRun"):
        out.pop("dryRun", None)
    measurements = list(out.get("measurements") or [])
    phase = measurement.get("phase")
    if phase in COMPLETED_PHASES:
        counters = {k: int(out.get(k) or 0) for k in (
            "count", "successful", "failed", "inconclusive", "error",
            "consecutiveError", "consecutiveSuccess")}  # fmt: skip
        if phase == "Error":
            counters["error"] += 1
            counters["consecutiveError"] += 1
            counters["consecutiveSuccess"] = 0
        else:
            counters["count"] += 1
            counters[phase.lower()] += 1
            counters["consecutiveError"] = 0
            counters["consecutiveSuccess"] = (
                counters["consecutiveSuccess"] + 1 if phase == "Successful" else 0
            )
        for key, value in counters.items():  # int32 omitempty upstream: zeros are not written
            if value:
                out[key] = value
            else:
                out.pop(key, None)
    if measurements and measurements[-1].get("finishedAt") is None:
        measurements[-1] = measurement
    else:
        measurements.append(measurement)
    out["measurements"] = measurements
    return out


def _limit(metric: dict[str, Any], key: str, default: int) -> int:
    return int_or_string_value(metric[key]) if metric.get(key) is not None else default


def assess_metric_limits(metric: dict[str, Any], result: dict[str, Any]) -> tuple[str, str]:
    """(Failed|Inconclusive|Error or "", reason) from the limits; later checks override."""
    phase, message = "", ""
    failure_limit = _limit(metric, "failureLimit", 0)
    failed = int(result.get("failed") or 0)
    if failure_limit >= 0 and failed > failure_limit:
        phase, message = "Failed", f"failed ({failed}) > failureLimit ({failure_limit})"
    inconclusive_limit = _limit(metric, "inconclusiveLimit", 0)
    inconclusive = int(result.get("inconclusive") or 0)
    if inconclusive > inconclusive_limit:
        phase = "Inconclusive"
        message = f"inconclusive ({inconclusive}) > inconclusiveLimit ({inconclusive_limit})"
    error_limit = _limit(metric, "consecutiveErrorLimit", DEFAULT_CONSECUTIVE_ERROR_LIMIT)
    errors = int(result.get("consecutiveError") or 0)
    if errors > error_limit:
        phase = "Error"
        message = f"consecutiveErrors ({errors}) > consecutiveErrorLimit ({error_limit})"
    return phase, message


def assess_metric_phase(metric: dict[str, Any], result: dict[str, Any], terminating: bool) -> str:
    """assessMetricStatus: the metric's phase after its latest measurement."""
    if result.get("phase") in COMPLETED_PHASES:
        return str(result["phase"])
    measurements = result.get("measurements") or []
    if not measurements:
        return "Successful" if terminating else "Pending"
    if measurements[-1].get("phase") not in COMPLETED_PHASES:
        return "Running"
    limited, _ = assess_metric_limits(metric, result)
    if limited:
        return limited
    success_limit = int_or_string_value(metric.get("consecutiveSuccessLimit"))
    if success_limit > 0 and int(result.get("consecutiveSuccess") or 0) >= success_limit:
        return "Successful"
    count = effective_count(metric)
    if count is not None and int(result.get("count") or 0) >= count:
        failure_applies = (
            metric.get("failureLimit") is None or _limit(metric, "failureLimit", 0) >= 0
        )
        if failure_applies and success_limit > 0:
            return "Inconclusive"
        if success_limit > 0:
            return "Failed"
        return "Successful"
    return "Successful" if terminating else "Running"


@dataclass
class RunAssessment:
    """assessRunStatus output: run phase/message plus per-metric phase and message updates."""

    phase: str
    message: str
    metric_phases: dict[str, str] = field(default_factory=dict)
    metric_messages: dict[str, str] = field(default_factory=dict)
    run_summary: dict[str, int] = field(default_factory=dict)
    dry_run_summary: dict[str, int] = field(default_factory=dict)


def _summary() -> dict[str, int]:
    return {"count": 0, "successful": 0, "failed": 0, "inconclusive": 0, "error": 0}


def assess_run(
    run: dict[str, Any],
    metrics: list[dict[str, Any]],
    dry_run: set[str] | frozenset[str] = frozenset(),
) -> RunAssessment:
    """Phase and message of the run (worst completed non-dry-run metric wins)."""
    terminating = is_terminating(run)
    results = _results(run)
    worst = ""
    message = "Run Terminated" if (run.get("spec") or {}).get("terminate") else ""
    completed_all = True
    out = RunAssessment("", "", run_summary=_summary(), dry_run_summary=_summary())
    for metric in metrics:
        name = metric["name"]
        is_dry = name in dry_run
        summary = out.dry_run_summary if is_dry else out.run_summary
        summary["count"] += 1
        result = results.get(name)
        if result is None:
            completed_all = False
            continue
        phase = assess_metric_phase(metric, result, terminating)
        metric_message = str(result.get("message") or "")
        if phase != result.get("phase"):
            measurements = result.get("measurements") or []
            if measurements:
                metric_message = str(measurements[-1].get("message") or "")
                out.metric_messages[name] = metric_message
            out.metric_phases[name] = phase
        if phase not in COMPLETED_PHASES:
            completed_all = False
            continue
        bucket, reason = assess_metric_limits(metric, result)
        summary[(bucket or "Successful").lower()] += 1
        if is_dry:
            worst = worst or "Successful"
            if reason:
                out.metric_messages[name] = f"Metric assessed {phase} due to {reason}"
            continue
        if worst == "" or is_worse(worst, phase):
            worst = phase
            if reason:
                message = f'Metric "{name}" assessed {phase} due to {reason}'
                if metric_message:
                    message += f': "Error Message: {metric_message}"'
    message = message.strip()
    if terminating:
        out.phase, out.message = (worst or "Successful"), message
    elif not completed_all or worst == "":
        out.phase, out.message = "Running", ""
    else:
        out.phase, out.message = worst, message
    return out


def next_reconcile_time(
    run: dict[str, Any], metrics: list[dict[str, Any]], now: datetime
) -> datetime | None:
    """calculateNextReconcileTime: earliest initial-delay end, resumeAt or next interval."""
    now = _time(now) or now
    started = _time((run.get("status") or {}).get("startedAt")) or now
    results = _results(run)
    best: datetime | None = None
    for metric in metrics:
        result = results.get(metric["name"])
        if result is not None and result.get("phase") in COMPLETED_PHASES:
            continue
        measurements = (result or {}).get("measurements") or []
        candidate: datetime | None = None
        if not measurements:
            if metric.get("initialDelay"):
                try:
                    delay = parse_go_duration(str(metric["initialDelay"]))
                except ValueError:
                    continue
                candidate = started + timedelta(seconds=delay)
        elif measurements[-1].get("finishedAt") is None:
            candidate = _time(measurements[-1].get("resumeAt"))
        else:
            count = effective_count(metric)
            if count is not None and int((result or {}).get("count") or 0) >= count:
                continue
            gap = _gap_seconds(metric, measurements[-1])
            finished = _time(measurements[-1].get("finishedAt"))
            if gap is not None and finished is not None:
                candidate = finished + timedelta(seconds=gap)
        if candidate is not None and (best is None or candidate < best):
            best = candidate
    return best


@dataclass(frozen=True)
class MetricAction:
    """Next step for one metric: measure | resume | wait (until `at`) | done (with `phase`)."""

    kind: str
    at: datetime | None = None
    phase: str = ""


def metric_next_action(run: dict[str, Any], metric: dict[str, Any], now: datetime) -> MetricAction:
    """One metric's view of the loop: what to do now, or when to look again."""
    result = _results(run).get(metric["name"])
    if result is not None:
        phase = assess_metric_phase(metric, result, is_terminating(run))
        if phase in COMPLETED_PHASES:
            return MetricAction("done", phase=phase)
    tasks = metric_tasks(run, [metric], now)
    if tasks:
        return MetricAction("resume" if tasks[0].resume else "measure")
    when = next_reconcile_time(run, [metric], now)
    return MetricAction("wait", at=when) if when is not None else MetricAction("done")
