"""State rules: read one cluster snapshot of the lab namespace (live or from a bundle).

A rule answers `pending` while the cluster is still moving (not applied yet, still rolling), so a
learner who checks too early is told to wait, never marked wrong.
"""

from __future__ import annotations

from typing import Any

from checker.results import Outcome
from checker.rules import STRING, RuleInputs, rule
from checker.snapshot import Snapshot
from checker.views import HASH_LABEL, AnalysisRunView, RolloutView, dig

__all__ = ["rollout_or_outcome"]

_PHASES = {"enum": ["Successful", "Failed", "Error", "Inconclusive", "Running"]}


def _get_cmd(name: str, namespace: str) -> str:
    return f"kubectl describe rollout {name} -n {namespace or '<namespace>'}"


def rollout_or_outcome(inputs: RuleInputs, name: str) -> tuple[Snapshot, RolloutView] | Outcome:
    """The snapshot and the named Rollout in it, or an error/pending outcome."""
    if inputs.snapshot is None:
        return Outcome.error("no cluster snapshot: is the lab cluster running?")
    view = inputs.snapshot.rollout(name)
    if view is None:
        ns = inputs.snapshot.namespace or inputs.namespace
        return Outcome.pending(
            f"no Rollout {name!r} in namespace {ns!r} yet (not applied?)",
            f"kubectl get rollouts -n {ns}",
        )
    return inputs.snapshot, view


@rule("state", "rollout_healthy", {"rollout": STRING, "image": STRING}, required=("rollout",))
def rollout_healthy(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The Rollout is Healthy, fully promoted, not aborted, on the intended image."""
    found = rollout_or_outcome(inputs, params["rollout"])
    if isinstance(found, Outcome):
        return found
    snapshot, view = found
    evidence = _get_cmd(view.name, snapshot.namespace)
    if not view.observed_current or view.phase in ("", "Progressing", "Paused"):
        return Outcome.pending(f"still rolling out: {view.summary()}", evidence)
    if view.phase != "Healthy":
        return Outcome.failed(f"Rollout {view.name!r} is {view.summary()}", evidence)
    if not view.fully_promoted:
        return Outcome.pending(f"Healthy but not fully promoted yet: {view.summary()}", evidence)
    wanted = params.get("image")
    if wanted and wanted not in view.images:
        return Outcome.failed(
            f"Rollout {view.name!r} is Healthy on image {', '.join(view.images)}, not the "
            "release this exercise ends on",
            evidence,
        )
    return Outcome.passed(f"Rollout {view.name!r} is Healthy on {', '.join(view.images)}", evidence)


def _owned_by_rollout(obj: dict[str, Any], rollout: str) -> bool:
    owners = dig(obj, "metadata", "ownerReferences") or []
    if any(
        isinstance(o, dict) and o.get("kind") == "Rollout" and o.get("name") == rollout
        for o in owners
    ):
        return True
    return str(dig(obj, "metadata", "name") or "").startswith(f"{rollout}-")


@rule("state", "no_canary_pods", {"rollout": STRING}, required=("rollout",))
def no_canary_pods(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Once promoted or rolled back, only stable pods remain (no canary ReplicaSet scaled up)."""
    found = rollout_or_outcome(inputs, params["rollout"])
    if isinstance(found, Outcome):
        return found
    snapshot, view = found
    evidence = f"kubectl get pods -n {snapshot.namespace} -L {HASH_LABEL}"
    if not view.fully_promoted or view.phase in ("Progressing", "Paused", ""):
        return Outcome.pending(f"rollout not settled yet: {view.summary()}", evidence)
    stable = view.stable_rs
    leftovers = []
    for rs in snapshot.items("replicasets"):
        if not _owned_by_rollout(rs, view.name):
            continue
        rs_hash = dig(rs, "metadata", "labels", HASH_LABEL)
        replicas = dig(rs, "spec", "replicas") or 0
        if rs_hash and rs_hash != stable and replicas:
            leftovers.append(f"ReplicaSet {dig(rs, 'metadata', 'name')} wants {replicas} pod(s)")
    rs_names = {
        dig(rs, "metadata", "name")
        for rs in snapshot.items("replicasets")
        if _owned_by_rollout(rs, view.name)
    }
    for pod in snapshot.items("pods"):
        owners = dig(pod, "metadata", "ownerReferences") or []
        mine = any(isinstance(o, dict) and o.get("name") in rs_names for o in owners)
        pod_hash = dig(pod, "metadata", "labels", HASH_LABEL)
        if (
            mine
            and pod_hash
            and pod_hash != stable
            and not dig(pod, "metadata", "deletionTimestamp")
        ):
            leftovers.append(f"pod {dig(pod, 'metadata', 'name')} ({pod_hash})")
    if leftovers:
        return Outcome.failed("non-stable pods remain: " + "; ".join(leftovers[:5]), evidence)
    return Outcome.passed(f"only stable pods ({stable}) remain", evidence)


@rule(
    "state",
    "analysis_run",
    {"rollout": STRING, "phase": _PHASES},
    required=("rollout", "phase"),
)
def analysis_run(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """An AnalysisRun of the Rollout ended in the given phase (e.g. Failed for a bad release)."""
    if inputs.snapshot is None:
        return Outcome.error("no cluster snapshot: is the lab cluster running?")
    snapshot = inputs.snapshot
    runs = [AnalysisRunView(o) for o in snapshot.items("analysisruns")]
    mine = [
        r
        for r in runs
        if r.rollout == params["rollout"] or r.name.startswith(params["rollout"] + "-")
    ]
    evidence = f"kubectl get analysisruns -n {snapshot.namespace}"
    if any(r.phase == params["phase"] for r in mine):
        run = next(r for r in mine if r.phase == params["phase"])
        return Outcome.passed(f"AnalysisRun {run.name} is {run.phase}", evidence)
    if not mine:
        return Outcome.pending("no AnalysisRun for this Rollout yet", evidence)
    if any(r.phase in ("", "Pending", "Running") for r in mine):
        return Outcome.pending("analysis still running", evidence)
    shown = ", ".join(f"{r.name} ({r.phase})" for r in mine[:5])
    return Outcome.failed(f"AnalysisRuns seen: {shown}", evidence)
