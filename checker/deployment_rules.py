"""Rules for a plain Deployment (the all-or-nothing lab): its manifest, its live state, and its
release history (which versions it scaled up, in order).

History comes from the timeline's `ScalingReplicaSet` Events (the Deployment controller's
"Scaled up replica set <name> ..."), with each ReplicaSet's image read from the snapshot; when
no such Events were recorded, the ReplicaSets' `deployment.kubernetes.io/revision` annotations
order the versions instead. Every rollback path (`kubectl rollout undo`, `set image` back,
re-applying the old manifest) brings the old ReplicaSet back with a new revision, so all pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from checker.manifest_rules import show_lines
from checker.manifests import ManifestObject, ManifestSet
from checker.results import Outcome
from checker.rules import INTEGER, STRING, RuleInputs, rule
from checker.snapshot import Snapshot
from checker.views import dig, template_images

__all__ = ["DeploymentRelease", "deployment_history"]

REVISION = "deployment.kubernetes.io/revision"
_SCALED_UP = re.compile(r"Scaled up replica set (\S+)")


def _find_deployment(inputs: RuleInputs, name: str) -> ManifestObject | Outcome:
    manifests = inputs.manifests or ManifestSet()
    found = manifests.find("Deployment", name)
    if found is not None:
        return found
    seen = ", ".join(o.label() for o in manifests.objects[:5]) or "no objects"
    return Outcome.failed(
        f"no Deployment named {name!r} in the files; saw {seen}", "grep -n 'kind:' *.yaml"
    )


@rule(
    "manifest",
    "deployment_spec",
    {"deployment": STRING, "replicas": INTEGER, "image": STRING, "port": INTEGER},
    required=("deployment",),
)
def deployment_spec(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The Deployment's selector is on its pod template; replicas, image and port as asked."""
    deployment = _find_deployment(inputs, params["deployment"])
    if isinstance(deployment, Outcome):
        return deployment
    evidence = show_lines(deployment, "spec")
    selector = deployment.get("spec", "selector", "matchLabels")
    labels = deployment.get("spec", "template", "metadata", "labels")
    labels = labels if isinstance(labels, dict) else {}
    if not isinstance(selector, dict) or not selector:
        return Outcome.failed(
            "the Deployment has no spec.selector.matchLabels", evidence, deployment.where("spec")
        )
    missing = {k: v for k, v in selector.items() if labels.get(k) != v}
    if missing:
        shown = ", ".join(f"{k}={v}" for k, v in missing.items())
        return Outcome.failed(
            f"selector label(s) {shown} are not on the pod template",
            evidence,
            deployment.where("spec", "selector"),
        )
    if "replicas" in params:
        value = deployment.get("spec", "replicas")
        if value != params["replicas"] or isinstance(value, bool):
            shown = "absent (defaults to 1)" if value is None else repr(value)
            return Outcome.failed(
                f"spec.replicas is {shown}; the task asks for a different count",
                evidence,
                deployment.where("spec", "replicas"),
            )
    images = template_images(deployment.obj)
    if "image" in params and params["image"] not in images:
        return Outcome.failed(
            f"the pod template runs {', '.join(images) or 'no image'}, not the release the task "
            "starts from",
            evidence,
            deployment.where("spec", "template", "spec", "containers"),
        )
    if "port" in params:
        containers = deployment.get("spec", "template", "spec", "containers") or []
        ports = [
            p.get("containerPort")
            for c in containers
            if isinstance(c, dict)
            for p in c.get("ports") or []
            if isinstance(p, dict)
        ]
        if params["port"] not in ports:
            return Outcome.failed(
                f"container ports declared: {', '.join(map(str, ports)) or 'none'}; the agent "
                "listens on another port",
                evidence,
                deployment.where("spec", "template", "spec", "containers"),
            )
    return Outcome.passed(
        f"Deployment {deployment.name!r}: {deployment.get('spec', 'replicas')} replica(s) of "
        f"{', '.join(images)}",
        evidence,
    )


def _deployment_or_outcome(
    inputs: RuleInputs, name: str
) -> tuple[Snapshot, dict[str, Any]] | Outcome:
    if inputs.snapshot is None:
        return Outcome.error("no cluster snapshot: is the lab cluster running?")
    found = inputs.snapshot.get("deployments", name)
    if found is None:
        ns = inputs.snapshot.namespace or inputs.namespace
        return Outcome.pending(
            f"no Deployment {name!r} in namespace {ns!r} yet (not applied?)",
            f"kubectl get deployments -n {ns}",
        )
    return inputs.snapshot, found


def rollout_progress(deployment: dict[str, Any]) -> tuple[bool, str]:
    """(settled, words): settled when every replica is updated, available and no old pod is left."""
    wanted = dig(deployment, "spec", "replicas")
    wanted = 1 if wanted is None else int(wanted)
    status = deployment.get("status") or {}
    observed = status.get("observedGeneration")
    generation = dig(deployment, "metadata", "generation")
    updated = int(status.get("updatedReplicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    total = int(status.get("replicas") or 0)
    words = f"{updated} of {wanted} updated, {available} available, {total} pod(s) in total"
    fresh = observed is not None and (generation is None or int(observed) >= int(generation))
    settled = fresh and updated == wanted and available == wanted and total == wanted
    return settled, words


@rule(
    "state",
    "deployment_available",
    {"deployment": STRING, "image": STRING},
    required=("deployment",),
)
def deployment_available(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The Deployment finished rolling out (all replicas updated and available) on `image`."""
    found = _deployment_or_outcome(inputs, params["deployment"])
    if isinstance(found, Outcome):
        return found
    snapshot, deployment = found
    evidence = f"kubectl rollout status deployment/{params['deployment']} -n {snapshot.namespace}"
    progressing = next(
        (
            c
            for c in dig(deployment, "status", "conditions") or []
            if isinstance(c, dict) and c.get("type") == "Progressing"
        ),
        {},
    )
    settled, words = rollout_progress(deployment)
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return Outcome.failed(f"the rollout stalled (ProgressDeadlineExceeded): {words}", evidence)
    if not settled:
        return Outcome.pending(f"still rolling out: {words}", evidence)
    images = template_images(deployment)
    wanted = params.get("image")
    if wanted and wanted not in images:
        return Outcome.failed(
            f"the Deployment is available on {', '.join(images)}, not the release this exercise "
            "ends on",
            evidence,
        )
    return Outcome.passed(f"available on {', '.join(images)}: {words}", evidence)


@dataclass(frozen=True)
class DeploymentRelease:
    """One version going live: when (None if only known by revision), which ReplicaSet, image."""

    t: float | None
    replicaset: str
    images: tuple[str, ...]
    revision: int


def _owned_replicasets(snapshot: Snapshot, deployment: str) -> dict[str, dict[str, Any]]:
    owned = {}
    for rs in snapshot.items("replicasets"):
        owners = dig(rs, "metadata", "ownerReferences") or []
        if any(
            isinstance(o, dict) and o.get("kind") == "Deployment" and o.get("name") == deployment
            for o in owners
        ):
            owned[str(dig(rs, "metadata", "name"))] = rs
    return owned


def _revision(rs: dict[str, Any]) -> int:
    try:
        return int(dig(rs, "metadata", "annotations", REVISION) or 0)
    except (TypeError, ValueError):
        return 0


def deployment_history(inputs: RuleInputs, deployment: str) -> list[DeploymentRelease]:
    """The versions the Deployment brought up, oldest first (see the module docstring)."""
    if inputs.snapshot is None:
        return []
    owned = _owned_replicasets(inputs.snapshot, deployment)
    history: list[DeploymentRelease] = []
    if inputs.timeline is not None:
        for event in inputs.timeline.events("ScalingReplicaSet"):
            if event.data.get("involvedKind") not in ("Deployment", None):
                continue
            if event.data.get("involvedName") not in (deployment, None):
                continue
            match = _SCALED_UP.match(str(event.data.get("message") or ""))
            rs = owned.get(match.group(1)) if match else None
            if rs is None:
                continue
            release = DeploymentRelease(
                event.t, match.group(1) if match else "", tuple(template_images(rs)), _revision(rs)
            )
            if not history or history[-1].replicaset != release.replicaset:
                history.append(release)
    if history:
        return history
    by_revision = [
        DeploymentRelease(None, name, tuple(template_images(rs)), _revision(rs))
        for name, rs in owned.items()
        if _revision(rs) > 0
    ]
    return sorted(by_revision, key=lambda r: r.revision)


def _when(inputs: RuleInputs, release: DeploymentRelease) -> str:
    if release.t is None or inputs.timeline is None:
        return f"revision {release.revision}"
    return f"+{release.t - inputs.timeline.started_at:.0f}s"


def _versions(history: list[DeploymentRelease]) -> str:
    return " -> ".join(", ".join(r.images) for r in history) or "none"


@rule(
    "timeline",
    "deployment_released",
    {"deployment": STRING, "image": STRING},
    required=("deployment", "image"),
)
def deployment_released(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The Deployment was updated to `image` at some point (a ReplicaSet of it scaled up)."""
    if inputs.snapshot is None:
        return Outcome.error("no cluster snapshot: is the lab cluster running?")
    history = deployment_history(inputs, params["deployment"])
    evidence = (
        f"kubectl rollout history deployment/{params['deployment']} -n {inputs.snapshot.namespace}"
    )
    release = next((r for r in history if params["image"] in r.images), None)
    if release is None:
        return Outcome.pending(
            f"the new version has not been rolled out yet (versions seen: {_versions(history)})",
            evidence,
        )
    return Outcome.passed(
        f"{', '.join(release.images)} rolled out at {_when(inputs, release)}", evidence
    )


@rule(
    "timeline",
    "deployment_recovered",
    {"deployment": STRING, "good_image": STRING, "bad_image": STRING},
    required=("deployment", "good_image", "bad_image"),
)
def deployment_recovered(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """After the update, the Deployment went back to the good version and finished rolling out."""
    found = _deployment_or_outcome(inputs, params["deployment"])
    if isinstance(found, Outcome):
        return found
    snapshot, deployment = found
    evidence = f"kubectl rollout history deployment/{params['deployment']} -n {snapshot.namespace}"
    history = deployment_history(inputs, params["deployment"])
    bad_index = next((i for i, r in enumerate(history) if params["bad_image"] in r.images), None)
    if bad_index is None:
        return Outcome.pending(
            f"the new version has not been rolled out yet (versions seen: {_versions(history)})",
            evidence,
        )
    back = next((r for r in history[bad_index + 1 :] if params["good_image"] in r.images), None)
    images = template_images(deployment)
    if back is None:
        return Outcome.pending(
            f"not recovered yet: the Deployment runs {', '.join(images)} (versions seen: "
            f"{_versions(history)})",
            evidence,
        )
    if params["good_image"] not in images:
        return Outcome.failed(
            f"recovered at {_when(inputs, back)}, but the Deployment now runs {', '.join(images)} "
            f"again (versions seen: {_versions(history)})",
            evidence,
        )
    settled, words = rollout_progress(deployment)
    if not settled:
        return Outcome.pending(f"recovering: {words}", evidence)
    return Outcome.passed(
        f"back on {', '.join(back.images)} at {_when(inputs, back)} after "
        f"{', '.join(history[bad_index].images)} at {_when(inputs, history[bad_index])}; {words}",
        evidence,
    )
