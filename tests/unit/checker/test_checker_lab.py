"""The canary-analysis lab end to end (static): reference solution, starter, wrong variants
generated from the solution (each must fail exactly its check, saying what it saw) and correct
alternatives (which must keep full marks: no false failures)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from checker import GradeRequest, Status, grade, load_manifest_dir, load_manifests, load_rubric

LAB = Path(__file__).resolve().parents[3] / "labs" / "canary-analysis"
RUBRIC = load_rubric(LAB)
MANIFEST_CHECKS = {c.id for c in RUBRIC.checks if c.family == "manifest"}

Docs = dict[str, list[dict[str, Any]]]


def _solution_docs() -> Docs:
    return {
        p.name: [d for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]
        for p in sorted((LAB / "solution").glob("*.yaml"))
    }


SOLUTION = _solution_docs()


def _grade(docs: Docs):
    files = {name: yaml.safe_dump_all(items, sort_keys=False) for name, items in docs.items()}
    return grade(GradeRequest(rubric=RUBRIC, mode="static", manifests=load_manifests(files)))


def _rollout(d: Docs) -> dict[str, Any]:
    return d["rollout.yaml"][0]


def _canary(d: Docs) -> dict[str, Any]:
    return _rollout(d)["spec"]["strategy"]["canary"]


def _metric(d: Docs) -> dict[str, Any]:
    return d["analysis-template.yaml"][0]["spec"]["metrics"][0]


def _urgent(d: Docs) -> dict[str, Any]:
    return d["analysis-template.yaml"][0]["spec"]["metrics"][1]


def _service(d: Docs, name: str) -> dict[str, Any]:
    return next(s for s in d["services.yaml"] if s["metadata"]["name"] == name)


def _set(path: Callable[[Docs], dict[str, Any]], key: str, value: Any) -> Callable[[Docs], None]:
    def mutate(d: Docs) -> None:
        path(d)[key] = value

    return mutate


def _drop(path: Callable[[Docs], dict[str, Any]], key: str) -> Callable[[Docs], None]:
    return lambda d: path(d).pop(key)


def _steps(d: Docs) -> list[dict[str, Any]]:
    return _canary(d)["steps"]


def _web(d: Docs) -> dict[str, Any]:
    return _metric(d)["provider"]["web"]


def _container(d: Docs) -> dict[str, Any]:
    return _rollout(d)["spec"]["template"]["spec"]["containers"][0]


# (name, mutation, the one check that must fail, words the message must contain)
WRONG: list[tuple[str, Callable[[Docs], None], str, str]] = [
    ("two-replicas", _set(lambda d: _rollout(d)["spec"], "replicas", 2), "replicas", "is 2"),
    ("no-replicas", _drop(lambda d: _rollout(d)["spec"], "replicas"), "replicas", "absent"),
    (
        "wrong-image",
        _set(_container, "image", "rollout-lab/task-agent:v2"),
        "image-port",
        "task-agent:v2",
    ),
    (
        "wrong-port",
        lambda d: _container(d)["ports"][0].update(containerPort=9090),
        "image-port",
        "9090",
    ),
    (
        "selector-typo",
        lambda d: _rollout(d)["spec"]["selector"]["matchLabels"].update(app="agents"),
        "selector-labels",
        "app=agents",
    ),
    ("weight-30", lambda d: _steps(d)[0].update(setWeight=30), "canary-steps", "30, 50"),
    ("indefinite-pause", lambda d: _steps(d)[1].update(pause={}), "canary-steps", "no duration"),
    (
        "one-minute-pause",
        lambda d: _steps(d)[3].update(pause={"duration": "1m"}),
        "canary-steps",
        "1m",
    ),
    ("missing-pause", lambda d: _steps(d).pop(3), "canary-steps", "no pause"),
    (
        "bad-duration",
        lambda d: _steps(d)[1].update(pause={"duration": "5 min"}),
        "canary-steps",
        "not a valid duration",
    ),
    (
        "weights-swapped",
        lambda d: (_steps(d)[0].update(setWeight=50), _steps(d)[2].update(setWeight=20)),
        "canary-steps",
        "50, 20",
    ),
    ("no-canary-service", _drop(_canary, "canaryService"), "canary-services", "canaryService"),
    ("same-services", _set(_canary, "canaryService", "agent-stable"), "canary-services", "both"),
    (
        "service-selects-other",
        lambda d: _service(d, "agent-canary")["spec"].update(selector={"app": "web"}),
        "services-select-pods",
        "app=web",
    ),
    (
        "service-wrong-port",
        lambda d: _service(d, "agent-stable")["spec"]["ports"][0].update(targetPort=9999),
        "services-select-pods",
        "port",
    ),
    (
        "template-typo",
        lambda d: _canary(d)["analysis"]["templates"][0].update(templateName="error-rates"),
        "analysis-wired",
        "error-rates",
    ),
    (
        "prometheus",
        lambda d: _metric(d).update(
            provider={"prometheus": {"address": "http://p:9090", "query": "x"}}
        ),
        "analysis-metric",
        "prometheus",
    ),
    (
        "measures-stable",
        _set(_web, "url", "http://agent-stable.lab-canary.svc.cluster.local:8080/stats"),
        "analysis-metric",
        "stable Service",
    ),
    (
        "wrong-url-port",
        _set(_web, "url", "http://agent-canary.lab-canary.svc.cluster.local/stats"),
        "analysis-metric",
        "port",
    ),
    (
        "wrong-path",
        _set(_web, "url", "http://agent-canary.lab-canary.svc.cluster.local:8080/metrics"),
        "analysis-metric",
        "/metrics",
    ),
    ("wrong-json-path", _set(_web, "jsonPath", "{$.latency_ms}"), "analysis-metric", "latency_ms"),
    ("interval-no-unit", _set(_metric, "interval", "30"), "analysis-metric", "unit"),
    (
        "count-below-limit",
        lambda d: _metric(d).update(count=1, failureLimit=3),
        "analysis-metric",
        "count",
    ),
    (
        "inverted-condition",
        _set(_metric, "successCondition", "result > 0.01"),
        "analysis-condition",
        "healthy",
    ),
    (
        "loose-condition",
        _set(_metric, "successCondition", "result < 0.1"),
        "analysis-condition",
        "unhealthy",
    ),
    (
        "vector-index",
        _set(_metric, "successCondition", "result[0] < 0.01"),
        "analysis-condition",
        "cannot be evaluated",
    ),
    (
        "no-condition",
        _drop(_metric, "successCondition"),
        "analysis-condition",
        "no successCondition",
    ),
    ("unknown-field", _set(_canary, "stepz", []), "schema-valid", "stepz"),
    (
        "no-urgent-metric",
        lambda d: _metric_list(d).pop(1),
        "analysis-urgent",
        "no metric of the analysis reads urgent_ratio",
    ),
    (
        "urgent-loose",
        _set(_urgent, "successCondition", "result < 0.5"),
        "analysis-urgent",
        "unhealthy",
    ),
    (
        "urgent-too-tight",
        _set(_urgent, "successCondition", "result < 0.05"),
        "analysis-urgent",
        "healthy measurement (0.05)",
    ),
    ("urgent-no-condition", _drop(_urgent, "successCondition"), "analysis-urgent", "no success"),
    (
        "urgent-template-not-run",
        lambda d: d["analysis-template.yaml"].append(_own_template(_metric_list(d).pop(1))),
        "analysis-urgent",
        "does not run it",
    ),
]


def _metric_list(d: Docs) -> list[dict[str, Any]]:
    return d["analysis-template.yaml"][0]["spec"]["metrics"]


def _own_template(metric: dict[str, Any]) -> dict[str, Any]:
    """An AnalysisTemplate `urgent-ratio` holding just `metric`."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "urgent-ratio"},
        "spec": {"metrics": [metric]},
    }


def _urgent_in_own_template(d: Docs) -> None:
    d["analysis-template.yaml"].append(_own_template(_metric_list(d).pop(1)))
    _canary(d)["analysis"]["templates"].append({"templateName": "urgent-ratio"})


# Correct answers written differently: every one must keep full marks.
def _step_analysis(d: Docs) -> None:
    _canary(d).pop("analysis")
    _steps(d).insert(1, {"analysis": {"templates": [{"templateName": "error-rate"}]}})
    _metric(d).update(count=5)


def _templated_url(d: Docs) -> None:
    template = d["analysis-template.yaml"][0]
    template["spec"]["args"] = [{"name": "service", "value": "agent-canary"}]
    _web(d)["url"] = "http://{{args.service}}.lab-canary.svc:8080/stats"


RIGHT: list[tuple[str, Callable[[Docs], None]]] = [
    ("pause-seconds-int", lambda d: _steps(d)[1].update(pause={"duration": 300})),
    ("pause-300s", lambda d: _steps(d)[3].update(pause={"duration": "300s"})),
    ("no-final-100", lambda d: _steps(d).pop()),
    (
        "failure-condition-only",
        lambda d: (
            _metric(d).pop("successCondition"),
            _metric(d).update(failureCondition="result >= 0.01"),
        ),
    ),
    ("both-conditions", lambda d: _metric(d).update(failureCondition="result >= 0.01")),
    ("json-path-dot", _set(_web, "jsonPath", "{.error_rate}")),
    ("short-host", _set(_web, "url", "http://agent-canary:8080/stats")),
    ("step-analysis", _step_analysis),
    ("templated-url", _templated_url),
    ("urgent-first", lambda d: _metric_list(d).reverse()),
    ("urgent-own-template", _urgent_in_own_template),
    (
        "urgent-failure-condition",
        lambda d: (
            _urgent(d).pop("successCondition"),
            _urgent(d).update(failureCondition="result > 0.2"),
        ),
    ),
    (
        "urgent-named-only",  # found by its name when the jsonPath is written differently
        lambda d: _urgent(d)["provider"]["web"].update(jsonPath="{.urgent_ratio}"),
    ),
    (
        "numeric-target-port",
        lambda d: _service(d, "agent-canary")["spec"]["ports"][0].update(targetPort=8080),
    ),
]


def test_reference_solution_scores_full_marks_statically():
    result = grade(
        GradeRequest(rubric=RUBRIC, mode="static", manifests=load_manifest_dir(LAB / "solution"))
    )
    assert (
        result.score
        == result.max_score
        == sum(c.points for c in RUBRIC.checks if c.family == "manifest")
    )
    assert {c.id for c in result.checks if c.status is Status.PASSED} == MANIFEST_CHECKS
    assert all(c.status is Status.SKIPPED for c in result.checks if c.family != "manifest")


def test_starter_fails_exactly_the_checks_the_task_is_about():
    result = grade(
        GradeRequest(rubric=RUBRIC, mode="static", manifests=load_manifest_dir(LAB / "starter"))
    )
    failed = {c.id: c.observed for c in result.checks if c.status is Status.FAILED}
    assert set(failed) == {
        "canary-steps",
        "canary-services",
        "services-select-pods",
        "analysis-wired",
        "analysis-metric",
        "analysis-condition",
        "analysis-urgent",
    }
    assert "no steps" in failed["canary-steps"]
    assert "no AnalysisTemplate" in failed["analysis-metric"]


def test_there_are_at_least_twenty_wrong_variants():
    assert len(WRONG) >= 20
    assert len({name for name, *_ in WRONG}) == len(WRONG)


@pytest.mark.parametrize(("name", "mutate", "check_id", "words"), WRONG, ids=[w[0] for w in WRONG])
def test_wrong_variant_fails_exactly_its_check(name, mutate, check_id, words):
    docs = copy.deepcopy(SOLUTION)
    mutate(docs)
    result = _grade(docs)
    failed = [c for c in result.checks if c.status is not Status.PASSED and c.family == "manifest"]
    assert [c.id for c in failed] == [check_id], [(c.id, c.observed) for c in failed]
    assert failed[0].status is Status.FAILED
    assert words in failed[0].observed
    assert failed[0].hint  # a hint is offered, the first of the ladder
    assert failed[0].hint_level == 1


@pytest.mark.parametrize(("name", "mutate"), RIGHT, ids=[r[0] for r in RIGHT])
def test_correct_alternative_keeps_full_marks(name, mutate):
    docs = copy.deepcopy(SOLUTION)
    mutate(docs)
    result = _grade(docs)
    assert [(c.id, c.observed) for c in result.checks if c.status is Status.FAILED] == []
    assert result.score == result.max_score


def test_messages_never_print_the_expected_answer():
    # The rubric's target values must not leak through observations of wrong variants.
    for name, mutate, check_id, _ in WRONG:
        docs = copy.deepcopy(SOLUTION)
        mutate(docs)
        check = next(c for c in _grade(docs).checks if c.id == check_id)
        if check_id == "canary-steps":
            assert "20, 50" not in check.observed, name
        if check_id == "replicas":
            assert "3" not in check.observed, name
        if check_id == "analysis-condition":
            own = str(_metric(docs).get("successCondition"))  # the learner's own text may echo
            assert "0.01" not in check.observed.replace(own, ""), name
        if check_id == "analysis-urgent":
            assert "0.15" not in check.observed, name  # the solution's bound


def test_hint_ladder_climbs_with_attempts_and_stops_at_the_last():
    docs = copy.deepcopy(SOLUTION)
    _steps(docs)[1]["pause"] = {}
    files = {n: yaml.safe_dump_all(i) for n, i in docs.items()}
    levels = []
    for attempts in (0, 1, 5):
        result = grade(
            GradeRequest(
                rubric=RUBRIC,
                mode="static",
                manifests=load_manifests(files),
                hint_levels={"canary-steps": attempts},
            )
        )
        check = next(c for c in result.checks if c.id == "canary-steps")
        levels.append((check.hint_level, check.hints_total))
    assert levels == [(1, 2), (2, 2), (2, 2)]


def test_schema_messages_point_at_file_and_line():
    text = (
        (LAB / "solution" / "rollout.yaml")
        .read_text(encoding="utf-8")
        .replace("  replicas: 3", "  replicas: three")
    )
    files = {p.name: p.read_bytes() for p in (LAB / "solution").glob("*.yaml")}
    files["rollout.yaml"] = text.encode()
    result = grade(GradeRequest(rubric=RUBRIC, mode="static", manifests=load_manifests(files)))
    check = next(c for c in result.checks if c.id == "schema-valid")
    line = 1 + text.splitlines().index("  replicas: three")
    assert check.status is Status.FAILED
    assert check.where == f"rollout.yaml:{line}"
    assert "must be of type integer" in check.observed
