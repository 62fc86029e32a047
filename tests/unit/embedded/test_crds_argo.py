"""The Argo CRDs: valid CustomResourceDefinitions (checked against the upstream CRD schema),
upstream names and printer columns, Established, and structural schemas."""

from __future__ import annotations

import json
from typing import Any

from clusters.embedded.crds import argo_crds, crd_for
from clusters.embedded.resources import find_kind
from clusters.embedded.validation import validate_manifest


def crds_by_kind() -> dict[str, dict[str, Any]]:
    return {crd["spec"]["names"]["kind"]: crd for crd in argo_crds()}


def test_every_crd_validates_as_a_crd() -> None:
    crds = argo_crds()
    assert len(crds) == 5
    for crd in crds:
        assert validate_manifest(crd) == [], crd["metadata"]["name"]


def test_names_scope_and_subresources() -> None:
    crds = crds_by_kind()
    rollout = crds["Rollout"]
    assert rollout["metadata"]["name"] == "rollouts.argoproj.io"
    assert rollout["spec"]["names"]["shortNames"] == ["ro"]
    assert rollout["spec"]["scope"] == "Namespaced"
    assert rollout["spec"]["versions"][0]["subresources"]["scale"] == {
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.HPAReplicas",
        "labelSelectorPath": ".status.selector",
    }
    assert crds["ClusterAnalysisTemplate"]["spec"]["scope"] == "Cluster"
    assert crds["ClusterAnalysisTemplate"]["spec"]["names"]["shortNames"] == ["cat"]
    assert crds["AnalysisTemplate"]["spec"]["names"]["shortNames"] == ["at"]
    assert "categories" not in rollout["spec"]["names"], "rollouts are not in `get all`"


def test_printer_columns_as_upstream() -> None:
    crds = crds_by_kind()
    columns = crds["Rollout"]["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [(c["name"], c["jsonPath"], c["type"]) for c in columns] == [
        ("Desired", ".spec.replicas", "integer"),
        ("Current", ".status.replicas", "integer"),
        ("Up-to-date", ".status.updatedReplicas", "integer"),
        ("Available", ".status.availableReplicas", "integer"),
        ("Age", ".metadata.creationTimestamp", "date"),
    ]
    run = crds["AnalysisRun"]["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [c["name"] for c in run] == ["Status", "Age"]


def test_established_with_accepted_names() -> None:
    for crd in argo_crds(established_at="2026-01-01T00:00:00Z"):
        conditions = {c["type"]: c for c in crd["status"]["conditions"]}
        assert conditions["Established"]["status"] == "True"
        assert conditions["Established"]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
        assert crd["status"]["acceptedNames"] == crd["spec"]["names"]


def structural_problems(node: dict[str, Any], path: str = "") -> list[str]:
    problems = []
    if not (
        node.get("type")
        or node.get("x-kubernetes-int-or-string")
        or node.get("x-kubernetes-preserve-unknown-fields")
    ):
        problems.append(f"{path}: no type")
    if "$ref" in node:
        problems.append(f"{path}: $ref is not allowed in CRD schemas")
    for key, sub in (node.get("properties") or {}).items():
        problems += structural_problems(sub, f"{path}.{key}")
    if isinstance(node.get("items"), dict):
        problems += structural_problems(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        problems += structural_problems(node["additionalProperties"], f"{path}{{}}")
    return problems


def test_schemas_are_structural_and_embed_the_pod_template() -> None:
    for crd in argo_crds():
        schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        assert structural_problems(schema) == [], crd["metadata"]["name"]
    rollout = crds_by_kind()["Rollout"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    pod_spec = rollout["properties"]["spec"]["properties"]["template"]["properties"]["spec"]
    container = pod_spec["properties"]["containers"]["items"]
    assert container["required"] == ["name"]
    assert container["properties"]["ports"]["items"]["required"] == ["containerPort"]
    assert pod_spec["properties"]["volumes"]["items"]["x-kubernetes-preserve-unknown-fields"]


def test_crd_for_and_copies() -> None:
    rt = find_kind("argoproj.io/v1alpha1", "Rollout")
    crd = crd_for(rt)
    assert crd is not None
    crd["spec"]["names"]["kind"] = "Changed"
    assert crds_by_kind()["Rollout"]["spec"]["names"]["kind"] == "Rollout"
    assert crd_for(find_kind("v1", "Pod")) is None


def test_every_listed_description_reaches_a_schema() -> None:
    from clusters.embedded.schemas.argo import _descriptions

    text = json.dumps([crd["spec"]["versions"][0]["schema"] for crd in argo_crds()])
    stale = [key for key, value in _descriptions().items() if json.dumps(value) not in text]
    assert stale == []
    rollout = crds_by_kind()["Rollout"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    canary = rollout["properties"]["spec"]["properties"]["strategy"]["properties"]["canary"]
    assert canary["properties"]["canaryService"]["description"].startswith("Service whose")
