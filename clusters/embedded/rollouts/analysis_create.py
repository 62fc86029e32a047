"""Building the AnalysisRuns a Rollout creates: name, labels, annotations, owner, templates
flattened (nested refs followed), arguments resolved (podTemplateHashValue, fieldRef), and
creation with the `.1`, `.2` collision suffixes (upstream utils/analysis factory)."""

from __future__ import annotations

import copy
import re
from typing import Any

from clusters.embedded.controllers.podutil import controller_of, owner_reference
from clusters.embedded.rollouts.context import (
    ANALYSISRUNS,
    ANALYSISTEMPLATES,
    CLUSTERANALYSISTEMPLATES,
    RolloutPass,
)
from clusters.embedded.rollouts.replicasets import HASH_LABEL, REVISION, rs_hash
from clusters.embedded.status import ApiError

__all__ = [
    "COMPLETED",
    "AnalysisBuildError",
    "build_run",
    "create_with_collision_counter",
    "run_labels",
]

COMPLETED = ("Successful", "Failed", "Error", "Inconclusive")
ROLLOUT_TYPE = "rollout-type"
STEP_INDEX = "step-index"
INSTANCE_ID = "argo-rollouts.argoproj.io/controller-instance-id"
_FIELD_SPLIT = re.compile(r"[.\[\]]")


class AnalysisBuildError(Exception):
    """A run cannot be built (missing template, unresolved argument, duplicate metric)."""


def run_labels(p: RolloutPass, kind: str, step_index: int | None = None) -> dict[str, str]:
    labels = {HASH_LABEL: rs_hash(p.new_rs), ROLLOUT_TYPE: kind}
    if step_index is not None:
        labels[STEP_INDEX] = str(step_index)
    instance = (p.rollout["metadata"].get("labels") or {}).get(INSTANCE_ID)
    if instance:
        labels[INSTANCE_ID] = instance
    return labels


def _template(p: RolloutPass, ref: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = ref.get("templateName", "")
    cluster = bool(ref.get("clusterScope"))
    try:
        if cluster:
            return "cluster", p.store.get(CLUSTERANALYSISTEMPLATES, None, name)
        return "namespaced", p.store.get(ANALYSISTEMPLATES, p.namespace, name)
    except ApiError as error:
        kind = "ClusterAnalysisTemplate" if cluster else "AnalysisTemplate"
        raise AnalysisBuildError(f"{kind} '{name}' not found") from error


def _collect(
    p: RolloutPass, refs: list[dict[str, Any]], out: dict[str, list[dict[str, Any]]]
) -> None:
    for ref in refs:
        scope, template = _template(p, ref)
        bucket = out[scope]
        if all(t["metadata"]["name"] != template["metadata"]["name"] for t in bucket):
            bucket.append(template)
        nested = (template.get("spec") or {}).get("templates")
        if nested:
            _collect(p, nested, out)


def _field_value(rollout: dict[str, Any], path: str) -> str:
    meta = rollout.get("metadata") or {}
    match = re.fullmatch(r"metadata\.(labels|annotations)\['([^']*)'\]", path)
    if match:
        return str((meta.get(match.group(1)) or {}).get(match.group(2), ""))
    if path in ("metadata.name", "metadata.namespace", "metadata.uid"):
        return str(meta.get(path.split(".")[1], ""))
    current: Any = rollout
    for part in (p for p in _FIELD_SPLIT.split(path) if p):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise AnalysisBuildError(f"failed to resolve fieldRef {path}")
    return current if isinstance(current, str) else str(current)


def _rollout_args(p: RolloutPass, args: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rollout-side arguments as plain values (podTemplateHashValue, fieldRef resolved)."""
    out = []
    for arg in args:
        value_from = arg.get("valueFrom")
        if value_from is None:
            out.append({"name": arg["name"], "value": arg.get("value", "")})
            continue
        which = value_from.get("podTemplateHashValue")
        if which is not None:
            rs = p.stable_rs if which == "Stable" else p.new_rs
            out.append({"name": arg["name"], "value": rs_hash(rs)})
        elif value_from.get("fieldRef") is not None:
            path = value_from["fieldRef"].get("fieldPath", "")
            out.append({"name": arg["name"], "value": _field_value(p.rollout, path)})
        else:
            out.append({"name": arg["name"], "valueFrom": copy.deepcopy(value_from)})
    return out


def _merge_args(
    templates: list[dict[str, Any]], rollout_args: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Template args merged by name (conflicting values refused), then the rollout's values
    for the names the templates declare; every arg must end with a value."""
    merged: dict[str, dict[str, Any]] = {}
    for template in templates:
        for arg in (template.get("spec") or {}).get("args") or []:
            prior = merged.get(arg["name"])
            value = arg.get("value")
            earlier = None if prior is None else prior.get("value")
            if earlier is not None and value is not None and earlier != value:
                raise AnalysisBuildError(
                    f"Argument `{arg['name']}` specified multiple times with different "
                    f"values: '{earlier}', '{value}'"
                )
            if prior is None or (prior.get("value") is None and prior.get("valueFrom") is None):
                merged[arg["name"]] = copy.deepcopy(arg)
    for arg in rollout_args:
        if arg["name"] in merged:
            merged[arg["name"]] = copy.deepcopy(arg)
    for arg in merged.values():
        if arg.get("value") is None and arg.get("valueFrom") is None:
            raise AnalysisBuildError(f"args.{arg['name']} was not resolved")
    return list(merged.values())


def _named_rules(
    rollout_rules: list[dict[str, Any]], templates: list[dict[str, Any]], key: str, label: str
) -> list[dict[str, Any]]:
    rules = [copy.deepcopy(r) for r in rollout_rules]
    for template in templates:
        rules += copy.deepcopy((template.get("spec") or {}).get(key) or [])
    seen: set[str] = set()
    for rule in rules:
        name = str(rule.get("metricName", ""))
        if name in seen:
            raise AnalysisBuildError(f"two {label} metric rules have the same name '{name}'")
        seen.add(name)
    return rules


def build_run(
    p: RolloutPass, analysis: dict[str, Any], infix: str, labels: dict[str, str]
) -> dict[str, Any]:
    """The AnalysisRun object for a RolloutAnalysis block (not yet created)."""
    found: dict[str, list[dict[str, Any]]] = {"namespaced": [], "cluster": []}
    _collect(p, analysis.get("templates") or [], found)
    templates = found["namespaced"] + found["cluster"]
    metrics: list[dict[str, Any]] = []
    for template in templates:
        for metric in (template.get("spec") or {}).get("metrics") or []:
            if any(m.get("name") == metric.get("name") for m in metrics):
                raise AnalysisBuildError(f"two metrics have the same name '{metric.get('name')}'")
            metrics.append(copy.deepcopy(metric))
    args = _merge_args(templates, _rollout_args(p, analysis.get("args") or []))
    metadata = analysis.get("analysisRunMetadata") or {}
    all_labels = dict(labels)
    all_labels.update(metadata.get("labels") or {})
    all_labels.update((p.spec.get("selector") or {}).get("matchLabels") or {})
    annotations = {REVISION: p.revision, **(metadata.get("annotations") or {})}
    name = "-".join(part for part in (p.name, rs_hash(p.new_rs), p.revision, infix) if part)
    spec: dict[str, Any] = {"metrics": metrics}
    if args:
        spec["args"] = args
    dry_run = _named_rules(analysis.get("dryRun") or [], templates, "dryRun", "Dry-Run")
    if dry_run:
        spec["dryRun"] = dry_run
    retention = _named_rules(
        analysis.get("measurementRetention") or [],
        templates,
        "measurementRetention",
        "Measurement Retention",
    )
    if retention:
        spec["measurementRetention"] = retention
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {
            "name": name,
            "namespace": p.namespace,
            "labels": all_labels,
            "annotations": annotations,
            "ownerReferences": [owner_reference(p.rollout)],
        },
        "spec": spec,
    }


def _same_run(existing: dict[str, Any], wanted: dict[str, Any], owner_uid: str) -> bool:
    ref = controller_of(existing) or {}
    if ref.get("uid") != owner_uid:
        return False
    if (existing.get("status") or {}).get("phase") in COMPLETED:
        return False
    spec, other = existing.get("spec") or {}, wanted["spec"]
    keys = ("metrics", "args", "dryRun", "measurementRetention")
    return all(spec.get(k) == other.get(k) for k in keys)


def create_with_collision_counter(p: RolloutPass, run: dict[str, Any]) -> dict[str, Any]:
    """Create `run`; an existing identical running run of ours is reused, otherwise the name
    gets `.1`, `.2`, ... until it is free."""
    base = run["metadata"]["name"]
    for attempt in range(0, 100):
        body = copy.deepcopy(run)
        if attempt:
            body["metadata"]["name"] = f"{base}.{attempt}"
        try:
            created: dict[str, Any] = p.store.create(ANALYSISRUNS, body)
            return created
        except ApiError as error:
            if error.code != 409:
                raise
        existing = p.store.get(ANALYSISRUNS, p.namespace, body["metadata"]["name"])
        if _same_run(existing, run, p.rollout["metadata"]["uid"]):
            return existing
    raise AnalysisBuildError(f"too many AnalysisRuns named {base}")
