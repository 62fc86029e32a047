"""Admission: unknown fields per fieldValidation, type/required/enum errors in apiserver
format, metadata rules, and the defaults `kubectl describe` shows."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clusters.embedded.resources import find_kind
from clusters.embedded.status import ApiError
from clusters.embedded.validation import admit, describe_cause, validate_manifest

DEPLOYMENT = find_kind("apps/v1", "Deployment")
ROLLOUT = find_kind("argoproj.io/v1alpha1", "Rollout")
SERVICE = find_kind("v1", "Service")
POD = find_kind("v1", "Pod")
TEMPLATE = find_kind("argoproj.io/v1alpha1", "AnalysisTemplate")
NAMESPACE = find_kind("v1", "Namespace")


def deployment(**spec: Any) -> dict[str, Any]:
    body = {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
        },
    }
    body.update(spec)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": body,
    }


def rollout(**spec: Any) -> dict[str, Any]:
    body = {
        "replicas": 5,
        "selector": {"matchLabels": {"app": "ro"}},
        "template": {
            "metadata": {"labels": {"app": "ro"}},
            "spec": {"containers": [{"name": "app", "image": "nginx:1.25"}]},
        },
        "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "1m"}}]}},
    }
    body.update(spec)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": "ro1", "namespace": "demo"},
        "spec": body,
    }


def causes_of(error: ApiError) -> list[str]:
    return [describe_cause(cause) for cause in error.status["details"]["causes"]]


def test_valid_rollout_is_admitted_unchanged() -> None:
    obj = rollout()
    result = admit(ROLLOUT, obj)
    assert result.obj == obj
    assert result.warnings == []


def test_strict_reports_unknown_field_deep_in_a_list_with_full_path() -> None:
    obj = rollout(strategy={"canary": {"steps": [{"setWeight": 20}, {"setweight": 40}]}})
    with pytest.raises(ApiError) as caught:
        admit(ROLLOUT, obj, field_validation="Strict")
    assert caught.value.code == 400
    assert caught.value.reason == "BadRequest"
    assert caught.value.status["message"] == (
        'Rollout in version "v1alpha1" cannot be handled as a Rollout: strict decoding error: '
        'unknown field "spec.strategy.canary.steps[1].setweight"'
    )


def test_strict_joins_several_unknown_fields() -> None:
    obj = deployment(bogus=1)
    obj["bogusField"] = True
    obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    with pytest.raises(ApiError) as caught:
        admit(DEPLOYMENT, obj)
    message = caught.value.status["message"]
    assert 'unknown field "bogusField"' in message
    assert 'unknown field "spec.bogus"' in message
    assert 'unknown field "spec.template.spec.containers[0].imagePullPolcy"' in message
    assert message.count("unknown field") == 3


def test_warn_prunes_and_returns_warnings_and_ignore_is_silent() -> None:
    obj = rollout()
    obj["spec"]["strategy"]["canary"]["stepz"] = []
    warned = admit(ROLLOUT, obj, field_validation="Warn")
    assert warned.warnings == ['unknown field "spec.strategy.canary.stepz"']
    assert "stepz" not in warned.obj["spec"]["strategy"]["canary"]
    ignored = admit(ROLLOUT, obj, field_validation="Ignore")
    assert ignored.warnings == []
    assert "stepz" not in ignored.obj["spec"]["strategy"]["canary"]
    assert "stepz" in obj["spec"]["strategy"]["canary"], "the input must not be modified"


def test_preserve_unknown_fields_are_kept() -> None:
    obj = rollout()
    containers = obj["spec"]["template"]["spec"]["containers"]
    containers[0]["resources"] = {"limits": {"cpu": "1", "custom.io/gpu": 2}}
    obj["spec"]["template"]["spec"]["volumes"] = [{"name": "v", "emptyDir": {}, "x": 1}]
    result = admit(ROLLOUT, obj)
    assert result.obj["spec"]["template"]["spec"]["volumes"][0]["x"] == 1


def test_crd_type_error_uses_the_apiserver_format() -> None:
    with pytest.raises(ApiError) as caught:
        admit(ROLLOUT, rollout(replicas="five"))
    error = caught.value
    assert error.code == 422
    assert error.status["message"] == (
        'Rollout.argoproj.io "ro1" is invalid: spec.replicas: Invalid value: "string": '
        'spec.replicas in body must be of type integer: "string"'
    )
    assert error.status["details"]["causes"] == [
        {
            "reason": "FieldValueInvalid",
            "message": 'Invalid value: "string": spec.replicas in body must be of type '
            'integer: "string"',
            "field": "spec.replicas",
        }
    ]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda o: o["spec"]["template"]["spec"]["containers"][0].pop("name"),
            "spec.template.spec.containers[0].name: Required value",
        ),
        (
            lambda o: o["spec"]["template"]["spec"]["containers"][0].update(ports=[{"name": "x"}]),
            "spec.template.spec.containers[0].ports[0].containerPort: Required value",
        ),
        (
            lambda o: o["spec"]["strategy"].update(blueGreen={"previewService": "p"}),
            "spec.strategy.blueGreen.activeService: Required value",
        ),
        (
            lambda o: o["spec"]["strategy"]["canary"]["steps"][1]["pause"].update(duration=[1]),
            'spec.strategy.canary.steps[1].pause.duration: Invalid value: "array": '
            "spec.strategy.canary.steps[1].pause.duration in body must be of type "
            'integer,string: "array"',
        ),
        (
            lambda o: o["spec"]["strategy"]["canary"].update(steps={"setWeight": 1}),
            'spec.strategy.canary.steps: Invalid value: "object": spec.strategy.canary.steps '
            'in body must be of type array: "object"',
        ),
    ],
)
def test_rollout_schema_errors(mutate: Any, expected: str) -> None:
    obj = rollout()
    mutate(obj)
    with pytest.raises(ApiError) as caught:
        admit(ROLLOUT, obj)
    assert expected in causes_of(caught.value)


def test_analysis_template_enum_and_string_value() -> None:
    template = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": {"name": "t", "namespace": "demo"},
        "spec": {
            "args": [{"name": "port", "value": 9090}],
            "metrics": [
                {"name": "m", "provider": {"datadog": {"aggregator": "median", "query": "q"}}},
                {"name": "n"},
            ],
        },
    }
    with pytest.raises(ApiError) as caught:
        admit(TEMPLATE, template)
    causes = causes_of(caught.value)
    assert (
        'spec.args[0].value: Invalid value: "integer": spec.args[0].value in body must be of '
        'type string: "integer"'
    ) in causes
    assert (
        'spec.metrics[0].provider.datadog.aggregator: Unsupported value: "median": supported '
        'values: "avg", "min", "max", "sum", "last", "percentile", "mean", "l2norm", "area"'
    ) in causes
    assert "spec.metrics[1].provider: Required value" in causes


def test_builtin_type_mismatch_is_a_go_decoding_error() -> None:
    obj = deployment(replicas="3")
    obj["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "A", "value": 5}]
    with pytest.raises(ApiError) as caught:
        admit(DEPLOYMENT, obj)
    assert caught.value.code == 400
    assert caught.value.status["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
        "string into Go struct field DeploymentSpec.spec.replicas of type int32"
    )
    del obj["spec"]["replicas"]
    with pytest.raises(ApiError) as caught:
        admit(DEPLOYMENT, obj)
    assert caught.value.status["message"].endswith(
        "json: cannot unmarshal number into Go struct field "
        "EnvVar.spec.template.spec.containers.env.value of type string"
    )


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ("spec", "template", "spec", "containers"),
            {},
            "object into Go struct field "
            "PodSpec.spec.template.spec.containers of type []v1.Container",
        ),
        (
            ("spec", "replicas"),
            1.5,
            "number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32",
        ),
        (
            ("spec", "template", "spec", "imagePullSecrets"),
            ["regcred"],
            "string into Go struct field PodSpec.spec.template.spec.imagePullSecrets of type "
            "v1.LocalObjectReference",
        ),
        (
            ("metadata", "labels"),
            ["a"],
            "array into Go struct field ObjectMeta.metadata.labels of type map[string]string",
        ),
    ],
)
def test_decoding_error_names_go_types(path: tuple[str, ...], value: Any, expected: str) -> None:
    obj = deployment()
    target = obj
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    (found,) = validate_manifest(obj)
    assert found["reason"] == "FieldValueTypeInvalid"
    assert found["message"].endswith("json: cannot unmarshal " + expected)


def test_builtin_required_errors_are_422() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"].append({"image": "busybox"})
    with pytest.raises(ApiError) as caught:
        admit(DEPLOYMENT, obj)
    assert caught.value.code == 422
    assert causes_of(caught.value) == ["spec.template.spec.containers[1].name: Required value"]
    assert caught.value.status["message"] == (
        'Deployment.apps "web" is invalid: spec.template.spec.containers[1].name: Required value'
    )


def test_metadata_name_and_label_rules() -> None:
    obj = deployment()
    obj["metadata"]["name"] = "Bad_Name"
    obj["metadata"]["labels"] = {"ok": "fine", "bad key": "x", "k": "-bad-"}
    with pytest.raises(ApiError) as caught:
        admit(DEPLOYMENT, obj)
    causes = causes_of(caught.value)
    assert causes[0].startswith(
        'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist '
        "of lower case alphanumeric characters, '-' or '.', and must start and end with an "
        "alphanumeric character (e.g. 'example.com', regex used for validation is"
    )
    assert any(c.startswith('metadata.labels: Invalid value: "bad key": name part') for c in causes)
    assert any(
        c.startswith('metadata.labels: Invalid value: "-bad-": a valid label must be an empty')
        for c in causes
    )


def test_missing_name_and_service_name_rule() -> None:
    obj = deployment()
    del obj["metadata"]["name"]
    with pytest.raises(ApiError) as caught:
        admit(DEPLOYMENT, obj)
    assert "metadata.name: Required value: name or generateName is required" in causes_of(
        caught.value
    )
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "1web"},
        "spec": {"ports": [{"port": 80}]},
    }
    with pytest.raises(ApiError) as caught:
        admit(SERVICE, service)
    assert causes_of(caught.value)[0].startswith(
        'metadata.name: Invalid value: "1web": a DNS-1035 label must consist'
    )


def test_service_semantic_rules() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 0, "protocol": "tcp"}, {"port": 81}]},
    }
    with pytest.raises(ApiError) as caught:
        admit(SERVICE, service)
    causes = causes_of(caught.value)
    assert "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive" in causes
    assert (
        'spec.ports[0].protocol: Unsupported value: "tcp": supported values: "SCTP", "TCP", "UDP"'
        in causes
    )
    assert "spec.ports[1].name: Required value" in causes
    no_ports = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {}}
    with pytest.raises(ApiError) as caught:
        admit(SERVICE, no_ports)
    assert causes_of(caught.value) == ["spec.ports: Required value"]


def test_deployment_selector_mismatch_and_immutability() -> None:
    obj = deployment()
    obj["spec"]["template"]["metadata"]["labels"] = {"app": "x"}
    with pytest.raises(ApiError) as caught:
        admit(DEPLOYMENT, obj)
    assert causes_of(caught.value) == [
        'spec.template.metadata.labels: Invalid value: {"app":"x"}: `selector` does not match '
        "template `labels`"
    ]
    old = admit(DEPLOYMENT, deployment()).obj
    changed = deployment(selector={"matchLabels": {"app": "web", "v": "2"}})
    changed["spec"]["template"]["metadata"]["labels"]["v"] = "2"
    with pytest.raises(ApiError) as caught:
        admit(DEPLOYMENT, changed, operation="UPDATE", old=old)
    assert any(c.endswith("field is immutable") for c in causes_of(caught.value))


def test_deployment_and_pod_defaults() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 80}]
    stored = admit(DEPLOYMENT, obj).obj
    spec = stored["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
    }
    assert spec["revisionHistoryLimit"] == 10
    assert spec["progressDeadlineSeconds"] == 600
    pod_spec = spec["template"]["spec"]
    assert pod_spec["restartPolicy"] == "Always"
    assert pod_spec["dnsPolicy"] == "ClusterFirst"
    assert pod_spec["terminationGracePeriodSeconds"] == 30
    container = pod_spec["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert container["terminationMessagePolicy"] == "File"
    assert container["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    recreate = admit(DEPLOYMENT, deployment(strategy={"type": "Recreate"})).obj
    assert recreate["spec"]["strategy"] == {"type": "Recreate"}


def test_pod_defaults_on_create() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "demo"},
        "spec": {
            "containers": [{"name": "a", "image": "nginx"}, {"name": "b", "image": "x:latest"}]
        },
    }
    stored = admit(POD, pod).obj
    assert stored["status"]["phase"] == "Pending"
    assert [c["imagePullPolicy"] for c in stored["spec"]["containers"]] == ["Always", "Always"]
    assert stored["spec"]["schedulerName"] == "default-scheduler"
    updated = copy.deepcopy(pod)
    updated["status"] = {"phase": "Running"}
    assert admit(POD, updated, operation="UPDATE").obj["status"]["phase"] == "Running"


def test_service_and_namespace_defaults() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    spec = admit(SERVICE, service).obj["spec"]
    assert spec["type"] == "ClusterIP"
    assert spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    ns = admit(NAMESPACE, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    assert ns.obj["status"]["phase"] == "Active"
    assert ns.obj["metadata"]["labels"] == {"kubernetes.io/metadata.name": "demo"}


def test_nulls_are_dropped_like_go_decoding() -> None:
    obj = deployment()
    obj["metadata"]["creationTimestamp"] = None
    obj["spec"]["paused"] = None
    stored = admit(DEPLOYMENT, obj).obj
    assert "creationTimestamp" not in stored["metadata"]
    assert "paused" not in stored["spec"]


def test_unsupported_field_validation_value() -> None:
    with pytest.raises(ApiError) as caught:
        admit(ROLLOUT, rollout(), field_validation="Loose")
    assert caught.value.code == 400


def test_validate_manifest_never_raises_and_reports_like_the_cluster() -> None:
    obj = rollout(replicas="x")
    obj["spec"]["strategy"]["canary"]["steps"][0]["setweight"] = 1
    found = validate_manifest(obj)
    assert [describe_cause(c) for c in found] == [
        "spec.strategy.canary.steps[0].setweight: unknown field "
        '"spec.strategy.canary.steps[0].setweight"',
        'spec.replicas: Invalid value: "string": spec.replicas in body must be of type '
        'integer: "string"',
    ]
    assert validate_manifest(rollout()) == []
    assert validate_manifest({"apiVersion": "v9", "kind": "Nope"})[0]["message"] == (
        'no matches for kind "Nope" in version "v9"'
    )
    assert validate_manifest({"kind": "Pod"})[0]["field"] == "apiVersion"
    assert validate_manifest([1, 2])[0]["reason"] == "FieldValueInvalid"  # type: ignore[arg-type]
