"""Label and field selector parsing, matching and the apiserver's error messages."""

from __future__ import annotations

import pytest

from clusters.embedded.resources import find_plural
from clusters.embedded.selectors import object_fields, parse_field_selector, parse_label_selector
from clusters.embedded.status import ApiError

PODS = find_plural("", "v1", "pods")
EVENTS = find_plural("", "v1", "events")
CONFIGMAPS = find_plural("", "v1", "configmaps")
ROLLOUTS = find_plural("argoproj.io", "v1alpha1", "rollouts")
NAMESPACES = find_plural("", "v1", "namespaces")


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("", {}, True),
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "web"}, True),
        ("app=web", {"app": "api"}, False),
        ("app!=web", {"app": "api"}, True),
        ("app!=web", {}, True),
        ("app in (web, x)", {"app": "x"}, True),
        ("app in (web,x)", {"app": "y"}, False),
        ("app notin (web)", {}, True),
        ("app notin (web)", {"app": "web"}, False),
        ("tier", {"tier": ""}, True),
        ("tier", {}, False),
        ("!tier", {}, True),
        ("!tier", {"tier": "a"}, False),
        ("app=web,!canary", {"app": "web", "canary": "1"}, False),
        ("app=web, tier in (a,b)", {"app": "web", "tier": "b"}, True),
        ("replicas gt 2", {"replicas": "3"}, True),
        ("replicas lt 2", {"replicas": "3"}, False),
        ("app.kubernetes.io/name=web", {"app.kubernetes.io/name": "web"}, True),
        ("app=", {"app": ""}, True),
    ],
)
def test_label_selector_matches_like_apimachinery(selector, labels, expected):
    assert parse_label_selector(selector).matches(labels) is expected


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("app in web", "unable to parse requirement: found 'web' expected: '('"),
        (
            "app ~ web",
            "unable to parse requirement: found '~', expected: in, notin, =, ==, !=, gt, lt",
        ),
        ("app=web,", "found '', expected: identifier after ','"),
        ("=web", "found '=', expected: !, identifier, or 'end of string'"),
        ("app=web)", "found ')', expected: ',' or 'end of string'"),
        ("app in (a b)", "unable to parse requirement: found 'b', expected: ',' or ')'"),
        ("x gt abc", "for 'Gt', 'Lt' operators, the value must be an integer"),
    ],
)
def test_bad_label_selector_is_400_with_parser_message(selector, message):
    with pytest.raises(ApiError) as caught:
        parse_label_selector(selector)
    assert caught.value.code == 400
    assert caught.value.reason == "BadRequest"
    assert message in caught.value.status["message"]


def test_invalid_label_value_names_the_key_and_regex():
    with pytest.raises(ApiError) as caught:
        parse_label_selector("app=-bad-")
    message = caught.value.status["message"]
    assert message.startswith('unable to parse requirement: values[0][app]: Invalid value: "-bad-"')
    assert "regex used for validation" in message


def test_invalid_label_key_is_rejected():
    with pytest.raises(ApiError) as caught:
        parse_label_selector("bad key!x=1")
    assert caught.value.code == 400


def test_field_selector_on_pods():
    pod = {"metadata": {"name": "p", "namespace": "demo"}, "status": {"phase": "Running"}}
    fields = object_fields(PODS, pod)
    assert parse_field_selector("status.phase=Running", PODS).matches(fields)
    assert parse_field_selector("status.phase==Running,metadata.name=p", PODS).matches(fields)
    assert not parse_field_selector("status.phase!=Running", PODS).matches(fields)
    assert parse_field_selector("spec.nodeName=", PODS).matches(fields)


def test_field_selector_on_events_involved_object():
    event = {
        "metadata": {"name": "e", "namespace": "demo"},
        "involvedObject": {"kind": "Pod", "name": "p", "uid": "u1"},
        "reason": "Started",
        "type": "Normal",
        "source": {"component": "kubelet"},
    }
    fields = object_fields(EVENTS, event)
    selector = "involvedObject.uid=u1,involvedObject.kind=Pod,reason=Started,source=kubelet"
    assert parse_field_selector(selector, EVENTS).matches(fields)
    assert not parse_field_selector("type=Warning", EVENTS).matches(fields)


def test_escaped_values_in_field_selectors():
    fields = object_fields(CONFIGMAPS, {"metadata": {"name": "a,b=c", "namespace": "x"}})
    assert parse_field_selector(r"metadata.name=a\,b\=c", CONFIGMAPS).matches(fields)


def test_unsupported_field_messages_match_the_apiserver():
    with pytest.raises(ApiError) as caught:
        parse_field_selector("spec.foo=bar", PODS)
    assert caught.value.status["message"] == "field label not supported: spec.foo"
    with pytest.raises(ApiError) as caught:
        parse_field_selector("foo.bar=baz", ROLLOUTS)
    assert caught.value.status["message"] == (
        '"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"'
    )
    assert caught.value.code == 400


def test_field_selector_without_operator_is_400():
    with pytest.raises(ApiError) as caught:
        parse_field_selector("metadata.name", PODS)
    assert caught.value.status["message"] == (
        "invalid selector: 'metadata.name'; can't understand 'metadata.name'"
    )


def test_namespace_phase_is_selectable():
    ns = {"metadata": {"name": "demo"}, "status": {"phase": "Terminating"}}
    assert parse_field_selector("status.phase=Terminating", NAMESPACES).matches(
        object_fields(NAMESPACES, ns)
    )
