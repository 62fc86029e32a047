"""OpenAPI v3 documents: what kubectl's validation check, client-side apply and explain need,
and stable content (the server hashes it for the `?hash=` cache key)."""

from __future__ import annotations

import json
from typing import Any

from clusters.embedded.openapi import document_key, openapi_documents, schema_name
from clusters.embedded.resources import RESOURCES, group_versions


def refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.add(value)
            elif key == "properties":  # field names such as JSONSchemaProps' "$ref"
                for sub in value.values():
                    found |= refs(sub)
            else:
                found |= refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= refs(item)
    return found


def test_one_document_per_group_version() -> None:
    documents = openapi_documents()
    assert sorted(documents) == sorted(
        [
            "api/v1",
            "apis/apps/v1",
            "apis/batch/v1",
            "apis/apiextensions.k8s.io/v1",
            "apis/argoproj.io/v1alpha1",
        ]
    )
    assert sorted(documents) == sorted(document_key(gv) for gv in group_versions())
    for document in documents.values():
        assert document["openapi"].startswith("3.0")


def test_documents_are_deterministic() -> None:
    first = openapi_documents()
    second = openapi_documents()
    for key in first:
        assert json.dumps(first[key]) == json.dumps(second[key])
        assert json.dumps(first[key], sort_keys=True) == json.dumps(second[key], sort_keys=True)
    first["api/v1"]["paths"].clear()
    assert openapi_documents()["api/v1"]["paths"], "callers get copies"


def test_every_writable_kind_has_a_patch_with_field_validation_and_no_smp() -> None:
    documents = openapi_documents()
    for rt in RESOURCES:
        if "patch" not in rt.verbs:
            continue
        document = documents[document_key(rt.group_version)]
        patches = [
            item["patch"]
            for item in document["paths"].values()
            if "patch" in item
            and item["patch"]["x-kubernetes-group-version-kind"]
            == {"group": rt.group, "version": rt.version, "kind": rt.kind}
        ]
        assert len(patches) == 1, rt.kind
        params = {p["name"] for p in patches[0]["parameters"]}
        assert {"fieldValidation", "fieldManager", "dryRun", "force"} <= params
        assert "application/strategic-merge-patch+json" not in patches[0]["requestBody"]["content"]


def test_kind_schemas_carry_their_gvk_and_all_refs_resolve() -> None:
    documents = openapi_documents()
    for rt in RESOURCES:
        schemas = documents[document_key(rt.group_version)]["components"]["schemas"]
        schema = schemas[schema_name(rt)]
        assert {"group": rt.group, "kind": rt.kind, "version": rt.version} in schema[
            "x-kubernetes-group-version-kind"
        ]
    for key, document in documents.items():
        names = set(document["components"]["schemas"])
        for ref in refs(document):
            assert ref.startswith("#/components/schemas/"), (key, ref)
            assert ref.removeprefix("#/components/schemas/") in names, (key, ref)


def test_schemas_are_openapi_3_0_shaped() -> None:
    schemas = openapi_documents()["apis/apps/v1"]["components"]["schemas"]
    spec = schemas["io.k8s.api.apps.v1.DeploymentSpec"]
    assert spec["properties"]["replicas"]["type"] == "integer"
    assert spec["properties"]["template"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec"}
    ]
    assert spec["properties"]["strategy"]["x-kubernetes-patch-strategy"] == "retainKeys"
    max_surge = schemas["io.k8s.api.apps.v1.RollingUpdateDeployment"]["properties"]["maxSurge"]
    target = schemas[max_surge["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert target["type"] == "string"
    assert target["format"] == "int-or-string"


def test_argo_document_explains_rollout_fields() -> None:
    document = openapi_documents()["apis/argoproj.io/v1alpha1"]
    rollout = document["components"]["schemas"]["io.argoproj.v1alpha1.Rollout"]
    canary = rollout["properties"]["spec"]["properties"]["strategy"]["properties"]["canary"]
    assert canary["description"]
    assert "steps" in canary["properties"]
    assert rollout["properties"]["metadata"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}
    ]
