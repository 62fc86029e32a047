"""Body decoding limits and Accept negotiation of the embedded API server."""

from __future__ import annotations

import pytest

from clusters.embedded.negotiation import (
    MAX_DEPTH,
    decode_object,
    decode_structure,
    wants_aggregated_discovery,
    wants_table,
)
from clusters.embedded.routing import ResourceRoute, SpecialRoute, parse_path
from clusters.embedded.status import ApiError

KUBECTL_TABLE = (
    "application/json;as=Table;v=v1;g=meta.k8s.io,"
    "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
)


def _code(action: object) -> int:
    with pytest.raises(ApiError) as failure:
        action()  # type: ignore[operator]
    return failure.value.code


def test_accept_headers_pick_table_and_aggregated_discovery_like_kubectl() -> None:
    assert wants_table(KUBECTL_TABLE)
    assert not wants_table("application/json")
    assert not wants_table("application/json, application/json;as=Table;v=v1;g=meta.k8s.io")
    assert not wants_table("application/json;as=Table;v=v1beta1;g=meta.k8s.io")
    aggregated = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    assert wants_aggregated_discovery(f"{aggregated},application/json")
    assert not wants_aggregated_discovery("application/json")


def test_json_and_yaml_bodies_decode_to_the_same_object() -> None:
    as_json = decode_object(b'{"kind":"ConfigMap","data":{"a":"1"}}', "application/json")
    as_yaml = decode_object(b"kind: ConfigMap\ndata:\n  a: '1'\n", "application/yaml")
    assert as_json == as_yaml
    dated = decode_object(b"data:\n  d: 2024-01-01\n", "application/yaml")
    assert dated == {"data": {"d": "2024-01-01"}}  # timestamps stay strings


def test_nesting_limit_is_exact() -> None:
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert decode_structure(ok.encode(), "application/json") is not None
    too_deep = "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)
    assert _code(lambda: decode_structure(too_deep.encode(), "application/json")) == 400


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b"", "application/json", 400),
        (b"{", "application/json", 400),
        (b"[1]", "application/json", 400),
        (b'{"a": Infinity}', "application/json", 400),
        (b"a: !!binary aGVsbG8=", "application/yaml", 400),
        (b"a: !!set {x}", "application/yaml", 400),
        (b"k8s\x00\x01", "application/vnd.kubernetes.protobuf", 415),
        (b"{}", "application/xml", 415),
    ],
)
def test_bad_bodies_are_4xx(body: bytes, content_type: str, code: int) -> None:
    assert _code(lambda: decode_object(body, content_type)) == code


def test_paths_route_to_resources_subresources_and_special_endpoints() -> None:
    route = parse_path("/apis/argoproj.io/v1alpha1/namespaces/demo/rollouts/ro1/scale")
    assert isinstance(route, ResourceRoute)
    assert (route.resource.kind, route.namespace, route.name, route.subresource) == (
        "Rollout",
        "demo",
        "ro1",
        "scale",
    )
    ns_status = parse_path("/api/v1/namespaces/demo/status")
    assert isinstance(ns_status, ResourceRoute)
    assert (ns_status.resource.plural, ns_status.name, ns_status.subresource) == (
        "namespaces",
        "demo",
        "status",
    )
    every_pod = parse_path("/api/v1/pods")
    assert isinstance(every_pod, ResourceRoute) and every_pod.namespace is None
    assert parse_path("/openapi/v3/apis/apps/v1") == SpecialRoute("openapi", rest="apis/apps/v1")
    assert parse_path("/apis/apps") == SpecialRoute("group", "apps")


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/v1/namespaces/demo/configmaps/%2E%2E", 400),
        ("/api/v1/namespaces/demo/configmaps/a%2Fb", 400),
        ("/api/v1/namespaces/%2e/configmaps", 400),
        ("/api/v1/namespaces/demo/configmaps/a%00", 400),
        ("/api/v1/pods/x", 404),
        ("/api/v1/namespaces/demo/pods/x/exec", 404),
        ("/api/v1/namespaces/demo/pods/x/log/extra", 404),
        ("/apis/nope.io/v1/things", 404),
        ("/api//v1", 404),
    ],
)
def test_hostile_paths_are_refused(path: str, code: int) -> None:
    assert _code(lambda: parse_path(path)) == code
