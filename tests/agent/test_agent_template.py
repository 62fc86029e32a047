"""Prompt templates load safely and drive the planner; versions differ only in their data."""

from __future__ import annotations

import dataclasses
from importlib import resources

import pytest

from agent.models import PlanRequest, Task
from agent.planner import build_plan, plan_task, should_fail
from agent.template import (
    MAX_TEMPLATE_BYTES,
    TemplateError,
    available_versions,
    load_template,
    parse_template,
)

V1_TEXT = (resources.files("agent") / "templates" / "v1.yaml").read_text(encoding="utf-8")


def test_templates_differ_in_the_way_each_version_promises():
    v1, v2, v3, v4, v5 = (load_template(v) for v in available_versions())
    assert (v2.weight_urgency, v2.thresholds, v2.tag_points) == (
        v1.weight_urgency,
        v1.thresholds,
        v1.tag_points,
    )
    assert v2.thinking_base_ms < v1.thinking_base_ms
    assert "priority_counts" in v2.extra_fields
    assert v3.thinking_base_ms == v1.thinking_base_ms and v3.failure_rate == 0
    assert v4.failure_rate >= 0.2
    assert not v5.ready and v5.not_ready_reason
    assert all(t.ready for t in (v1, v2, v3, v4))


def test_unknown_version_names_the_known_ones():
    with pytest.raises(TemplateError, match="choose one of v1, v2, v3, v4, v5"):
        load_template("v6")


def test_template_size_is_limited():
    with pytest.raises(TemplateError, match="limit"):
        parse_template(b"#" * (MAX_TEMPLATE_BYTES + 1))


def test_yaml_tags_that_build_objects_are_refused():
    with pytest.raises(TemplateError, match="not valid YAML"):
        parse_template(b"!!python/object/apply:os.getcwd []")


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("  base_ms: 8\n", ""), "thinking: missing 'base_ms'"),
        (("rate: 0.0", "rate: 1.5"), "failure.rate must be between 0 and 1"),
        (("P0: 7.0", "P0: 1.0"), "P0 >= P1 >= P2"),
        (("ready: true", "ready: maybe"), "readiness.ready: expected true or false"),
        (("{within_hours: 4, points: 4}", "{within_hours: 4}"), "due_bands[0]: missing 'points'"),
        (("schema: rollout-lab/prompt-template@1", "schema: other"), "schema must be"),
    ],
)
def test_malformed_templates_are_explained(edit, message):
    old, new = edit
    assert old in V1_TEXT
    with pytest.raises(TemplateError) as caught:
        parse_template(V1_TEXT.replace(old, new, 1).encode(), source="v1.yaml")
    assert message in str(caught.value)


def test_weights_in_the_data_change_the_priority():
    template = load_template("v1")
    task = Task(id="t", title="Review audit log", impact=3, effort=2, due_in_hours=30)
    assert plan_task(template, task).priority == "P2"
    urgent = dataclasses.replace(template, weight_urgency=3.0)
    assert plan_task(urgent, task).priority == "P0"
    assert "due in 30h (+6.0)" in plan_task(urgent, task).reason


def test_title_words_and_tags_add_points_in_v3_only():
    task = Task(id="t", title="Fix invoice export", impact=3, effort=3, tags=["customer"])
    v1_plan, v3_plan = plan_task(load_template("v1"), task), plan_task(load_template("v3"), task)
    assert "'fix' in title" not in v1_plan.reason
    assert (v1_plan.priority, v3_plan.priority) == ("P3", "P2")
    assert "tag customer (+2.0)" in v3_plan.reason


def test_failures_follow_the_request_not_the_order():
    template = load_template("v4")
    body = PlanRequest(goal="g", tasks=[Task(id="t", title="x", impact=1, effort=1)])
    outcomes = {should_fail(template, body) for _ in range(5)}
    assert len(outcomes) == 1
    assert not any(should_fail(load_template("v1"), body) for _ in range(3))


def test_plan_names_version_and_template():
    request = PlanRequest(goal="g", tasks=[Task(id="a", title="Write docs", impact=2, effort=4)])
    plan = build_plan(load_template("v5"), request)
    assert (plan.agent_version, plan.template) == ("v5", "tool-augmented-planner")
    assert len(plan.tasks[0].subtasks) == 3
