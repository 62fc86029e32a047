"""Manifest rules, part 3: AnalysisTemplates — wiring, metric shape, and conditions that bound
the right measure (checked by evaluating them on sample measurements)."""

from __future__ import annotations

import re
from typing import Any

from checker.conditions import ConditionError, decide_measurement, evaluate_condition
from checker.durations import parse_go_duration
from checker.manifest_rules import find_rollout, show_lines
from checker.manifests import ManifestObject, ManifestSet
from checker.results import Outcome
from checker.rules import INTEGER, STRING, RuleInputs, rule

__all__ = ["referenced_templates"]

_ARG = re.compile(r"\{\{\s*args\.([A-Za-z0-9_.-]+)\s*\}\}")


def referenced_templates(rollout: ManifestObject) -> list[tuple[str, tuple[str | int, ...], bool]]:
    """(template name, where-path, is_step_analysis) for every analysis the Rollout runs."""
    found: list[tuple[str, tuple[str | int, ...], bool]] = []
    places: list[tuple[tuple[str | int, ...], bool]] = [
        (("spec", "strategy", "canary", "analysis"), False),
        (("spec", "strategy", "blueGreen", "prePromotionAnalysis"), True),
        (("spec", "strategy", "blueGreen", "postPromotionAnalysis"), True),
    ]
    steps = rollout.get("spec", "strategy", "canary", "steps")
    for i, step in enumerate(steps if isinstance(steps, list) else []):
        if isinstance(step, dict) and "analysis" in step:
            places.append((("spec", "strategy", "canary", "steps", i, "analysis"), True))
    for path, inline in places:
        templates = rollout.get(*path, "templates")
        for j, ref in enumerate(templates if isinstance(templates, list) else []):
            if isinstance(ref, dict) and isinstance(ref.get("templateName"), str):
                found.append((ref["templateName"], (*path, "templates", j), inline))
    return found


def _template(manifests: ManifestSet, name: str) -> ManifestObject | None:
    return manifests.find("AnalysisTemplate", name) or manifests.find(
        "ClusterAnalysisTemplate", name
    )


def _wired(
    inputs: RuleInputs, params: dict[str, Any]
) -> tuple[ManifestObject, ManifestObject, bool] | Outcome:
    """The Rollout, the referenced template (optionally a named one) and whether inline."""
    rollout = find_rollout(inputs, params)
    if isinstance(rollout, Outcome):
        return rollout
    manifests = inputs.manifests or ManifestSet()
    references = referenced_templates(rollout)
    evidence = show_lines(rollout, "spec", "strategy")
    if not references:
        return Outcome.failed(
            f"{rollout.label()} runs no analysis (no templates under strategy analysis or steps)",
            evidence,
            rollout.where("spec", "strategy"),
        )
    wanted = params.get("template")
    for name, _path, inline in references:
        template = _template(manifests, name)
        if template is not None and (not wanted or name == wanted):
            return rollout, template, inline
    names = ", ".join(repr(n) for n, _, _ in references)
    return Outcome.failed(
        f"the Rollout references template {names}, which is not defined in the files"
        if not wanted
        else f"the Rollout references {names}, not the template this task defines",
        "grep -n -B2 -A3 'templateName' *.yaml",
        rollout.where(*references[0][1]),
    )


def _template_for_metric(
    inputs: RuleInputs, params: dict[str, Any]
) -> tuple[ManifestObject | None, ManifestObject, bool] | Outcome:
    """The template to judge: the wired one, else the only AnalysisTemplate in the files.

    Wiring has its own check, so a typo in templateName does not also fail the metric checks.
    """
    wired = _wired(inputs, params)
    if not isinstance(wired, Outcome):
        return wired
    manifests = inputs.manifests or ManifestSet()
    templates = manifests.of_kind("AnalysisTemplate") + manifests.of_kind("ClusterAnalysisTemplate")
    if params.get("template"):
        templates = [t for t in templates if t.name == params["template"]]
    if len(templates) == 1:
        rollout = find_rollout(inputs, params)
        return (None if isinstance(rollout, Outcome) else rollout), templates[0], False
    if not templates:
        return Outcome.failed(
            "no AnalysisTemplate is defined in the files", "grep -n 'kind:' *.yaml"
        )
    return wired


@rule("manifest", "analysis_wired", {"rollout": STRING, "template": STRING})
def analysis_wired(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The Rollout runs an AnalysisTemplate defined in the files and passes the args it needs."""
    wired = _wired(inputs, params)
    if isinstance(wired, Outcome):
        return wired
    rollout, template, inline = wired
    needed = {
        a.get("name")
        for a in template.get("spec", "args") or []
        if isinstance(a, dict) and "value" not in a and "valueFrom" not in a
    }
    given: set[Any] = set()
    for name, path, _ in referenced_templates(rollout):
        if name == template.name:
            args = rollout.get(*path[:-2], "args")
            given |= {a.get("name") for a in args or [] if isinstance(a, dict)}
    missing = sorted(str(n) for n in needed - given)
    if missing:
        return Outcome.failed(
            f"template {template.name!r} needs arg(s) {', '.join(missing)} that the Rollout does "
            "not pass",
            show_lines(rollout, "spec", "strategy"),
            rollout.where("spec", "strategy"),
        )
    kind = "step analysis" if inline else "background analysis"
    return Outcome.passed(f"{kind} runs template {template.name!r}")


def _squash(name: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def _reads(metric: dict[str, Any], measure: str) -> bool:
    """The metric's web jsonPath selects the stats field `measure` (e.g. `{$.urgent_ratio}`)."""
    provider = metric.get("provider")
    web = provider.get("web") if isinstance(provider, dict) else None
    if not isinstance(web, dict):
        return False
    return _json_path(str(web.get("jsonPath") or "")).lstrip(".") == measure


def _metric(
    template: ManifestObject, wanted: str | None, measure: str | None = None
) -> tuple[int, dict[str, Any]] | None:
    """The first metric named `wanted` (any name if None) that, with `measure`, reads that stats
    field: its jsonPath selects it or, failing that, its name spells it (as `urgent-ratio`)."""
    metrics = template.get("spec", "metrics")
    found = [
        (i, m)
        for i, m in enumerate(metrics if isinstance(metrics, list) else [])
        if isinstance(m, dict) and (not wanted or m.get("name") == wanted)
    ]
    if measure:
        # A wrong jsonPath on a metric named after the measure is analysis_metric's to report.
        found = [f for f in found if _reads(f[1], measure)] or [
            f for f in found if _squash(f[1].get("name")) == _squash(measure)
        ]
    return found[0] if found else None


def _measured(
    inputs: RuleInputs, params: dict[str, Any]
) -> tuple[ManifestObject | None, ManifestObject, bool, int, dict[str, Any]] | Outcome:
    """(rollout, template, inline, metric index, metric) a metric check judges.

    With `measure`, the metric may live in any template the Rollout runs, not only the first.
    """
    wired = _template_for_metric(inputs, params)
    if isinstance(wired, Outcome):
        return wired
    rollout, template, inline = wired
    measure = params.get("measure")
    found = _metric(template, params.get("metric"), measure)
    if found is None and measure:
        manifests = inputs.manifests or ManifestSet()
        references = referenced_templates(rollout) if rollout is not None else []
        running = {name: step for name, _, step in references}
        kinds = manifests.of_kind("AnalysisTemplate") + manifests.of_kind("ClusterAnalysisTemplate")
        for other in kinds:
            hit = _metric(other, params.get("metric"), measure)
            if other is template or hit is None:
                continue
            if references and other.name not in running:
                return Outcome.failed(
                    f"template {other.name!r} measures {measure}, but the Rollout does not run it",
                    show_lines(other, "spec", "metrics"),
                    other.where("spec", "metrics"),
                )
            template, inline, found = other, running.get(other.name, False), hit
            break
    evidence = show_lines(template, "spec", "metrics")
    if found is None:
        problem = (
            f"no metric of the analysis reads {measure} from the stats"
            if measure
            else f"template {template.name!r} has no metrics"
        )
        return Outcome.failed(problem, evidence, template.where("spec"))
    return rollout, template, inline, found[0], found[1]


def _int_or_string(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return int(value) if value.lstrip("-").isdigit() else 0
    return None


def _limits_problem(metric: dict[str, Any], inline: bool) -> str:
    """The analysis controller's metric checks (ValidateMetric) plus the inline-count rule."""
    interval = metric.get("interval")
    if interval is not None and (
        not isinstance(interval, str) or parse_go_duration(interval) is None
    ):
        return f"interval {interval!r} is not a duration with a unit (e.g. seconds or minutes)"
    count = _int_or_string(metric.get("count")) or 0
    failure_limit = _int_or_string(metric.get("failureLimit", 0))
    if failure_limit is None or failure_limit < -1:
        return f"failureLimit {metric.get('failureLimit')!r} must be >= 0, or -1 to be disabled"
    if count > 1 and interval is None:
        return f"count is {count} but no interval is set"
    if count > 0 and failure_limit >= 0 and count < failure_limit:
        return f"count ({count}) is below failureLimit ({failure_limit}), so it can never fail"
    if inline and count == 0 and interval is not None:
        return "this metric runs in a step but has an interval and no count, so it never ends"
    return ""


def _resolve_args(text: str, template: ManifestObject, namespace: str) -> str:
    defaults: dict[str, str] = {}
    for arg in template.get("spec", "args") or []:
        if isinstance(arg, dict) and isinstance(arg.get("value"), str):
            defaults[str(arg.get("name"))] = arg["value"]
    if namespace:
        defaults.setdefault("namespace", namespace)
    return _ARG.sub(lambda m: defaults.get(m.group(1), m.group(0)), text)


def _url_parts(url: str) -> tuple[str, int | None, str]:
    match = re.match(r"^https?://([^/:]+)(?::(\d+))?(/[^?#]*)?", url)
    if not match:
        return "", None, ""
    return match.group(1), int(match.group(2)) if match.group(2) else None, match.group(3) or "/"


def _json_path(text: str) -> str:
    inner = text.strip()
    if inner.startswith("{") and inner.endswith("}"):
        inner = inner[1:-1].strip()
    return inner[1:] if inner.startswith("$") else inner


@rule(
    "manifest",
    "analysis_metric",
    {
        "rollout": STRING,
        "template": STRING,
        "metric": STRING,
        "measure": STRING,
        "provider": STRING,
        "port": INTEGER,
        "path": STRING,
        "json_path": STRING,
    },
    required=("provider",),
)
def analysis_metric(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """The metric uses the provider asked for, measures the canary Service, and has sane limits."""
    measured = _measured(inputs, params)
    if isinstance(measured, Outcome):
        return measured
    rollout, template, inline, index, metric = measured
    evidence = show_lines(template, "spec", "metrics")
    where = template.where("spec", "metrics", index)
    provider = metric.get("provider")
    kinds = list(provider) if isinstance(provider, dict) else []
    if kinds != [params["provider"]]:
        shown = ", ".join(kinds) or "none"
        return Outcome.failed(f"metric provider is {shown}", evidence, where)
    limits = _limits_problem(metric, inline)
    if limits:
        return Outcome.failed(limits, evidence, where)
    if params["provider"] != "web":
        return Outcome.passed(f"metric {metric.get('name')!r} uses {params['provider']}")
    web_spec = provider.get("web") if isinstance(provider, dict) else None
    web: dict[str, Any] = web_spec if isinstance(web_spec, dict) else {}
    url = _resolve_args(str(web.get("url") or ""), template, inputs.namespace)
    host, port, path = _url_parts(url)
    strategy = rollout.get("spec", "strategy", "canary") if rollout is not None else None
    strategy = strategy if isinstance(strategy, dict) else {}
    canary, stable = strategy.get("canaryService"), strategy.get("stableService")
    first_label = host.split(".")[0]
    if not host:
        return Outcome.failed(f"web url {web.get('url')!r} is not an http(s) URL", evidence, where)
    # Without a canaryService the canary-services check reports it; judge the host only if set.
    if canary and canary != stable and first_label != canary:
        whose = (
            "the stable Service"
            if first_label == stable
            else "a host that is not the Rollout's canaryService"
        )
        return Outcome.failed(
            f"web url points at {host!r}, {whose}; the analysis would not measure the canary",
            evidence,
            where,
        )
    if inputs.namespace and "." in host and host.split(".")[1] != inputs.namespace:
        return Outcome.failed(f"web url host {host!r} is in another namespace", evidence, where)
    if "port" in params and port != params["port"]:
        return Outcome.failed(f"web url uses port {port or 'default (80)'}", evidence, where)
    if "path" in params and path.rstrip("/") != params["path"].rstrip("/"):
        return Outcome.failed(f"web url path is {path!r}", evidence, where)
    if "json_path" in params and _json_path(str(web.get("jsonPath") or "")) != _json_path(
        params["json_path"]
    ):
        return Outcome.failed(
            f"jsonPath {web.get('jsonPath')!r} selects a different field of the stats",
            evidence,
            where,
        )
    return Outcome.passed(f"metric {metric.get('name')!r} measures {host}:{port}{path}", evidence)


@rule(
    "manifest",
    "analysis_condition",
    {
        "rollout": STRING,
        "template": STRING,
        "metric": STRING,
        "measure": STRING,
        "pass_samples": {"type": "array", "minItems": 1},
        "fail_samples": {"type": "array", "minItems": 1},
    },
    required=("pass_samples", "fail_samples"),
)
def analysis_condition(inputs: RuleInputs, params: dict[str, Any]) -> Outcome:
    """Conditions parse and decide healthy samples Successful and unhealthy samples Failed.

    `measure` picks the metric that reads that stats field, so one template can bound several.
    """
    measured = _measured(inputs, params)
    if isinstance(measured, Outcome):
        return measured
    _, template, _, index, metric = measured
    evidence = show_lines(template, "spec", "metrics")
    conditions = {
        k: metric.get(k) for k in ("successCondition", "failureCondition") if metric.get(k)
    }
    where = template.where("spec", "metrics", index)
    if not conditions:
        return Outcome.failed(
            "the metric has no successCondition or failureCondition, so every measurement "
            "counts as successful",
            evidence,
            where,
        )
    for key, expression in conditions.items():
        try:
            evaluate_condition(str(expression), params["pass_samples"][0])
        except ConditionError as error:
            return Outcome.failed(
                f"{key} {expression!r} cannot be evaluated: {error}",
                evidence,
                template.where("spec", "metrics", index, key),
            )
    for sample in params["pass_samples"]:
        verdict = decide_measurement(metric, sample)
        if verdict != "Successful":
            return Outcome.failed(
                f"on a healthy measurement ({sample!r}) the metric is judged {verdict}",
                evidence,
                where,
            )
    for sample in params["fail_samples"]:
        verdict = decide_measurement(metric, sample)
        if verdict != "Failed":
            return Outcome.failed(
                f"on an unhealthy measurement ({sample!r}) the metric is judged {verdict}",
                evidence,
                where,
            )
    return Outcome.passed("conditions pass healthy samples and fail unhealthy ones", evidence)
