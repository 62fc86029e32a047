"""Timeline rules: read the recorded sequence of Rollout states, AnalysisRuns and Events.

They grade what happened, not which command was typed: any valid rollback path (abort then
undo, abort then set the image back, the old manifest re-applied, undo alone) passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checker.results import Outcome
from checker.rules import NUMBER, STRING, RuleInputs, rule
from checker.timeline import Timeline
from checker.views import RolloutView

__all__ = ["Release", "find_release"]

_RELEASE = {"rollout": STRING, "good_image": STRING, "bad_image": STRING}


@dataclass(frozen=True)
class Release:
    """The bad release inside a timeline: when it started and the Rollout states after it."""

    timeline: Timeline
    start: float
    states: list[tuple[float, RolloutView]]

    def at(self, t: float) -> str:
        return f"+{t - self.timeline.started_at:.0f}s"


def _is_bad(view: RolloutView, params: dict[str, Any]) -> bool:
    if params.get("bad_image"):
        return params["bad_image"] in view.images
    return bool(view.images) and params["good_image"] not in view.images


def find_release(inputs: RuleInputs, params: dict[str, Any]) -> Release | Outcome:
    """Locate the first time the Rollout's template carried the bad image."""
    timeline = inputs.timeline
    if timeline is None:
        return Outcome.error("no timeline was recorded for this exercise")
    states = timeline.rollout_states(params["rollout"])
    if not states:
        return Outcome.pending(f"no changes of Rollout {params['rollout']!r} recorded yet")
    for index, (t, view) in enumerate(states):
        if _is_bad(view, params):
            return Release(timeline, t, states[index:])
    return Outcome.pending(
        "the faulty release has not been applied yet (the Rollout only ran "
        + ", ".join(sorted({i for _, v in states for i in v.images}))
        + ")"
    )


def _abort_time(release: Release) -> tuple[float, str] | None:
    """When the update was first aborted after the release, and the abort message."""
    for t, view in release.states:
        if view.aborted or view.condition("Progressing").get("reason") == "RolloutAborted":
            message = view.condition("Progressing").get("message") or view.message
            return t, str(message or "")
    for event in release.timeline.events("RolloutAborted"):
        if event.t >= release.start:
            return event.t, str(event.data.get("message") or "")
    return None


def _settled(view: RolloutView) -> bool:
    """The status describes the current spec (right after an edit it still shows the old one)."""
    return view.observed_current


def _bad_promoted_at(release: Release, params: dict[str, Any]) -> float | None:
    """When the faulty release became the stable, Healthy version (None if it never did)."""
    for t, view in release.states:
        if (
            _is_bad(view, params)
            and _settled(view)
            and view.fully_promoted
            and view.phase == "Healthy"
        ):
            return t
    return None


def _rollback_time(release: Release, params: dict[str, Any]) -> float | None:
    """First time after the release that the Rollout is Healthy on the good image, unaborted."""
    for t, view in release.states:
        if (
            params["good_image"] in view.images
            and not _is_bad(view, params)
            and not view.aborted
            and _settled(view)
            and view.phase == "Healthy"
            and view.fully_promoted
        ):
            return t
    return None


def _evidence(params: dict[str, Any], inputs: RuleInputs) -> str:
    return f"kubectl describe rollout {params['rollout']} -n {inputs.namespace or '<ns>'}"


@rule("timeline", "aborted_before_full_promotion", _RELEASE, required=("rollout", "good_image"))
def aborted_before_full_promotion(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The faulty release was aborted (by analysis or by hand) before it became stable."""
    release = find_release(inputs, params)
    if isinstance(release, Outcome):
        return release
    evidence = (
        f"kubectl get events -n {inputs.namespace or '<ns>'} --field-selector reason=RolloutAborted"
    )
    promoted = _bad_promoted_at(release, params)
    abort = _abort_time(release)
    if abort is not None and (promoted is None or abort[0] <= promoted):
        return Outcome.passed(f"aborted at {release.at(abort[0])}: {abort[1]}", evidence)
    if promoted is not None:
        return Outcome.failed(
            f"the faulty release became stable and Healthy at {release.at(promoted)} "
            f"(released at {release.at(release.start)}) with no abort before",
            evidence,
        )
    last = release.states[-1][1]
    return Outcome.pending(
        f"no abort recorded since the release at {release.at(release.start)}; now {last.summary()}",
        evidence,
    )


def _failed_runs(release: Release, rollout: str) -> list[tuple[float, str, str]]:
    runs = []
    for entry in release.timeline.of_type("analysisrun"):
        owner = entry.data.get("rollout")
        if owner not in (rollout, None) or entry.t < release.start:
            continue
        if entry.data.get("phase") in ("Failed", "Error"):
            runs.append((entry.t, entry.name, str(entry.data.get("phase"))))
    for event in release.timeline.events("AnalysisRunFailed", "AnalysisRunError"):
        if event.t >= release.start:
            runs.append((event.t, str(event.data.get("message") or ""), "Failed"))
    return sorted(runs)


@rule("timeline", "analysis_caused_abort", _RELEASE, required=("rollout", "good_image"))
def analysis_caused_abort(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """An AnalysisRun of the faulty release failed and the controller aborted because of it."""
    release = find_release(inputs, params)
    if isinstance(release, Outcome):
        return release
    evidence = f"kubectl get analysisruns -n {inputs.namespace or '<ns>'}"
    failed = _failed_runs(release, params["rollout"])
    abort = _abort_time(release)
    if not failed:
        seen = sorted(
            {
                f"{e.name} ({e.data.get('phase') or 'no phase'})"
                for e in release.timeline.of_type("analysisrun")
            }
        )
        if abort is not None:
            return Outcome.failed(
                f"the release was aborted at {release.at(abort[0])} but no AnalysisRun failed "
                f"before that (runs seen: {', '.join(seen) or 'none'})",
                evidence,
            )
        return Outcome.pending(
            f"no AnalysisRun has failed yet (runs seen: {', '.join(seen) or 'none'})", evidence
        )
    if abort is None:
        return Outcome.failed(
            f"AnalysisRun {failed[0][1]} failed at {release.at(failed[0][0])} but the Rollout was "
            "never aborted",
            evidence,
        )
    by_analysis = "analysis" in abort[1].lower()
    if abort[0] + 1e-6 < failed[0][0] and not by_analysis:
        return Outcome.failed(
            f"the abort at {release.at(abort[0])} came before any analysis failed "
            f"({release.at(failed[0][0])}); it was a manual abort",
            evidence,
        )
    return Outcome.passed(
        f"{failed[0][2]} analysis at {release.at(failed[0][0])}, abort at {release.at(abort[0])}",
        evidence,
    )


@rule("timeline", "rolled_back", _RELEASE, required=("rollout", "good_image"))
def rolled_back(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """After the faulty release the Rollout returned to the good image, Healthy, abort cleared."""
    release = find_release(inputs, params)
    if isinstance(release, Outcome):
        return release
    evidence = _evidence(params, inputs)
    promoted = _bad_promoted_at(release, params)
    back = _rollback_time(release, params)
    if back is None:
        last = release.states[-1][1]
        if promoted is not None:
            return Outcome.failed(
                f"the faulty release was fully promoted at {release.at(promoted)} and is still "
                f"running: {last.summary()}",
                evidence,
            )
        return Outcome.pending(f"not rolled back yet: {last.summary()}", evidence)
    final_t, final = release.states[-1]
    if _is_bad(final, params):
        return Outcome.failed(
            f"rolled back at {release.at(back)} but the faulty image was applied again at "
            f"{release.at(final_t)}",
            evidence,
        )
    if inputs.snapshot is not None:
        live = inputs.snapshot.rollout(params["rollout"])
        if live is not None and _is_bad(live, params):
            return Outcome.failed(
                f"the timeline shows a rollback at {release.at(back)}, but the cluster now runs "
                + ", ".join(live.images),
                evidence,
            )
    return Outcome.passed(
        f"back on {params['good_image']}, Healthy, at {release.at(back)} "
        f"(release at {release.at(release.start)})",
        evidence,
    )


@rule(
    "timeline",
    "time_to_rollback",
    {**_RELEASE, "max_seconds": NUMBER},
    required=("rollout", "good_image", "max_seconds"),
)
def time_to_rollback(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Lab time from the faulty release to the completed rollback is within the budget."""
    release = find_release(inputs, params)
    if isinstance(release, Outcome):
        return release
    back = _rollback_time(release, params)
    if back is None:
        return Outcome.pending("no completed rollback recorded yet", _evidence(params, inputs))
    lab_seconds = (back - release.start) * release.timeline.time_scale
    shown = f"{lab_seconds:.0f}s of lab time from release to rollback"
    if lab_seconds <= float(params["max_seconds"]):
        return Outcome.passed(shown)
    return Outcome.failed(shown + ", longer than this exercise allows")


@rule(
    "timeline",
    "preview_checked_before_promotion",
    {"rollout": STRING, "preview_service": STRING},
    required=("rollout", "preview_service"),
)
def preview_checked_before_promotion(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Blue-green: the preview Service was probed after the new version came up, before promotion.

    Probes are `probe` entries ({"service": name}) that the lab's traffic tool records.
    """
    timeline = inputs.timeline
    if timeline is None:
        return Outcome.error("no timeline was recorded for this exercise")
    states = timeline.rollout_states(params["rollout"])
    start = next((t for t, v in states if v.current_pod_hash and not v.fully_promoted), None)
    if start is None:
        return Outcome.pending("no blue-green update recorded yet")
    new_hash = next(v.current_pod_hash for t, v in states if t == start)
    promoted = next(
        (t for t, v in states if t > start and v.stable_rs == new_hash and v.fully_promoted),
        None,
    )
    probes = [
        e.t
        for e in timeline.of_type("probe")
        if e.data.get("service") == params["preview_service"] and e.t >= start
    ]
    rel = lambda t: f"+{t - timeline.started_at:.0f}s"  # noqa: E731
    if promoted is None:
        if probes:
            return Outcome.passed(f"preview probed at {rel(probes[0])}; not promoted yet")
        return Outcome.pending("the new version is not promoted yet")
    before = [t for t in probes if t <= promoted]
    if before:
        return Outcome.passed(f"preview probed at {rel(before[0])}, promoted at {rel(promoted)}")
    return Outcome.failed(
        f"the new version came up at {rel(start)} and was promoted at {rel(promoted)} without "
        f"any request to Service {params['preview_service']!r} in between"
    )
