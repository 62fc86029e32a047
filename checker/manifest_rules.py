"""Manifest rules, part 1: files parse, schema, objects present, labels, replicas, container,
Services that select the Rollout's pods. Each rule reads only the learner's files."""

from __future__ import annotations

import re
from typing import Any

from checker.manifests import ManifestObject, ManifestSet
from checker.results import Outcome
from checker.rules import INTEGER, STRING, STRINGS, RuleInputs, rule
from checker.schema_check import validate_object

__all__ = ["find_rollout", "show_lines"]

HASH_LABEL = "rollouts-pod-template-hash"
_MAX_LISTED = 5


def show_lines(item: ManifestObject, *path: str | int) -> str:
    """A command that prints the lines around a field, for the learner to look at."""
    line = item.line(*path)
    return f"sed -n '{max(1, line)},{max(1, line) + 8}p' {item.file}"


def find_rollout(inputs: RuleInputs, params: dict[str, Any]) -> ManifestObject | Outcome:
    """The Rollout named by `params['rollout']` (or the only one), else a failed Outcome."""
    manifests = inputs.manifests or ManifestSet()
    rollouts = manifests.of_kind("Rollout")
    name = params.get("rollout")
    if name:
        found = manifests.find("Rollout", name)
        if found is not None:
            return found
    elif len(rollouts) == 1:
        return rollouts[0]
    unreadable = [p.file for p in manifests.problems]
    if unreadable:
        return Outcome.failed(
            f"no Rollout{f' {name!r}' if name else ''} could be read; these files have problems: "
            + ", ".join(sorted(set(unreadable))[:_MAX_LISTED])
        )
    seen = ", ".join(o.label() for o in manifests.objects[:_MAX_LISTED]) or "no objects"
    return Outcome.failed(
        f"no Rollout{f' named {name!r}' if name else ''} in the files; saw {seen}",
        evidence="grep -n 'kind:' *.yaml",
    )


def field_path(path: str) -> tuple[str | int, ...]:
    """`spec.steps[0].setWeight` -> ("spec", "steps", 0, "setWeight")."""
    parts: list[str | int] = []
    for piece in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        parts.append(int(piece[1:-1]) if piece.startswith("[") else piece)
    return tuple(parts)


@rule("manifest", "files_parse", {"min_objects": INTEGER})
def files_parse(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Every file is readable YAML (UTF-8, no tabs, no duplicate keys) holding objects."""
    manifests = inputs.manifests or ManifestSet()
    if manifests.problems:
        shown = [f"{p.where()}: {p.message}" for p in manifests.problems[:_MAX_LISTED]]
        more = len(manifests.problems) - len(shown)
        first = manifests.problems[0]
        return Outcome.failed(
            "; ".join(shown) + (f" (+{more} more)" if more > 0 else ""),
            evidence=f"kubectl apply --dry-run=client -f {first.file}",
            where=first.where(),
        )
    minimum = int(params.get("min_objects", 1))
    if len(manifests.objects) < minimum:
        return Outcome.failed(
            f"found {len(manifests.objects)} Kubernetes object(s) in "
            f"{len(manifests.files)} file(s)" + ("" if manifests.files else " (no .yaml files)"),
            evidence="ls *.yaml",
        )
    return Outcome.passed(
        f"{len(manifests.objects)} objects in {len(manifests.files)} files read cleanly"
    )


@rule("manifest", "schema_valid")
def schema_valid(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Every object passes the API server's schema validation (same messages as kubectl)."""
    manifests = inputs.manifests or ManifestSet()
    if not manifests.objects:
        return Outcome.failed("no objects to validate (see the file checks)")
    findings: list[tuple[ManifestObject, str, str]] = []
    for item in manifests.objects:
        for cause in validate_object(item.obj):
            findings.append((item, cause.field, cause.message))
    if not findings:
        return Outcome.passed(f"{len(manifests.objects)} objects pass schema validation")
    shown = []
    for item, path, message in findings[:_MAX_LISTED]:
        where = f"{item.file}:{item.line(*field_path(path))}"
        shown.append(f"{where}: {item.label()}: {path + ': ' if path else ''}{message}")
    first, first_path, _ = findings[0]
    return Outcome.failed(
        "; ".join(shown),
        evidence=f"kubectl apply --dry-run=server -f {first.file}",
        where=f"{first.file}:{first.line(*field_path(first_path))}",
    )


@rule(
    "manifest",
    "object_present",
    {"kind": STRING, "name": STRING, "api_version": STRING},
    required=("kind", "api_version"),
)
def object_present(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """An object of `kind` (optionally `name`) exists, with the apiVersion the cluster serves."""
    manifests = inputs.manifests or ManifestSet()
    kind, name = params["kind"], params.get("name")
    candidates = [o for o in manifests.of_kind(kind) if not name or o.name == name]
    if not candidates:
        seen = ", ".join(o.label() for o in manifests.objects[:_MAX_LISTED]) or "no objects"
        wanted = f"{kind} named {name!r}" if name else f"a {kind}"
        return Outcome.failed(f"no {wanted} in the files; saw {seen}", "grep -n 'kind:' *.yaml")
    item = candidates[0]
    if item.api_version != params["api_version"]:
        return Outcome.failed(
            f"{item.label()} declares apiVersion {item.api_version!r}, which does not serve "
            f"kind {kind}",
            evidence=f"kubectl api-resources | grep -i {kind}",
            where=item.where("apiVersion"),
        )
    return Outcome.passed(f"{item.label()} found in {item.file}", where=item.where())


@rule("manifest", "selector_matches_template", {"rollout": STRING})
def selector_matches_template(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """spec.selector.matchLabels is non-empty and every label is on the pod template."""
    rollout = find_rollout(inputs, params)
    if isinstance(rollout, Outcome):
        return rollout
    selector = rollout.get("spec", "selector", "matchLabels")
    labels = rollout.get("spec", "template", "metadata", "labels")
    evidence = show_lines(rollout, "spec", "selector")
    if not isinstance(selector, dict) or not selector:
        return Outcome.failed(
            f"{rollout.label()} has no spec.selector.matchLabels", evidence, rollout.where("spec")
        )
    labels = labels if isinstance(labels, dict) else {}
    missing = {k: v for k, v in selector.items() if labels.get(k) != v}
    if missing:
        shown = ", ".join(f"{k}={v}" for k, v in missing.items())
        return Outcome.failed(
            f"selector label(s) {shown} are not on the pod template (template labels: "
            f"{', '.join(f'{k}={v}' for k, v in labels.items()) or 'none'})",
            evidence,
            rollout.where("spec", "selector"),
        )
    return Outcome.passed("selector matches the pod template labels", evidence)


@rule("manifest", "replicas", {"rollout": STRING, "equals": INTEGER}, required=("equals",))
def replicas(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """spec.replicas is the number the task asks for (absent means 1)."""
    rollout = find_rollout(inputs, params)
    if isinstance(rollout, Outcome):
        return rollout
    value = rollout.get("spec", "replicas")
    shown = "absent (defaults to 1)" if value is None else repr(value)
    evidence = show_lines(rollout, "spec", "replicas")
    if value == params["equals"] and not isinstance(value, bool):
        return Outcome.passed(f"spec.replicas is {value}", evidence)
    return Outcome.failed(
        f"spec.replicas is {shown}; the task asks for a different count",
        evidence,
        rollout.where("spec", "replicas"),
    )


def containers_of(item: ManifestObject) -> list[dict[str, Any]]:
    containers = item.get("spec", "template", "spec", "containers")
    return [c for c in containers if isinstance(c, dict)] if isinstance(containers, list) else []


@rule(
    "manifest",
    "container",
    {"rollout": STRING, "image": STRING, "port": INTEGER},
    required=("image",),
)
def container(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The pod template runs the intended image and exposes the container port."""
    rollout = find_rollout(inputs, params)
    if isinstance(rollout, Outcome):
        return rollout
    containers = containers_of(rollout)
    evidence = show_lines(rollout, "spec", "template", "spec", "containers")
    if not containers:
        return Outcome.failed("the pod template has no containers", evidence, rollout.where("spec"))
    images = [str(c.get("image") or "") for c in containers]
    if params["image"] not in images:
        return Outcome.failed(
            f"the pod template runs image {', '.join(images) or '(none)'}, not the release the "
            "task starts from",
            evidence,
            rollout.where("spec", "template", "spec", "containers", 0, "image"),
        )
    if "port" in params:
        ports = [
            p.get("containerPort")
            for c in containers
            for p in c.get("ports") or []
            if isinstance(p, dict)
        ]
        if params["port"] not in ports:
            return Outcome.failed(
                f"container ports declared: {', '.join(map(str, ports)) or 'none'}; the agent "
                "listens on another port",
                evidence,
                rollout.where("spec", "template", "spec", "containers", 0),
            )
    return Outcome.passed(f"image {params['image']} with the expected port", evidence)


def strategy_services(rollout: ManifestObject) -> list[str]:
    """Service names the Rollout's strategy refers to (canary or blue-green)."""
    names = []
    for path in (
        ("canary", "stableService"),
        ("canary", "canaryService"),
        ("blueGreen", "activeService"),
        ("blueGreen", "previewService"),
    ):
        value = rollout.get("spec", "strategy", *path)
        if isinstance(value, str) and value:
            names.append(value)
    return names


def _target_ok(target: Any, containers: list[dict[str, Any]]) -> bool:
    ports = [p for c in containers for p in c.get("ports") or [] if isinstance(p, dict)]
    if isinstance(target, int) and not isinstance(target, bool):
        return any(p.get("containerPort") == target for p in ports)
    if isinstance(target, str):
        return any(p.get("name") == target for p in ports) or (
            target.isdigit() and any(p.get("containerPort") == int(target) for p in ports)
        )
    return False


@rule("manifest", "services_select_pods", {"rollout": STRING, "services": STRINGS})
def services_select_pods(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Each Service the strategy names exists, selects the Rollout's pods and targets a port."""
    rollout = find_rollout(inputs, params)
    if isinstance(rollout, Outcome):
        return rollout
    manifests = inputs.manifests or ManifestSet()
    names = list(params.get("services") or strategy_services(rollout))
    if not names:
        return Outcome.failed(
            "the Rollout's strategy names no Services", show_lines(rollout, "spec")
        )
    labels = rollout.get("spec", "template", "metadata", "labels")
    labels = labels if isinstance(labels, dict) else {}
    problems = []
    defined = [n for n in names if manifests.find("Service", n) is not None]
    if not defined:
        return Outcome.failed(
            f"none of the Services {', '.join(map(repr, names))} is defined in the files",
            "grep -n -A3 'kind: Service' *.yaml",
        )
    for name in defined:
        service = manifests.find("Service", name)
        assert service is not None
        selector = service.get("spec", "selector")
        if not isinstance(selector, dict) or not selector:
            problems.append(f"{service.where('spec')}: Service {name!r} has no selector")
            continue
        wrong = {k: v for k, v in selector.items() if k != HASH_LABEL and labels.get(k) != v}
        if wrong:
            shown = ", ".join(f"{k}={v}" for k, v in wrong.items())
            problems.append(
                f"{service.where('spec', 'selector')}: Service {name!r} selects {shown}, "
                "which the Rollout's pods do not carry"
            )
            continue
        ports = service.get("spec", "ports")
        ports = [p for p in ports if isinstance(p, dict)] if isinstance(ports, list) else []
        if not any(
            _target_ok(p.get("targetPort", p.get("port")), containers_of(rollout)) for p in ports
        ):
            problems.append(
                f"{service.where('spec', 'ports')}: Service {name!r} sends traffic to a port "
                "no container declares"
            )
    if problems:
        return Outcome.failed("; ".join(problems), "grep -n -A4 'selector:' *.yaml")
    return Outcome.passed(f"Services {', '.join(defined)} select the Rollout's pods")
