"""Every kind the server emits deserialises through the Python client's strict typed models:
create, read, list and one watch event per kind, plus Scale, Status and discovery documents."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from e2e_manifests import (
    configmap,
    create,
    deployment,
    event,
    pod,
    running_status,
    service,
)
from kubernetes import client as k8s
from kubernetes import watch as k8s_watch


def _job(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "once", "namespace": namespace},
        "spec": {
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "run", "image": "busybox:1.36"}],
                }
            }
        },
    }


def _secret(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "token", "namespace": namespace},
        "type": "Opaque",
        "data": {"key": base64.b64encode(b"value").decode()},
    }


def _endpoints(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "web", "namespace": namespace},
        "subsets": [{"addresses": [{"ip": "10.244.0.9"}], "ports": [{"port": 80}]}],
    }


def _replicaset(namespace: str) -> dict[str, Any]:
    template = deployment(namespace)["spec"]["template"]
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "web-rs", "namespace": namespace},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": template},
    }


# kind -> (API class, method suffix, manifest builder)
NAMESPACED: dict[str, tuple[Any, str, Callable[[str], dict[str, Any]]]] = {
    "Pod": (k8s.CoreV1Api, "namespaced_pod", pod),
    "Service": (k8s.CoreV1Api, "namespaced_service", service),
    "Endpoints": (k8s.CoreV1Api, "namespaced_endpoints", _endpoints),
    "ConfigMap": (k8s.CoreV1Api, "namespaced_config_map", configmap),
    "Secret": (k8s.CoreV1Api, "namespaced_secret", _secret),
    "Deployment": (k8s.AppsV1Api, "namespaced_deployment", deployment),
    "ReplicaSet": (k8s.AppsV1Api, "namespaced_replica_set", _replicaset),
    "Job": (k8s.BatchV1Api, "namespaced_job", _job),
}


@pytest.mark.parametrize("kind", list(NAMESPACED))
def test_namespaced_kind_round_trips_through_typed_models(
    api_client: k8s.ApiClient, namespace: str, kind: str
) -> None:
    api_class, suffix, builder = NAMESPACED[kind]
    api = api_class(api_client)
    manifest = builder(namespace)
    name = manifest["metadata"]["name"]
    created = getattr(api, f"create_{suffix}")(namespace, manifest)
    assert created.kind == kind and created.metadata.uid
    read = getattr(api, f"read_{suffix}")(name, namespace)
    assert read.metadata.resource_version == created.metadata.resource_version
    listed = getattr(api, f"list_{suffix}")(namespace)
    assert [item.metadata.name for item in listed.items] == [name]
    watcher = k8s_watch.Watch()
    events = []
    for watched in watcher.stream(getattr(api, f"list_{suffix}"), namespace, timeout_seconds=5):
        events.append(watched)
        watcher.stop()
    assert [e["type"] for e in events] == ["ADDED"]
    assert type(events[0]["object"]) is type(read)


def test_pod_with_full_status_round_trips(
    api_client: k8s.ApiClient, raw: httpx.Client, namespace: str
) -> None:
    core = k8s.CoreV1Api(api_client)
    create(raw, pod(namespace))
    core.patch_namespaced_pod_status("web-abc12", namespace, {"status": running_status()})
    typed = core.read_namespaced_pod_status("web-abc12", namespace)
    assert typed.status.container_statuses[0].image_id.startswith("docker.io/")
    assert typed.status.conditions[1].type == "Ready"


def test_event_round_trips_and_filters_by_involved_object(
    api_client: k8s.ApiClient, raw: httpx.Client, namespace: str
) -> None:
    core = k8s.CoreV1Api(api_client)
    created = create(raw, pod(namespace))
    core.create_namespaced_event(namespace, event(namespace, created, "web.1", "hello"))
    (only,) = core.list_namespaced_event(namespace).items
    assert isinstance(only, k8s.CoreV1Event)
    assert only.involved_object.uid == created["metadata"]["uid"]
    selected = core.list_namespaced_event(
        namespace, field_selector=f"involvedObject.uid={created['metadata']['uid']}"
    )
    assert len(selected.items) == 1


def test_namespace_round_trips(api_client: k8s.ApiClient, namespace: str) -> None:
    core = k8s.CoreV1Api(api_client)
    ns = core.read_namespace(namespace)
    assert isinstance(ns, k8s.V1Namespace) and ns.status.phase == "Active"
    assert namespace in [n.metadata.name for n in core.list_namespace().items]


def test_node_round_trips(api_client: k8s.ApiClient, namespace: str) -> None:
    core = k8s.CoreV1Api(api_client)
    node = core.create_node(
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"{namespace}-node"}}
    )
    assert core.read_node(node.metadata.name).metadata.uid == node.metadata.uid
    assert isinstance(core.list_node(), k8s.V1NodeList)


def test_custom_resource_definition_round_trips(api_client: k8s.ApiClient) -> None:
    crds = k8s.ApiextensionsV1Api(api_client)
    rollouts = crds.read_custom_resource_definition("rollouts.argoproj.io")
    assert rollouts.spec.names.kind == "Rollout"
    assert {c.metadata.name for c in crds.list_custom_resource_definition().items} >= {
        "rollouts.argoproj.io",
        "analysisruns.argoproj.io",
        "analysistemplates.argoproj.io",
        "clusteranalysistemplates.argoproj.io",
        "experiments.argoproj.io",
    }


def test_scale_round_trips(api_client: k8s.ApiClient, namespace: str) -> None:
    apps = k8s.AppsV1Api(api_client)
    apps.create_namespaced_deployment(namespace, deployment(namespace))
    scale = apps.read_namespaced_deployment_scale("web", namespace)
    assert isinstance(scale, k8s.V1Scale) and scale.spec.replicas == 2
    scaled = apps.patch_namespaced_deployment_scale("web", namespace, {"spec": {"replicas": 3}})
    assert scaled.spec.replicas == 3 and scaled.status.selector == "app=web"


def test_status_errors_round_trip(api_client: k8s.ApiClient, namespace: str) -> None:
    with pytest.raises(k8s.ApiException) as missing:
        k8s.AppsV1Api(api_client).read_namespaced_deployment("nope", namespace)
    status = api_client.deserialize(missing.value.body, "V1Status", "application/json")
    assert (status.code, status.reason) == (404, "NotFound")
    assert status.details.name == "nope"


def test_discovery_documents_round_trip(api_client: k8s.ApiClient, raw: httpx.Client) -> None:
    assert k8s.VersionApi(api_client).get_code().git_version.startswith("v1.37")
    assert any(g.name == "argoproj.io" for g in k8s.ApisApi(api_client).get_api_versions().groups)
    resources = k8s.CoreV1Api(api_client).get_api_resources()
    assert any(r.name == "pods/log" for r in resources.resources)
    aggregated = raw.get(
        "/apis",
        headers={"Accept": "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"},
    )
    typed = api_client.deserialize(aggregated.text, "V2APIGroupDiscoveryList", "application/json")
    assert "argoproj.io" in [item.metadata.name for item in typed.items]


def test_custom_objects_round_trip_as_json(api_client: k8s.ApiClient, namespace: str) -> None:
    custom = k8s.CustomObjectsApi(api_client)
    from e2e_manifests import rollout

    created = custom.create_namespaced_custom_object(
        "argoproj.io", "v1alpha1", namespace, "rollouts", rollout(namespace)
    )
    read = custom.get_namespaced_custom_object(
        "argoproj.io", "v1alpha1", namespace, "rollouts", "ro1"
    )
    assert read["metadata"]["uid"] == created["metadata"]["uid"]
    json.dumps(read)  # plain JSON data all the way down
