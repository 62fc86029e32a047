"""Blue-green rules (the blue-green lab): the preview of a given release was checked, and which
release the active Service serves now.

`probe` timeline entries (`{"service": name, "versions": {...}}`) are written by the lab's
probe tool (`LabSession.probe`) each time the learner sends requests to a Service; a probe that
no version answered (the Service had no ready endpoints) does not count as a check.
"""

from __future__ import annotations

from typing import Any

from checker.results import Outcome
from checker.rules import STRING, RuleInputs, rule
from checker.views import HASH_LABEL, RolloutView, dig, template_images

__all__ = ["active_release"]


def _answered(probe: dict[str, Any]) -> bool:
    """A probe counts when something answered it (probes without a tally are taken as is)."""
    versions = probe.get("versions")
    return not isinstance(versions, dict) or any(versions.values())


@rule(
    "timeline",
    "preview_checked",
    {"rollout": STRING, "preview_service": STRING, "image": STRING},
    required=("rollout", "preview_service", "image"),
)
def preview_checked(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Requests went to the preview Service after `image` came up there, before it was promoted."""
    timeline = inputs.timeline
    if timeline is None:
        return Outcome.error("no timeline was recorded for this exercise")
    name, image, service = params["rollout"], params["image"], params["preview_service"]
    evidence = f"kubectl get svc {service} -n {inputs.namespace or '<ns>'} -o wide"
    states = timeline.rollout_states(name)
    arrival = next(
        (
            t
            for i, (t, view) in enumerate(states)
            if image in view.images and any(image not in v.images for _, v in states[:i])
        ),
        None,
    )
    if arrival is None:
        return Outcome.pending("this release has not been rolled out yet")

    def at(t: float) -> str:
        return f"+{t - timeline.started_at:.0f}s"

    promoted = next(
        (
            t
            for t, view in states
            if t >= arrival
            and image in view.images
            and view.observed_current
            and view.fully_promoted
            and view.phase == "Healthy"
        ),
        None,
    )
    probes = [
        e
        for e in timeline.of_type("probe")
        if e.data.get("service") == service and e.t >= arrival and _answered(e.data)
    ]
    before = [e for e in probes if promoted is None or e.t <= promoted]
    if before:
        versions = before[0].data.get("versions")
        answered = (
            f" (answers by version: {', '.join(f'{k}={v}' for k, v in versions.items())})"
            if isinstance(versions, dict) and versions
            else ""
        )
        end = f", promoted at {at(promoted)}" if promoted is not None else ""
        return Outcome.passed(
            f"preview Service probed at {at(before[0].t)}{answered}{end}", evidence
        )
    if promoted is not None:
        return Outcome.failed(
            f"the release came up at {at(arrival)} and was promoted at {at(promoted)} with no "
            f"request to the preview Service {service!r} in between",
            evidence,
        )
    return Outcome.pending(
        f"the release came up at {at(arrival)}; no request to the preview Service yet", evidence
    )


def active_release(
    snapshot_objects: dict[str, list[dict[str, Any]]], view: RolloutView
) -> tuple[str, list[str]] | str:
    """(pod hash, images) the active Service selects now, or a description of what is missing."""
    active = dig(view.obj, "spec", "strategy", "blueGreen", "activeService")
    if not active:
        return "the Rollout has no blueGreen.activeService"
    service = next(
        (s for s in snapshot_objects.get("services", []) if dig(s, "metadata", "name") == active),
        None,
    )
    if service is None:
        return f"Service {active!r} does not exist in the cluster"
    pod_hash = dig(service, "spec", "selector", HASH_LABEL)
    if not pod_hash:
        return f"Service {active!r} is not pinned to a ReplicaSet yet"
    for rs in snapshot_objects.get("replicasets", []):
        if dig(rs, "metadata", "labels", HASH_LABEL) == pod_hash:
            return str(pod_hash), template_images(rs)
    return f"no ReplicaSet with hash {pod_hash} (selected by Service {active!r})"


@rule(
    "state", "bluegreen_active", {"rollout": STRING, "image": STRING}, required=("rollout", "image")
)
def bluegreen_active(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The active Service serves `image`'s ReplicaSet, which is the Rollout's stable one."""
    if inputs.snapshot is None:
        return Outcome.error("no cluster snapshot: is the lab cluster running?")
    snapshot = inputs.snapshot
    view = snapshot.rollout(params["rollout"])
    evidence = f"kubectl argo rollouts get rollout {params['rollout']} -n {snapshot.namespace}"
    if view is None:
        return Outcome.pending(
            f"no Rollout {params['rollout']!r} yet (not applied?)",
            f"kubectl get rollouts -n {snapshot.namespace}",
        )
    found = active_release(snapshot.objects, view)
    if isinstance(found, str):
        return Outcome.pending(found, evidence)
    pod_hash, images = found
    if params["image"] in images:
        if view.stable_rs and view.stable_rs != pod_hash:
            return Outcome.pending(
                f"the active Service selects {pod_hash} but the stable ReplicaSet is "
                f"{view.stable_rs}: the switch is still in progress",
                evidence,
            )
        state = "abort flag set" if view.aborted else view.phase or "no phase"
        return Outcome.passed(
            f"the active Service serves {', '.join(images)} (ReplicaSet hash {pod_hash}; "
            f"Rollout {state})",
            evidence,
        )
    if view.phase in ("Progressing", "Paused", "") and not view.aborted:
        return Outcome.pending(
            f"the active Service serves {', '.join(images)}; the Rollout is {view.summary()}",
            evidence,
        )
    return Outcome.failed(
        f"the active Service serves {', '.join(images)}, not the release this exercise ends on",
        evidence,
    )
