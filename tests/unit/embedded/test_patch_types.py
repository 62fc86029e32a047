"""JSON merge patch, JSON patch and patch-type dispatch: results, status codes, messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clusters.embedded.patch import (
    apply_json_patch,
    apply_patch,
    json_merge_patch,
)
from clusters.embedded.resources import find_kind
from clusters.embedded.status import ApiError

CONFIGMAP = find_kind("v1", "ConfigMap")
ROLLOUT = find_kind("argoproj.io/v1alpha1", "Rollout")
MERGE = "application/merge-patch+json"
JSON = "application/json-patch+json"
SMP = "application/strategic-merge-patch+json"

LIVE = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "cfg", "labels": {"a": "1"}},
    "data": {"a": "1", "b": "2"},
}


def patched(body: Any, content_type: str, live: dict[str, Any] = LIVE) -> dict[str, Any]:
    return apply_patch(CONFIGMAP, live, json.dumps(body).encode(), content_type)


def test_merge_patch_null_deletes_and_adds() -> None:
    result = patched({"data": {"c": "3", "a": None}}, MERGE)
    assert result["data"] == {"b": "2", "c": "3"}
    assert LIVE["data"] == {"a": "1", "b": "2"}, "live must not be modified"


def test_merge_patch_replaces_lists_and_content_type_params_are_ignored() -> None:
    live = {**LIVE, "spec": {"steps": [{"setWeight": 20}, {"pause": {}}]}}
    body = json.dumps({"spec": {"steps": [{"setWeight": 50}]}}).encode()
    result = apply_patch(ROLLOUT, live, body, "application/merge-patch+json; charset=utf-8")
    assert result["spec"]["steps"] == [{"setWeight": 50}]


def test_rfc7386_examples() -> None:
    assert json_merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert json_merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert json_merge_patch({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}) == {"a": {"b": "d"}}
    assert json_merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}


def test_json_patch_operations() -> None:
    doc = {"data": {"a": "1", "b": "2"}, "list": [1, 2, 3], "x/y": {"~": 1}}
    ops = [
        {"op": "add", "path": "/data/d", "value": "4"},
        {"op": "remove", "path": "/data/b"},
        {"op": "replace", "path": "/data/a", "value": "one"},
        {"op": "add", "path": "/list/-", "value": 4},
        {"op": "add", "path": "/list/0", "value": 0},
        {"op": "move", "from": "/data/d", "path": "/moved"},
        {"op": "copy", "from": "/list/1", "path": "/copied"},
        {"op": "test", "path": "/x~1y/~0", "value": 1},
        {"op": "remove", "path": "/list/2"},
    ]
    assert apply_json_patch(doc, ops) == {
        "data": {"a": "one"},
        "list": [0, 1, 3, 4],
        "x/y": {"~": 1},
        "moved": "4",
        "copied": 1,
    }


@pytest.mark.parametrize(
    ("ops", "detail"),
    [
        ([{"op": "remove", "path": "/data/zz"}], "unable to remove nonexistent key: zz"),
        ([{"op": "replace", "path": "/data/zz", "value": 1}], "doc is missing key: /data/zz"),
        ([{"op": "add", "path": "/nope/deeper", "value": 1}], "doc is missing path"),
        ([{"op": "test", "path": "/data/a", "value": "9"}], "testing value /data/a failed"),
        ([{"op": "move", "from": "/data/zz", "path": "/x"}], "doc is missing from path: /data/zz"),
        ([{"op": "copy", "from": "/zz", "path": "/x"}], "doc is missing from path: /zz"),
        ([{"op": "remove", "path": "/list/7"}], "index out of range"),
        ([{"op": "frobnicate", "path": "/a"}], "Unexpected kind: frobnicate"),
        ([{"op": "add", "path": "no-slash", "value": 1}], "invalid JSON pointer"),
    ],
)
def test_json_patch_failures_are_422(ops: list[dict[str, Any]], detail: str) -> None:
    live = {**LIVE, "list": [1]}
    with pytest.raises(ApiError) as caught:
        patched(ops, JSON, live)
    error = caught.value
    assert error.code == 422
    assert error.reason == "Invalid"
    assert error.status["message"].startswith(
        "the server rejected our request due to an error in our request: "
    )
    assert detail in error.status["message"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", MERGE),
        (b"[1, 2", JSON),
        (b'{"op": "add"}', JSON),
        (b"[1]", JSON),
        (b'"text"', MERGE),
        (b"\xff\xfe", SMP),
    ],
)
def test_malformed_patches_are_400(body: bytes, content_type: str) -> None:
    with pytest.raises(ApiError) as caught:
        apply_patch(CONFIGMAP, LIVE, body, content_type)
    assert caught.value.code == 400


def test_strategic_merge_on_custom_resource_is_415_listing_accepted_types() -> None:
    with pytest.raises(ApiError) as caught:
        apply_patch(ROLLOUT, {"spec": {}}, b'{"spec":{"replicas":2}}', SMP)
    assert caught.value.code == 415
    assert caught.value.status["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )


def test_unknown_patch_type_is_415_and_apply_needs_a_manager() -> None:
    with pytest.raises(ApiError) as caught:
        apply_patch(CONFIGMAP, LIVE, b"{}", "text/plain")
    assert caught.value.code == 415
    assert "application/strategic-merge-patch+json" in caught.value.status["message"]
    with pytest.raises(ApiError) as caught:
        apply_patch(CONFIGMAP, LIVE, b"{}", "application/apply-patch+yaml")
    assert caught.value.code == 400
    assert "fieldManager: Required value" in caught.value.status["message"]


def test_apply_patch_forwards_apply_bodies_to_server_side_apply() -> None:
    body = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {z: '9'}\n"
    result = apply_patch(CONFIGMAP, LIVE, body, "application/apply-patch+yaml", manager="me")
    assert result["data"] == {"a": "1", "b": "2", "z": "9"}
    assert result["metadata"]["managedFields"][0]["manager"] == "me"
