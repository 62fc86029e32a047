"""Rules the canary lab does not exercise: blue-green wiring, AnalysisRun state, edge cases."""

from __future__ import annotations

import pytest

from checker import Snapshot, Status, load_manifests
from checker.rules import RULES, RuleInputs

ROLLOUT_BG = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "web:1", ports: [{containerPort: 80}]}]}
  strategy:
    blueGreen: {activeService: web-active, previewService: web-preview, autoPromotionEnabled: false}
"""
SERVICES = """\
apiVersion: v1
kind: Service
metadata: {name: web-active}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-preview}
spec: {selector: {app: web}, ports: [{port: 80}]}
"""


def _run(rule: str, files: dict[str, str], **params):
    return RULES[rule].fn(RuleInputs(manifests=load_manifests(files), namespace="lab"), params)


@pytest.mark.parametrize(
    ("rollout", "params", "status", "words"),
    [
        (ROLLOUT_BG, {"auto_promotion": False}, Status.PASSED, "web-preview"),
        (ROLLOUT_BG, {"auto_promotion": True}, Status.FAILED, "autoPromotionEnabled is False"),
        (
            ROLLOUT_BG.replace(", autoPromotionEnabled: false", ""),
            {"auto_promotion": False},
            Status.FAILED,
            "defaults to true",
        ),
        (
            ROLLOUT_BG.replace("previewService: web-preview", "previewService: web-active"),
            {},
            Status.FAILED,
            "both",
        ),
        (
            ROLLOUT_BG.replace(" previewService: web-preview,", ""),
            {},
            Status.FAILED,
            "previewService is empty",
        ),
        (ROLLOUT_BG.replace("web-preview", "web-next"), {}, Status.FAILED, "'web-next'"),
    ],
)
def test_bluegreen_services(rollout, params, status, words):
    outcome = _run("manifest.bluegreen_services", {"r.yaml": rollout, "s.yaml": SERVICES}, **params)
    assert outcome.status is status and words in outcome.observed, outcome.observed


def test_canary_rules_on_a_bluegreen_rollout_say_so():
    outcome = _run("manifest.canary_steps", {"r.yaml": ROLLOUT_BG}, weights=[20], pauses=[None])
    assert outcome.status is Status.FAILED and "blueGreen, not canary" in outcome.observed


def test_services_select_pods_for_bluegreen_and_a_wrong_selector():
    assert _run(
        "manifest.services_select_pods", {"r.yaml": ROLLOUT_BG, "s.yaml": SERVICES}
    ).status is (Status.PASSED)
    bad = SERVICES.replace(
        "selector: {app: web}, ports: [{port: 80}]}\n---",
        "selector: {app: api}, ports: [{port: 80}]}\n---",
    )
    outcome = _run("manifest.services_select_pods", {"r.yaml": ROLLOUT_BG, "s.yaml": bad})
    assert (
        outcome.status is Status.FAILED
        and "app=api" in outcome.observed
        and "s.yaml:4" in outcome.observed
    )


def test_object_present_flags_a_wrong_api_version_at_its_line():
    text = ROLLOUT_BG.replace("argoproj.io/v1alpha1", "argoproj.io/v1")
    outcome = _run(
        "manifest.object_present",
        {"r.yaml": text},
        kind="Rollout",
        name="web",
        api_version="argoproj.io/v1alpha1",
    )
    assert outcome.status is Status.FAILED and outcome.where == "r.yaml:1"
    assert "argoproj.io/v1'" in outcome.observed and "v1alpha1" not in outcome.observed


def test_selector_missing_is_reported():
    text = ROLLOUT_BG.replace("  selector: {matchLabels: {app: web}}\n", "")
    outcome = _run("manifest.selector_matches_template", {"r.yaml": text})
    assert outcome.status is Status.FAILED and "no spec.selector" in outcome.observed


STEP_ANALYSIS = """\
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: web}
spec:
  strategy:
    canary:
      canaryService: web-canary
      stableService: web-stable
      steps:
        - setWeight: 50
        - analysis: {templates: [{templateName: rate}], args: []}
---
apiVersion: argoproj.io/v1alpha1
kind: AnalysisTemplate
metadata: {name: rate}
spec:
  args: [{name: host}]
  metrics:
    - name: rate
      interval: 10s
      successCondition: result < 0.01
      provider: {web: {url: "http://{{args.host}}:8080/stats", jsonPath: "{$.error_rate}"}}
"""


def test_step_analysis_needs_a_count_and_its_args():
    files = {"a.yaml": STEP_ANALYSIS}
    metric = _run("manifest.analysis_metric", files, provider="web")
    assert metric.status is Status.FAILED and "never ends" in metric.observed
    wired = _run("manifest.analysis_wired", files)
    assert wired.status is Status.FAILED and "needs arg(s) host" in wired.observed


def test_metric_in_another_namespace_is_not_the_canary():
    text = STEP_ANALYSIS.replace("{{args.host}}", "web-canary.other.svc").replace(
        "interval: 10s", "interval: 10s\n      count: 3"
    )
    outcome = _run("manifest.analysis_metric", {"a.yaml": text}, provider="web")
    assert outcome.status is Status.FAILED and "another namespace" in outcome.observed


def _snapshot(*phases: str) -> Snapshot:
    runs = [
        {
            "metadata": {
                "name": f"web-h-1.{i}",
                "ownerReferences": [{"kind": "Rollout", "name": "web"}],
            },
            "status": {"phase": phase},
        }
        for i, phase in enumerate(phases)
    ]
    return Snapshot(namespace="lab", objects={"analysisruns": runs})


@pytest.mark.parametrize(
    ("phases", "status"),
    [
        (("Successful", "Failed"), Status.PASSED),
        (("Running",), Status.PENDING),
        ((), Status.PENDING),
        (("Successful",), Status.FAILED),
    ],
)
def test_analysis_run_state_rule(phases, status):
    outcome = RULES["state.analysis_run"].fn(
        RuleInputs(snapshot=_snapshot(*phases)), {"rollout": "web", "phase": "Failed"}
    )
    assert outcome.status is status, outcome.observed


def test_state_rules_without_a_snapshot_are_errors_not_failures():
    for name in ("state.rollout_healthy", "state.no_canary_pods", "state.analysis_run"):
        outcome = RULES[name].fn(RuleInputs(), {"rollout": "web", "phase": "Failed"})
        assert outcome.status is Status.ERROR and "no cluster snapshot" in outcome.observed


def test_every_rule_has_a_docstring_and_a_family():
    assert len(RULES) >= 20
    for spec in RULES.values():
        assert spec.summary and spec.name.split(".")[0] == spec.family
