"""Timeline rules for hand-driven canary releases: promoted through a manual pause (the
canary-by-hand lab); a faulty release stopped by any path, and the time to recover from a staged
incident (the rollback-drill lab)."""

from __future__ import annotations

from typing import Any

from checker.results import Outcome
from checker.rules import NUMBER, STRING, RuleInputs, rule
from checker.timeline_rules import Release, find_release
from checker.views import RolloutView

__all__ = ["incident_start", "recovered_at", "stopped_at"]

_PAUSE_REASONS = ("CanaryPauseStep", "BlueGreenPause")


def _evidence(inputs: RuleInputs, rollout: str) -> str:
    return f"kubectl argo rollouts get rollout {rollout} -n {inputs.namespace or '<ns>'}"


def _done(view: RolloutView, image: str) -> bool:
    """Healthy, fully promoted on `image`, abort cleared, status describing the current spec."""
    return (
        image in view.images
        and view.observed_current
        and view.phase == "Healthy"
        and view.fully_promoted
        and not view.aborted
    )


@rule(
    "timeline",
    "promoted_through_pause",
    {"rollout": STRING, "image": STRING},
    required=("rollout", "image"),
)
def promoted_through_pause(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """An update to `image` stopped at a pause step and was then promoted to Healthy."""
    timeline = inputs.timeline
    if timeline is None:
        return Outcome.error("no timeline was recorded for this exercise")
    name, image = params["rollout"], params["image"]
    evidence = _evidence(inputs, name)
    states = timeline.rollout_states(name)
    start = next(
        (
            i
            for i, (_, view) in enumerate(states)
            if image in view.images and any(image not in v.images for _, v in states[:i])
        ),
        None,
    )
    if start is None:
        seen = ", ".join(sorted({i for _, v in states for i in v.images})) or "nothing"
        return Outcome.pending(
            f"no update to the new release recorded yet (the Rollout ran {seen})"
        )

    def at(t: float) -> str:
        return f"+{t - timeline.started_at:.0f}s"

    paused: tuple[float, RolloutView] | None = None
    for t, view in states[start:]:
        if image not in view.images:
            continue
        if paused is None and set(view.pause_reasons) & set(_PAUSE_REASONS):
            paused = (t, view)
        if _done(view, image):
            if paused is None:
                return Outcome.failed(
                    f"the release reached 100% at {at(t)} without stopping at a pause step",
                    evidence,
                )
            step = paused[1].step_index
            return Outcome.passed(
                f"paused at {at(paused[0])} (step index {step}), promoted and Healthy at {at(t)}",
                evidence,
            )
    last = states[-1][1]
    if paused is not None:
        return Outcome.pending(
            f"paused at {at(paused[0])}; not fully promoted yet: {last.summary()}", evidence
        )
    return Outcome.pending(f"the release has not reached a pause yet: {last.summary()}", evidence)


def _aborted(view: RolloutView) -> bool:
    return view.aborted or view.condition("Progressing").get("reason") == "RolloutAborted"


def stopped_at(release: Release, bad_image: str | None) -> tuple[float, str] | None:
    """When the faulty release was first stopped, and how: an abort, or its spec taken back."""
    for t, view in release.states:
        if _aborted(view):
            return t, "aborted"
        if view.images and not (bad_image and bad_image in view.images):
            return t, "taken back (the template left the faulty image)"
    return None


@rule(
    "timeline",
    "release_stopped",
    {"rollout": STRING, "good_image": STRING, "bad_image": STRING},
    required=("rollout", "good_image", "bad_image"),
)
def release_stopped(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The faulty release was stopped before it became stable: aborted, or its template taken
    back (undo, set image, re-apply) — every path that halts it counts."""
    release = find_release(inputs, params)
    if isinstance(release, Outcome):
        return release
    evidence = _evidence(inputs, params["rollout"])
    bad = params["bad_image"]
    promoted = next(
        (t for t, view in release.states if _done(view, bad)),
        None,
    )
    stop = stopped_at(release, bad)
    at = release.at
    if stop is not None and (promoted is None or stop[0] <= promoted):
        return Outcome.passed(
            f"{stop[1]} at {at(stop[0])} (released at {at(release.start)})", evidence
        )
    if promoted is not None:
        return Outcome.failed(
            f"the faulty release became stable and Healthy at {at(promoted)} "
            f"(released at {at(release.start)}) without being stopped first",
            evidence,
        )
    return Outcome.pending(
        f"the faulty release is still running: {release.states[-1][1].summary()}", evidence
    )


def incident_start(release: Release, good_image: str) -> float:
    """When the incident began: the Rollout's last entry into Paused on the faulty release
    before anyone aborted it (the staged stop at 50%), else the release itself."""
    start, was_paused = release.start, False
    for t, view in release.states:
        if _aborted(view) or _done(view, good_image):
            break
        paused = view.phase == "Paused" and view.observed_current
        if paused and not was_paused:
            start = t
        was_paused = paused
    return start


def recovered_at(release: Release, good_image: str, bad_image: str | None) -> float | None:
    """First time after the release that the Rollout is Healthy on the good image again."""
    for t, view in release.states:
        if _done(view, good_image) and not (bad_image and bad_image in view.images):
            return t
    return None


@rule(
    "timeline",
    "time_to_recover",
    {"rollout": STRING, "good_image": STRING, "bad_image": STRING, "max_wall_seconds": NUMBER},
    required=("rollout", "good_image", "max_wall_seconds"),
)
def time_to_recover(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Real (wall-clock) time from the incident to Healthy on the good release, within a bound.

    A drill measures the learner's reaction, which the lab's time-warp does not speed up, so
    the bound is in wall seconds; the lab time is shown too. The clock starts when the faulty
    release stopped at its last pause before the abort (the staged incident), or at the
    release when it never paused, and stops when the good release is Healthy again.
    """
    release = find_release(inputs, params)
    if isinstance(release, Outcome):
        return release
    evidence = _evidence(inputs, params["rollout"])
    start = incident_start(release, params["good_image"])
    back = recovered_at(release, params["good_image"], params.get("bad_image"))
    if back is None:
        return Outcome.pending("no completed recovery recorded yet", evidence)
    wall = max(0.0, back - start)
    shown = (
        f"recovered {wall:.0f}s after the incident began "
        f"({wall * release.timeline.time_scale:.0f}s of lab time)"
    )
    if wall <= float(params["max_wall_seconds"]):
        return Outcome.passed(shown, evidence)
    return Outcome.failed(shown + ", slower than this drill allows", evidence)
