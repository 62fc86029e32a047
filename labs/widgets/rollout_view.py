"""The live rollout view: status, steps (current one marked), pods per revision, analysis.

`RolloutViewModel` is built from the rollout actions API's `RolloutInfo` plus the raw Rollout
and AnalysisRuns (for steps and measurement values); `render_text` and `render_html` draw the
same model, so the notebook widget and the terminal (`rollout-lab demo`) never disagree.
`RolloutWidget` adds promote/abort/retry/undo buttons that call the same client functions as
`kubectl argo rollouts`. Every state is spelled out in words — nothing relies on colour.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field
from typing import Any

from labs.widgets.common import LiveWidget

__all__ = [
    "AnalysisRow",
    "RevisionRow",
    "RolloutViewModel",
    "RolloutWidget",
    "StepRow",
    "build_view_model",
    "fetch_view_model",
    "render_html",
    "render_text",
]


@dataclass(frozen=True)
class StepRow:
    """One canary step: its words and whether it is done, current or still to come."""

    index: int
    text: str
    state: str  # "done" | "current" | "next"


@dataclass(frozen=True)
class RevisionRow:
    """One revision: image, role (stable/canary/active/preview), pods ready/total."""

    revision: int
    images: tuple[str, ...]
    roles: tuple[str, ...]
    ready: int
    pods: int
    pod_states: tuple[str, ...]


@dataclass(frozen=True)
class AnalysisRow:
    """One AnalysisRun: phase, tallies and the latest value of each metric."""

    name: str
    revision: int
    phase: str
    successful: int
    failed: int
    latest: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RolloutViewModel:
    """Everything the rollout view shows about one Rollout."""

    name: str
    namespace: str
    status: str
    message: str
    strategy: str
    step: str
    set_weight: str
    actual_weight: str
    steps: tuple[StepRow, ...] = ()
    revisions: tuple[RevisionRow, ...] = ()
    analysis: tuple[AnalysisRow, ...] = ()
    aborted: bool = False
    problem: str = ""
    actions: tuple[str, ...] = field(default=("promote", "abort", "retry", "undo"))

    @classmethod
    def missing(cls, name: str, namespace: str, problem: str) -> RolloutViewModel:
        return cls(name, namespace, "NotFound", "", "", "", "", "", problem=problem)


def _step_text(step: dict[str, Any]) -> str:
    if "setWeight" in step:
        return f"setWeight {step['setWeight']}%"
    if "pause" in step:
        duration = (step.get("pause") or {}).get("duration")
        return f"pause {duration}" if duration is not None else "pause (until promoted)"
    if "analysis" in step:
        names = [t.get("templateName", "?") for t in (step["analysis"] or {}).get("templates", [])]
        return "analysis " + ", ".join(names)
    return ", ".join(sorted(step)) or "step"


def _steps(rollout: dict[str, Any]) -> tuple[StepRow, ...]:
    canary = ((rollout.get("spec") or {}).get("strategy") or {}).get("canary") or {}
    steps = canary.get("steps") or []
    index = (rollout.get("status") or {}).get("currentStepIndex")
    rows = []
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        if isinstance(index, int) and i < index:
            state = "done"
        elif i == index:
            state = "current"
        else:
            state = "next"
        rows.append(StepRow(i, _step_text(step), state))
    return tuple(rows)


def _latest(run: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    values = []
    for result in (run.get("status") or {}).get("metricResults") or []:
        measurements = result.get("measurements") or []
        if measurements:
            last = measurements[-1]
            value = last.get("value")
            shown = (
                f"{value} ({last.get('phase', '')})" if value is not None else last.get("phase", "")
            )
            values.append((str(result.get("name", "")), str(shown)))
    return tuple(values)


def build_view_model(
    info: Any, rollout: dict[str, Any], runs: list[dict[str, Any]]
) -> RolloutViewModel:
    """The view model from a `RolloutInfo` and the raw Rollout/AnalysisRuns it came from."""
    revisions = []
    for number in info.revisions():
        sets = info.replicasets_of(number)
        pods = [p for rs in sets for p in rs.pods]
        if not pods and not any(rs.replicas for rs in sets):
            continue
        revisions.append(
            RevisionRow(
                revision=number,
                images=tuple(sorted({i for rs in sets for i in rs.images})),
                roles=tuple(sorted({t for rs in sets for t in rs.tags})),
                ready=sum(1 for p in pods if p.ready.split("/")[0] == p.ready.split("/")[-1]),
                pods=len(pods),
                pod_states=tuple(f"{p.name} {p.status}" for p in pods),
            )
        )
    raw_runs = {str((r.get("metadata") or {}).get("name")): r for r in runs}
    analysis = tuple(
        AnalysisRow(
            run.name,
            run.revision,
            run.status or "Pending",
            run.successful,
            run.failed,
            _latest(raw_runs.get(run.name, {})),
        )
        for run in info.analysis_runs
    )
    return RolloutViewModel(
        name=info.name,
        namespace=info.namespace,
        status=info.status,
        message=info.message,
        strategy=info.strategy,
        step=info.step,
        set_weight=info.set_weight,
        actual_weight=info.actual_weight,
        steps=_steps(rollout),
        revisions=tuple(revisions),
        analysis=analysis,
        aborted=bool((rollout.get("status") or {}).get("abort")),
    )


def fetch_view_model(api: Any, namespace: str, name: str) -> RolloutViewModel:
    """Read the Rollout, its ReplicaSets, pods and runs through the rollout actions API."""
    from clusters.rollouts_client import RolloutActionError, build_rollout_info, get_rollout
    from clusters.rollouts_client.api import ANALYSIS_RUNS, REPLICA_SETS

    try:
        rollout = get_rollout(api, namespace, name)
        replicasets = api.list_objects(REPLICA_SETS, namespace)
        pods = api.list_pods(namespace)
        runs = api.list_objects(ANALYSIS_RUNS, namespace)
    except RolloutActionError as error:
        return RolloutViewModel.missing(name, namespace, str(error).splitlines()[0])
    info = build_rollout_info(rollout, replicasets, pods, runs)
    return build_view_model(info, rollout, runs)


_STEP_MARK = {"done": "[x]", "current": "[>]", "next": "[ ]"}


def render_text(model: RolloutViewModel) -> str:
    """The view as plain text (terminal, notebook text output, screen readers)."""
    if model.problem:
        return f"Rollout {model.name} (namespace {model.namespace}): {model.problem}"
    lines = [f"Rollout {model.name}  namespace {model.namespace}  strategy {model.strategy}"]
    status = f"Status: {model.status}" + (f" - {model.message}" if model.message else "")
    lines.append(status + ("  (aborted)" if model.aborted else ""))
    if model.strategy == "Canary":
        lines.append(
            f"Step {model.step or '-'}  set weight {model.set_weight}%  "
            f"actual weight {model.actual_weight}%"
        )
    if model.steps:
        lines.append("Steps:")
        lines += [
            f"  {_STEP_MARK[s.state]} {s.index}: {s.text}"
            + ("   <- current" if s.state == "current" else "")
            for s in model.steps
        ]
    lines.append("Revisions:")
    for rev in model.revisions:
        roles = ",".join(rev.roles) or "old"
        lines.append(
            f"  revision {rev.revision} ({roles}) {' '.join(rev.images)}: "
            f"{rev.ready}/{rev.pods} pods ready"
        )
    if not model.revisions:
        lines.append("  (no pods yet)")
    if model.analysis:
        lines.append("Analysis runs:")
        for run in model.analysis:
            values = "; ".join(f"{k} = {v}" for k, v in run.latest) or "no measurements yet"
            lines.append(
                f"  {run.name} (revision {run.revision}): {run.phase}, "
                f"{run.successful} passed, {run.failed} failed; latest {values}"
            )
    return "\n".join(lines)


def render_html(model: RolloutViewModel) -> str:
    """The view as HTML with the same words as `render_text` (a table per section)."""
    esc = html.escape
    if model.problem:
        return f'<div class="rl-rollout-view"><p>{esc(render_text(model))}</p></div>'
    parts = [
        '<div class="rl-rollout-view">',
        f"<h4>Rollout {esc(model.name)} <small>({esc(model.strategy)}, "
        f"namespace {esc(model.namespace)})</small></h4>",
        f'<p class="rl-status"><b>Status: {esc(model.status)}</b>'
        + (f" &mdash; {esc(model.message)}" if model.message else "")
        + (" <b>(aborted)</b>" if model.aborted else "")
        + "</p>",
    ]
    if model.strategy == "Canary":
        parts.append(
            f"<p>Step {esc(model.step or '-')} &middot; set weight {esc(model.set_weight)}% "
            f"&middot; actual weight {esc(model.actual_weight)}%</p>"
        )
    if model.steps:
        parts.append('<ol class="rl-steps" start="0">')
        for step in model.steps:
            label = {"done": "done", "current": "current step", "next": "to do"}[step.state]
            text = f"<b>{esc(step.text)}</b>" if step.state == "current" else esc(step.text)
            parts.append(f'<li data-state="{step.state}">{text} <i>({label})</i></li>')
        parts.append("</ol>")
    parts.append(
        '<table class="rl-revisions" style="border-spacing: 14px 2px">'
        "<tr><th>revision</th><th>role</th><th>image</th>"
        "<th>pods ready</th></tr>"
    )
    for rev in model.revisions:
        parts.append(
            f"<tr><td>{rev.revision}</td><td>{esc(', '.join(rev.roles) or 'old')}</td>"
            f"<td>{esc(' '.join(rev.images))}</td><td>{rev.ready}/{rev.pods}</td></tr>"
        )
    parts.append("</table>")
    if model.analysis:
        parts.append(
            '<table class="rl-analysis" style="border-spacing: 14px 2px">'
            "<tr><th>analysis run</th><th>phase</th>"
            "<th>passed / failed</th><th>latest measurements</th></tr>"
        )
        for run in model.analysis:
            values = "; ".join(f"{k} = {v}" for k, v in run.latest) or "none yet"
            parts.append(
                f"<tr><td>{esc(run.name)}</td><td>{esc(run.phase)}</td>"
                f"<td>{run.successful} / {run.failed}</td><td>{esc(values)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</div>")
    return "\n".join(parts)


class RolloutWidget(LiveWidget):
    """ipywidgets view of one Rollout, refreshed in the background, with action buttons."""

    def __init__(self, session: Any, *, interval: float = 1.0) -> None:
        self.session = session
        self._lock = threading.Lock()
        super().__init__(
            title="Rollout view",
            buttons=("promote", "abort", "retry", "undo"),
            interval=interval,
        )

    def model(self) -> RolloutViewModel:
        return fetch_view_model(
            self.session.rollouts_api(), self.session.namespace, self.session.rollout_name
        )

    def render(self) -> tuple[str, str]:
        model = self.model()
        return render_html(model), render_text(model)

    def on_button(self, name: str) -> str:
        with self._lock:
            return self.session.action(name)
