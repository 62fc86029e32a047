"""InvalidSpec messages for the rules learners trip on, in upstream v1.9.1's exact format."""
# ruff: noqa: E501  (expected messages are kept whole so they can be compared with upstream)

from __future__ import annotations

import copy
from typing import Any

import pytest

from clusters.embedded.rollouts.spec_validation import validate_rollout

PREFIX = 'The Rollout "demo" is invalid: '


def _canary(**canary: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "demo"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "demo"}},
            "template": {
                "metadata": {"labels": {"app": "demo"}},
                "spec": {"containers": [{"name": "agent", "image": "agent:v1"}]},
            },
            "strategy": {"canary": canary},
        },
    }


def _bluegreen(**blue_green: Any) -> dict[str, Any]:
    rollout = _canary()
    rollout["spec"]["strategy"] = {"blueGreen": {"activeService": "demo-active", **blue_green}}
    return rollout


def _svc(name: str, selector: dict[str, str] | None = None, owner: str | None = None) -> dict:
    meta: dict[str, Any] = {"name": name}
    if owner:
        meta["annotations"] = {"argo-rollouts.argoproj.io/managed-by-rollouts": owner}
    return {"metadata": meta, "spec": {"selector": selector or {"app": "demo"}}}


def _template(name: str, *metrics: dict[str, Any], args: list | None = None) -> dict:
    spec: dict[str, Any] = {
        "metrics": list(metrics) or [{"name": "m", "provider": {"web": {"url": "u"}}}]
    }
    if args is not None:
        spec["args"] = args
    return {"metadata": {"name": name}, "spec": spec}


def _edit(rollout: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(rollout)
    node = out
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    if value is _DELETE:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value
    return out


_DELETE = object()


def test_a_good_rollout_is_valid() -> None:
    assert (
        validate_rollout(_canary(steps=[{"setWeight": 20}, {"pause": {"duration": "10s"}}])) is None
    )
    assert validate_rollout(_bluegreen(previewService="demo-preview"), services={
        "demo-active": _svc("demo-active"), "demo-preview": _svc("demo-preview")}) is None  # fmt: skip


SPEC_CASES = [
    (
        _edit(_canary(), "spec.template.metadata.labels", {"app": "other"}),
        'spec.template.metadata.labels: Invalid value: {"app":"other"}: `selector` does not match template `labels`',
    ),
    (
        _edit(_canary(), "spec.selector", _DELETE),
        "spec.selector: Required value: Rollout has missing field '.spec.selector'",
    ),
    (
        _edit(_canary(), "spec.selector", {}),
        "spec.selector: Invalid value: {}: empty selector is invalid for deployment",
    ),
    (
        _edit(_canary(), "spec.replicas", -1),
        "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        _edit(_canary(), "spec.template.spec.containers", [{"name": "agent"}]),
        "spec.template.spec.containers[0].image: Required value",
    ),
    (
        _edit(_canary(), "spec.template.spec.containers", []),
        "spec.template.spec.containers: Required value",
    ),
    (
        _edit(_canary(), "spec.template.spec.restartPolicy", "Never"),
        'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ),
    (
        _edit(_canary(), "spec.progressDeadlineSeconds", 5),
        None,
    ),
    (
        _edit(_edit(_canary(), "spec.progressDeadlineSeconds", 5), "spec.minReadySeconds", 10),
        "spec.progressDeadlineSeconds: Invalid value: 5: must be greater than minReadySeconds",
    ),
    (
        _edit(_canary(), "spec.strategy", {}),
        "spec.strategy.strategy: Required value: Rollout has missing field '.spec.strategy.canary or .spec.strategy.blueGreen'",
    ),
    (
        _edit(_canary(), "spec.strategy", {"canary": {}, "blueGreen": {"activeService": "a"}}),
        'spec.strategy.strategy: Invalid value: "blueGreen: true canary: true": Multiple Strategies can not be listed',
    ),
    (
        _bluegreen(previewService="demo-active"),
        'spec.strategy.activeService: Invalid value: "demo-active": This rollout uses the same service for the active and preview services, but two different services are required.',
    ),
    (
        _bluegreen(scaleDownDelayRevisionLimit=11),
        "spec.strategy.scaleDownDelayRevisionLimit: Invalid value: 11: This rollout's revision history limit can not be smaller than the rollout's scale down limit",
    ),
    (
        _canary(stableService="svc", canaryService="svc"),
        'spec.strategy.stableService: Invalid value: "svc": This rollout uses the same service for the stable and canary services, but two different services are required.',
    ),
    (
        _canary(maxSurge=0, maxUnavailable="0%"),
        "spec.strategy.maxSurge: Invalid value: 0: MaxSurge and MaxUnavailable both can not be zero",
    ),
    (
        _canary(maxSurge="0%", maxUnavailable=0),
        'spec.strategy.maxSurge: Invalid value: "0%": MaxSurge and MaxUnavailable both can not be zero',
    ),
    (
        _canary(scaleDownDelaySeconds=30),
        "spec.strategy.scaleDownDelaySeconds: Invalid value: 30: Canary scaleDownDelaySeconds can only be used with traffic routing",
    ),
    (
        _canary(trafficRouting={"nginx": {"stableIngress": "x"}}),
        'spec.strategy.stableService: Invalid value: "": Canary service and Stable service must to be set to use Traffic Routing',
    ),
    (
        _canary(steps=[{"setWeight": 120}]),
        "spec.strategy.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100",
    ),
    (
        _canary(steps=[{"setWeight": 10}, {"setWeight": -5}]),
        "spec.strategy.steps[1].setWeight: Invalid value: -5: SetWeight needs to be between 0 and 100",
    ),
    (
        _canary(steps=[{"pause": {"duration": -1}}]),
        "spec.strategy.steps[0].pause.duration: Invalid value: -1: Duration needs to be greater than 0",
    ),
    (
        _canary(steps=[{"pause": {"duration": "ten minutes"}}]),
        "spec.strategy.steps[0].pause.duration: Invalid value: -1: Duration needs to be greater than 0",
    ),
    (
        _canary(steps=[{"setWeight": 20, "pause": {}}]),
        'spec.strategy.steps[0]: Invalid value: "step.Experiment: false step.Pause: true step.SetWeight: true step.Analysis: false": Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause',
    ),
    (
        _canary(steps=[{}]),
        'spec.strategy.steps[0]: Invalid value: "step.Experiment: true step.Pause: true step.SetWeight: true step.Analysis: true step.SetCanaryScale: true step.SetHeaderRoute: true step.SetMirrorRoute: true step.Plugin: true": Step must have one of the following set: experiment, setWeight, setCanaryScale, plugin or pause',
    ),
    (
        _canary(steps=[{"setCanaryScale": {"replicas": 1}}]),
        "spec.strategy.trafficRouting: Required value: SetCanaryScale requires TrafficRouting to be set",
    ),
]


@pytest.mark.parametrize(("rollout", "message"), SPEC_CASES)
def test_spec_rules(rollout: dict[str, Any], message: str | None) -> None:
    expected = None if message is None else PREFIX + message
    assert validate_rollout(rollout) == expected


def test_pause_durations_accepted() -> None:
    for duration in (0, 30, "30", "30s", "5m", "1h"):
        assert validate_rollout(_canary(steps=[{"pause": {"duration": duration}}])) is None


def test_only_the_first_error_is_reported() -> None:
    rollout = _canary(steps=[{"setWeight": 120}, {"pause": {"duration": -1}}])
    assert validate_rollout(rollout) == PREFIX + (
        "spec.strategy.steps[0].setWeight: Invalid value: 120: SetWeight needs to be between 0 and 100"
    )


def test_missing_services_in_upstream_order() -> None:
    rollout = _canary(stableService="demo-stable", canaryService="demo-canary")
    assert validate_rollout(rollout, services={}) == PREFIX + (
        'spec.strategy.canary.stableService: Invalid value: "demo-stable": service "demo-stable" not found'
    )
    assert validate_rollout(rollout, services={"demo-stable": _svc("demo-stable")}) == PREFIX + (
        'spec.strategy.canary.canaryService: Invalid value: "demo-canary": service "demo-canary" not found'
    )
    assert validate_rollout(rollout) is None  # references not checked without a service map
    bg = _bluegreen(previewService="demo-preview")
    assert validate_rollout(bg, services={"demo-active": _svc("demo-active")}) == PREFIX + (
        'spec.strategy.blueGreen.previewService: Invalid value: "demo-preview": service "demo-preview" not found'
    )


def test_service_selector_and_owner() -> None:
    rollout = _bluegreen()
    services = {
        "demo-active": _svc("demo-active", {"app": "web", "rollouts-pod-template-hash": "x"})
    }
    assert validate_rollout(rollout, services=services) == PREFIX + (
        'spec.strategy.blueGreen.activeService: Invalid value: "demo-active": Service "demo-active" has unmatch label "app" in rollout'
    )
    services = {"demo-active": _svc("demo-active", owner="other")}
    assert validate_rollout(rollout, services=services) == PREFIX + (
        'spec.strategy.blueGreen.activeService: Invalid value: "demo-active": Service "demo-active" is managed by another Rollout'
    )
    services = {"demo-active": _svc("demo-active", owner="demo")}
    assert validate_rollout(rollout, services=services) is None


def test_missing_analysis_templates() -> None:
    rollout = _canary(
        steps=[{"setWeight": 20}, {"analysis": {"templates": [{"templateName": "sr"}]}}]
    )
    assert validate_rollout(rollout, templates={}) == PREFIX + (
        "spec.strategy.canary.steps[1].analysis.templates: Invalid value: \"sr\": AnalysisTemplate 'sr' not found"
    )
    rollout = _canary(analysis={"templates": [{"templateName": "sr", "clusterScope": True}]})
    assert validate_rollout(rollout, templates={}) == PREFIX + (
        "spec.strategy.canary.analysis.templates: Invalid value: \"sr\": ClusterAnalysisTemplate 'sr' not found"
    )
    bg = _bluegreen(prePromotionAnalysis={"templates": [{"templateName": "smoke"}]})
    assert validate_rollout(bg, templates={}) == PREFIX + (
        "spec.strategy.blueGreen.prePromotionAnalysis.templates: Invalid value: \"smoke\": AnalysisTemplate 'smoke' not found"
    )


def test_inline_template_that_runs_forever() -> None:
    metric = {"name": "m", "interval": "1m", "provider": {"web": {"url": "u"}}}
    rollout = _canary(steps=[{"analysis": {"templates": [{"templateName": "t"}]}}])
    assert validate_rollout(rollout, templates={"t": _template("t", metric)}) == PREFIX + (
        'spec.strategy.canary.steps[0].analysis.templates: Invalid value: "t": AnalysisTemplate t has metric m which runs indefinitely. Invalid value for count: <nil>'
    )
    # Background analysis may run forever.
    rollout = _canary(analysis={"templates": [{"templateName": "t"}]})
    assert validate_rollout(rollout, templates={"t": _template("t", metric)}) is None


def test_unresolved_placeholder_and_args() -> None:
    metric = {"name": "m", "provider": {"web": {"url": "http://{{args.svc}}/health"}}}
    rollout = _canary(steps=[{"analysis": {"templates": [{"templateName": "t"}]}}])
    assert validate_rollout(rollout, templates={"t": _template("t", metric)}) == PREFIX + (
        'spec.strategy.canary.steps[0].analysis.templates: Invalid value: "t": AnalysisTemplate t: failed to resolve {{args.svc}}'
    )
    with_arg = _template("t", metric, args=[{"name": "svc"}])
    assert validate_rollout(rollout, templates={"t": with_arg}) == PREFIX + (
        'spec.strategy.canary.steps[0].analysis.templates: Invalid value: "templateNames: [t]": args.svc was not resolved'
    )
    rollout["spec"]["strategy"]["canary"]["steps"][0]["analysis"]["args"] = [
        {"name": "svc", "value": "x"}
    ]
    assert validate_rollout(rollout, templates={"t": with_arg}) is None


def test_duplicate_metric_across_templates() -> None:
    rollout = _canary(analysis={"templates": [{"templateName": "a"}, {"templateName": "b"}]})
    templates = {"a": _template("a"), "b": _template("b")}
    assert validate_rollout(rollout, templates=templates) == PREFIX + (
        "spec.strategy.canary.analysis.templates: Invalid value: \"templateNames: [a b]\": two metrics have the same name 'm'"
    )
