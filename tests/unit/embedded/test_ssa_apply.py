"""Server-side apply: create, update, removal by the same manager, conflicts and force,
managedFields tries, and ownership tracking for ordinary writes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from clusters.embedded.resources import find_kind
from clusters.embedded.ssa import decode_apply_body, server_side_apply, track_update
from clusters.embedded.status import ApiError

DEPLOYMENT = find_kind("apps/v1", "Deployment")
ROLLOUT = find_kind("argoproj.io/v1alpha1", "Rollout")
CONFIGMAP = find_kind("v1", "ConfigMap")
NOW = "2026-01-01T00:00:00Z"


def config(image: str = "nginx:1.25", replicas: int = 2, **labels: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo", "labels": {"app": "web", **labels}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": image, "ports": [{"containerPort": 80}]}
                    ]
                },
            },
        },
    }


def entries(obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["manager"]: e for e in obj["metadata"]["managedFields"]}


def test_create_records_an_apply_entry_with_a_fields_trie() -> None:
    created = server_side_apply(DEPLOYMENT, None, config(), manager="kubectl", now=NOW)
    assert created["spec"]["replicas"] == 2
    (entry,) = created["metadata"]["managedFields"]
    assert {k: entry[k] for k in ("manager", "operation", "apiVersion", "time", "fieldsType")} == {
        "manager": "kubectl",
        "operation": "Apply",
        "apiVersion": "apps/v1",
        "time": NOW,
        "fieldsType": "FieldsV1",
    }
    fields = entry["fieldsV1"]
    assert "f:name" not in fields["f:metadata"], "identity fields are not owned"
    assert fields["f:metadata"]["f:labels"] == {"f:app": {}}
    container = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"app"}']
    assert container["."] == {}
    assert container["f:image"] == {}
    assert container["f:ports"]['k:{"containerPort":80,"protocol":"TCP"}'] == {
        ".": {},
        "f:containerPort": {},
    }


def test_same_manager_update_removes_fields_it_no_longer_applies() -> None:
    live = server_side_apply(DEPLOYMENT, None, config(tier="web"), manager="kubectl")
    updated = server_side_apply(DEPLOYMENT, live, config(image="nginx:1.26"), manager="kubectl")
    assert updated["metadata"]["labels"] == {"app": "web"}
    assert updated["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"


def test_other_managers_fields_survive_a_partial_apply() -> None:
    live = server_side_apply(DEPLOYMENT, None, config(), manager="kubectl")
    only_annotation = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "demo",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
        },
    }
    result = server_side_apply(DEPLOYMENT, live, only_annotation, manager="kubectl-last-applied")
    assert result["spec"] == live["spec"]
    assert set(entries(result)) == {"kubectl", "kubectl-last-applied"}


def test_conflict_with_an_update_manager_uses_the_apiserver_message() -> None:
    live = server_side_apply(DEPLOYMENT, None, config(), manager="kubectl")
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 5
    scaled = track_update(DEPLOYMENT, live, scaled, manager="kubectl-scale", now=NOW)
    with pytest.raises(ApiError) as caught:
        server_side_apply(DEPLOYMENT, scaled, config(), manager="kubectl")
    error = caught.value
    assert error.code == 409
    assert error.reason == "Conflict"
    assert error.status["message"] == (
        'Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: .spec.replicas'
    )
    assert error.status["details"]["causes"] == [
        {
            "reason": "FieldManagerConflict",
            "message": 'conflict with "kubectl-scale" using apps/v1',
            "field": ".spec.replicas",
        }
    ]


def test_several_conflicts_are_listed_per_manager() -> None:
    live = server_side_apply(DEPLOYMENT, None, config(), manager="alice")
    with pytest.raises(ApiError) as caught:
        server_side_apply(DEPLOYMENT, live, config(image="x:2", replicas=9), manager="bob")
    assert caught.value.status["message"] == (
        'Apply failed with 2 conflicts: conflicts with "alice":\n'
        "- .spec.replicas\n"
        '- .spec.template.spec.containers[name="app"].image'
    )


def test_same_value_is_shared_not_a_conflict_and_force_takes_ownership() -> None:
    live = server_side_apply(DEPLOYMENT, None, config(), manager="alice")
    shared = server_side_apply(DEPLOYMENT, live, config(), manager="bob")
    assert set(entries(shared)) == {"alice", "bob"}
    forced = server_side_apply(DEPLOYMENT, shared, config(replicas=7), manager="carol", force=True)
    assert forced["spec"]["replicas"] == 7
    owners = entries(forced)
    assert "f:replicas" in owners["carol"]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in owners["alice"]["fieldsV1"]["f:spec"]
    assert "f:replicas" not in owners["bob"]["fieldsV1"]["f:spec"]


def test_custom_resource_lists_are_atomic() -> None:
    def ro(steps: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {"name": "ro1"},
            "spec": {"strategy": {"canary": {"steps": steps}}},
        }

    live = server_side_apply(ROLLOUT, None, ro([{"setWeight": 20}, {"pause": {}}]), manager="k")
    result = server_side_apply(ROLLOUT, live, ro([{"setWeight": 50}]), manager="k")
    assert result["spec"]["strategy"]["canary"]["steps"] == [{"setWeight": 50}]
    fields = entries(result)["k"]["fieldsV1"]
    assert fields["f:spec"]["f:strategy"]["f:canary"] == {"f:steps": {}}


def test_status_is_not_applied_through_the_main_resource() -> None:
    body = {**config(), "status": {"replicas": 3}}
    result = server_side_apply(DEPLOYMENT, None, body, manager="kubectl")
    assert "status" not in result


def test_track_update_gives_changed_fields_to_the_writer() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    created = track_update(CONFIGMAP, None, cm, manager="kubectl-create", now=NOW)
    assert entries(created)["kubectl-create"]["fieldsV1"] == {"f:data": {"f:a": {}}}
    changed = copy.deepcopy(created)
    changed["data"] = {"a": "1", "b": "2"}
    result = track_update(CONFIGMAP, created, changed, manager="kubectl-edit", now=NOW)
    owners = entries(result)
    assert owners["kubectl-create"]["fieldsV1"] == {"f:data": {"f:a": {}}}
    assert owners["kubectl-edit"]["fieldsV1"] == {"f:data": {"f:b": {}}}
    assert owners["kubectl-edit"]["operation"] == "Update"
    removed = copy.deepcopy(result)
    removed["data"] = {"b": "2"}
    after = track_update(CONFIGMAP, result, removed, manager="kubectl-edit", now=NOW)
    assert set(entries(after)) == {"kubectl-edit"}


@pytest.mark.parametrize("body", [b"- a\n- b\n", b"key: [unclosed\n", b"\xff"])
def test_bad_apply_bodies_are_400(body: bytes) -> None:
    with pytest.raises(ApiError) as caught:
        decode_apply_body(body)
    assert caught.value.code == 400


def test_apply_body_accepts_json() -> None:
    assert decode_apply_body(b'{"kind": "ConfigMap"}') == {"kind": "ConfigMap"}


def test_dropping_a_container_removes_it_and_its_fields() -> None:
    two = config()
    two["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "busybox"})
    live = server_side_apply(DEPLOYMENT, None, two, manager="kubectl")
    result = server_side_apply(DEPLOYMENT, live, config(), manager="kubectl")
    assert [c["name"] for c in result["spec"]["template"]["spec"]["containers"]] == ["app"]
    fields = entries(result)["kubectl"]["fieldsV1"]["f:spec"]["f:template"]["f:spec"]
    assert list(fields["f:containers"]) == ['k:{"name":"app"}']


def test_a_container_shared_with_another_manager_is_kept() -> None:
    two = config()
    two["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "busybox"})
    live = server_side_apply(DEPLOYMENT, None, two, manager="alice")
    live = server_side_apply(DEPLOYMENT, live, two, manager="bob")
    result = server_side_apply(DEPLOYMENT, live, config(), manager="alice")
    assert [c["name"] for c in result["spec"]["template"]["spec"]["containers"]] == [
        "app",
        "sidecar",
    ]
