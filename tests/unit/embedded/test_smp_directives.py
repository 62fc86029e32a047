"""Strategic merge patch on built-ins: merge keys from the upstream schemas and directives."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from clusters.embedded.patch import apply_patch
from clusters.embedded.resources import find_kind
from clusters.embedded.status import ApiError

DEPLOYMENT = find_kind("apps/v1", "Deployment")
SERVICE = find_kind("v1", "Service")
POD = find_kind("v1", "Pod")
SMP = "application/strategic-merge-patch+json"

LIVE: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "finalizers": ["a.io/x"], "labels": {"app": "web"}},
    "spec": {
        "replicas": 2,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}},
        "template": {
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "nginx:1.25",
                        "args": ["--a", "--b"],
                        "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                        "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    },
                    {"name": "sidecar", "image": "busybox:1"},
                ],
                "volumes": [{"name": "data", "emptyDir": {}}],
            }
        },
    },
}


def smp(patch: dict[str, Any], live: dict[str, Any] = LIVE, rt: Any = DEPLOYMENT) -> Any:
    return apply_patch(rt, live, json.dumps(patch).encode(), SMP)


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return obj["spec"]["template"]["spec"]["containers"]


def test_containers_merge_by_name_and_others_are_kept() -> None:
    before = copy.deepcopy(LIVE)
    result = smp(
        {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "n:9"}]}}}}
    )
    assert [c["name"] for c in containers(result)] == ["app", "sidecar"]
    assert containers(result)[0]["image"] == "n:9"
    assert containers(result)[0]["env"] == LIVE["spec"]["template"]["spec"]["containers"][0]["env"]
    assert before == LIVE


def test_new_item_is_appended() -> None:
    result = smp({"spec": {"template": {"spec": {"containers": [{"name": "new", "image": "x"}]}}}})
    assert [c["name"] for c in containers(result)] == ["app", "sidecar", "new"]


def test_kubectl_client_side_apply_patch_with_directives() -> None:
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}\n"}},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "app"}],
                    "containers": [
                        {
                            "$setElementOrder/env": [{"name": "A"}],
                            "$setElementOrder/ports": [
                                {"containerPort": 80},
                                {"containerPort": 443},
                            ],
                            "env": [{"$patch": "delete", "name": "B"}],
                            "image": "nginx:1.26",
                            "name": "app",
                            "ports": [{"containerPort": 443}],
                        },
                        {"$patch": "delete", "name": "sidecar"},
                    ],
                }
            },
        },
    }
    result = smp(patch)
    (app,) = containers(result)
    assert app["image"] == "nginx:1.26"
    assert app["env"] == [{"name": "A", "value": "1"}]
    assert [p["containerPort"] for p in app["ports"]] == [80, 443]
    assert result["spec"]["replicas"] == 3
    assert "$" not in json.dumps(result), "directives must never be stored"


def test_set_element_order_reorders() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}
            }
        }
    }
    assert [c["name"] for c in containers(smp(patch))] == ["sidecar", "app"]


def test_retain_keys_drops_unlisted_strategy_fields() -> None:
    result = smp({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_primitive_list_merge_and_delete_from_primitive_list() -> None:
    merged = smp({"metadata": {"finalizers": ["b.io/y", "a.io/x"]}})
    assert merged["metadata"]["finalizers"] == ["a.io/x", "b.io/y"]
    removed = smp({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.io/x"]}}, merged)
    assert removed["metadata"]["finalizers"] == ["b.io/y"]


def test_lists_without_merge_strategy_are_replaced() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "args": ["--c"]}]}}}}
    assert containers(smp(patch))[0]["args"] == ["--c"]


def test_patch_replace_on_map_and_list_and_delete_on_map() -> None:
    replaced = smp({"metadata": {"labels": {"$patch": "replace", "new": "1"}}})
    assert replaced["metadata"]["labels"] == {"new": "1"}
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"$patch": "replace"}, {"name": "solo", "image": "s"}]}
            }
        }
    }
    assert containers(smp(patch)) == [{"name": "solo", "image": "s"}]
    deleted = smp({"spec": {"strategy": {"$patch": "delete"}}})
    assert "strategy" not in deleted["spec"]


def test_null_deletes_and_nested_merge_keys() -> None:
    patch = {
        "metadata": {"labels": {"app": None}},
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "app", "env": [{"name": "B", "value": "22"}], "ports": None}
                    ]
                }
            }
        },
    }
    result = smp(patch)
    assert result["metadata"]["labels"] == {}
    app = containers(result)[0]
    assert app["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "22"}]
    assert "ports" not in app


def test_service_ports_merge_by_port_and_pod_conditions_by_type() -> None:
    service = {"spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}]}}
    result = smp({"spec": {"ports": [{"port": 443, "targetPort": 8443}]}}, service, SERVICE)
    assert result["spec"]["ports"][1] == {"port": 443, "name": "https", "targetPort": 8443}
    pod = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    result = smp({"status": {"conditions": [{"type": "Ready", "status": "True"}]}}, pod, POD)
    assert result["status"]["conditions"] == [{"type": "Ready", "status": "True"}]


@pytest.mark.parametrize(
    ("patch", "code"),
    [
        ({"spec": {"strategy": {"$retainKeys": "type"}}}, 400),
        ({"spec": {"strategy": {"$patch": "explode"}}}, 400),
        ({"spec": {"template": {"spec": {"containers": [{"image": "no-name"}]}}}}, 422),
        ({"spec": {"template": {"spec": {"$setElementOrder/containers": "app"}}}}, 400),
        ({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}, 400),
        ({"metadata": {"finalizers": [{"not": "primitive"}]}}, 400),
        ({"spec": {"$bogusDirective": 1}}, 400),
    ],
)
def test_malformed_directives_are_client_errors(patch: dict[str, Any], code: int) -> None:
    with pytest.raises(ApiError) as caught:
        smp(patch)
    assert caught.value.code == code
