"""Discovery documents agree with the resource registry in both formats clients read."""

from __future__ import annotations

import json

from kubernetes.client import ApiClient

from clusters.embedded.discovery import (
    aggregated_discovery,
    api_group,
    api_group_list,
    api_resource_list,
    version_info,
)
from clusters.embedded.resources import RESOURCES


def _typed(document: object, model: str) -> object:
    """Through the Python client's strict (pydantic) models, as a typed API call would."""
    return ApiClient().deserialize(json.dumps(document), model, "application/json")


def test_legacy_resource_lists_have_every_resource_and_subresource_row() -> None:
    rows = {}
    for gv in {r.group_version for r in RESOURCES}:
        document = api_resource_list(gv)
        assert document is not None
        typed = _typed(document, "V1APIResourceList")
        for row in typed.resources:  # type: ignore[attr-defined]
            rows[(gv, row.name)] = row
    assert rows[("v1", "pods/log")].verbs == ["get"]
    scale = rows[("argoproj.io/v1alpha1", "rollouts/scale")]
    assert (scale.group, scale.version, scale.kind) == ("autoscaling", "v1", "Scale")
    assert rows[("argoproj.io/v1alpha1", "clusteranalysistemplates")].namespaced is False
    assert rows[("apps/v1", "deployments")].short_names == ["deploy"]
    assert rows[("argoproj.io/v1alpha1", "rollouts")].categories is None
    assert "all" in rows[("v1", "pods")].categories


def test_preferred_version_equals_a_listed_version_key_for_key() -> None:
    for group in api_group_list()["groups"]:
        assert group["preferredVersion"] in group["versions"]
    assert api_group("nope.example.com") is None
    _typed(api_group_list(), "V1APIGroupList")


def test_aggregated_discovery_has_scope_response_kind_and_verbs() -> None:
    named = aggregated_discovery(core=False)
    assert named["kind"] == "APIGroupDiscoveryList"
    assert [item["metadata"]["name"] for item in named["items"]] == [
        "apps",
        "batch",
        "apiextensions.k8s.io",
        "argoproj.io",
    ]
    argo = named["items"][-1]["versions"][0]["resources"]
    rollout = next(r for r in argo if r["resource"] == "rollouts")
    assert rollout["scope"] == "Namespaced"
    assert rollout["responseKind"] == {
        "group": "argoproj.io",
        "version": "v1alpha1",
        "kind": "Rollout",
    }
    assert {s["subresource"] for s in rollout["subresources"]} == {"status", "scale"}
    cat = next(r for r in argo if r["resource"] == "clusteranalysistemplates")
    assert cat["scope"] == "Cluster"
    (core,) = aggregated_discovery(core=True)["items"]
    assert core["metadata"]["name"] == ""
    assert {r["resource"] for r in core["versions"][0]["resources"]} >= {"pods", "namespaces"}


def test_version_reports_1_37() -> None:
    info = version_info()
    assert info["gitVersion"].startswith("v1.37")
    assert _typed(info, "VersionInfo").major == "1"  # type: ignore[attr-defined]
