"""HTTP-level semantics real clients depend on: content types, OpenAPI hashes, warnings,
dry runs, Service address allocation, watch framing (Tables, watch-list bookmark)."""

from __future__ import annotations

import json

import httpx
from e2e_manifests import configmap, create, merge_status, object_path, pod, rollout, service

AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def _watch(raw: httpx.Client, path: str, **headers: str) -> list[dict]:
    with raw.stream("GET", path, headers=headers) as response:
        assert response.status_code == 200, response.read()
        return [json.loads(line) for line in response.iter_lines() if line]


def test_aggregated_and_legacy_discovery_content_types(raw: httpx.Client) -> None:
    aggregated = raw.get("/apis", headers={"Accept": f"{AGGREGATED},application/json"})
    assert aggregated.headers["content-type"] == AGGREGATED
    assert aggregated.json()["kind"] == "APIGroupDiscoveryList"
    legacy = raw.get("/apis", headers={"Accept": "application/json"})
    assert legacy.headers["content-type"] == "application/json"
    assert legacy.json()["kind"] == "APIGroupList"
    assert raw.get("/api").json()["kind"] == "APIVersions"


def test_openapi_v3_root_points_at_hashed_documents_and_v2_is_404(raw: httpx.Client) -> None:
    root = raw.get("/openapi/v3").json()["paths"]
    assert {"api/v1", "apis/apps/v1", "apis/argoproj.io/v1alpha1"} <= set(root)
    url = root["apis/argoproj.io/v1alpha1"]["serverRelativeURL"]
    assert "?hash=" in url
    document = raw.get(url).json()
    patches = [
        op["patch"]
        for op in document["paths"].values()
        if "patch" in op
        and op["patch"].get("x-kubernetes-group-version-kind", {}).get("kind") == "Rollout"
    ]
    assert patches
    assert any(p["name"] == "fieldValidation" for p in patches[0]["parameters"])
    assert raw.get(url).content == raw.get(url).content  # stable bytes behind a stable hash
    assert raw.get("/openapi/v2").status_code == 404


def test_unknown_fields_warn_by_default_and_dry_run_stores_nothing(
    raw: httpx.Client, namespace: str
) -> None:
    body = {**configmap(namespace, "warned"), "bogus": 1}
    created = raw.post(object_path(body, collection=True), json=body)
    assert created.status_code == 201
    assert created.headers.get_list("warning") == ['299 - "unknown field \\"bogus\\""']
    assert "bogus" not in created.json()
    dry = raw.post(
        object_path(configmap(namespace, "dry"), collection=True) + "?dryRun=All",
        json=configmap(namespace, "dry"),
    )
    assert dry.status_code == 201 and dry.json()["metadata"]["name"] == "dry"
    assert raw.get(object_path(configmap(namespace, "dry"))).status_code == 404


def test_yaml_request_bodies_are_accepted(raw: httpx.Client, namespace: str) -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  when: 2024-01-01\n"
    )
    response = raw.post(
        f"/api/v1/namespaces/{namespace}/configmaps",
        content=text.encode(),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["data"] == {"when": "2024-01-01"}


def test_service_cluster_ip_and_node_port_allocation(raw: httpx.Client, namespace: str) -> None:
    first = create(raw, service(namespace, "a"))
    second = create(raw, service(namespace, "b"))
    ips = {first["spec"]["clusterIP"], second["spec"]["clusterIP"]}
    assert len(ips) == 2 and all(ip.startswith("10.") for ip in ips)
    assert first["spec"]["clusterIPs"] == [first["spec"]["clusterIP"]]
    node = create(
        raw, service(namespace, "np", type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    )
    assert node["spec"]["ports"][0]["nodePort"] == 30080
    auto = create(raw, service(namespace, "np2", type="NodePort"))
    assert 30000 <= auto["spec"]["ports"][0]["nodePort"] <= 32767
    clash = service(namespace, "np3", type="NodePort", ports=[{"port": 80, "nodePort": 30080}])
    response = raw.post(object_path(clash, collection=True), json=clash)
    assert response.status_code == 422
    assert "provided port is already allocated" in response.json()["message"]
    taken = service(namespace, "ip-clash", clusterIP=first["spec"]["clusterIP"])
    response = raw.post(object_path(taken, collection=True), json=taken)
    assert response.status_code == 422
    assert "provided IP is already allocated" in response.json()["message"]
    kept = raw.patch(
        object_path(first),
        content=b'{"spec":{"ports":[{"port":81}]}}',
        headers={"Content-Type": "application/merge-patch+json"},
    ).json()
    assert kept["spec"]["clusterIP"] == first["spec"]["clusterIP"]


def test_watch_sends_one_row_tables_when_asked(raw: httpx.Client, namespace: str) -> None:
    create(raw, configmap(namespace))
    events = _watch(
        raw,
        f"/api/v1/namespaces/{namespace}/configmaps?watch=true&timeoutSeconds=1",
        Accept=f"{TABLE},application/json",
    )
    assert [e["type"] for e in events] == ["ADDED"]
    table = events[0]["object"]
    assert table["kind"] == "Table" and len(table["rows"]) == 1
    assert table["rows"][0]["cells"][0] == "cfg"


def test_watch_list_ends_initial_events_with_a_bookmark(raw: httpx.Client, namespace: str) -> None:
    create(raw, configmap(namespace))
    events = _watch(
        raw,
        f"/api/v1/namespaces/{namespace}/configmaps?watch=true&sendInitialEvents=true"
        "&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=1",
    )
    assert events[0]["type"] == "ADDED"
    bookmark = events[1]
    assert bookmark["type"] == "BOOKMARK"
    assert bookmark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_deletecollection_with_a_label_selector(raw: httpx.Client, namespace: str) -> None:
    for name, tier in (("a", "x"), ("b", "x"), ("c", "y")):
        body = configmap(namespace, name)
        body["metadata"]["labels"] = {"tier": tier}
        create(raw, body)
    response = raw.delete(f"/api/v1/namespaces/{namespace}/configmaps?labelSelector=tier%3Dx")
    assert response.status_code == 200
    assert sorted(i["metadata"]["name"] for i in response.json()["items"]) == ["a", "b"]
    left = raw.get(f"/api/v1/namespaces/{namespace}/configmaps").json()["items"]
    assert [i["metadata"]["name"] for i in left] == ["c"]


def test_log_errors_match_the_apiserver(raw: httpx.Client, namespace: str) -> None:
    two = pod(namespace, "two")
    two["spec"]["containers"].append({"name": "side", "image": "busybox:1.36"})
    create(raw, two)
    base = f"/api/v1/namespaces/{namespace}/pods/two/log"
    ambiguous = raw.get(base)
    assert ambiguous.status_code == 400
    assert (
        "a container name must be specified for pod two, choose one of: [app side]"
        in (ambiguous.json()["message"])
    )
    assert raw.get(base, params={"container": "nope"}).status_code == 400
    previous = raw.get(base, params={"container": "app", "previous": "true"})
    assert previous.status_code == 400
    assert "previous terminated container" in previous.json()["message"]
    assert raw.get(f"/api/v1/namespaces/{namespace}/pods/ghost/log").status_code == 404


def test_rollout_scale_reads_hpa_replicas_and_selector_from_status(
    raw: httpx.Client, namespace: str
) -> None:
    ro = create(raw, rollout(namespace))
    merge_status(raw, ro, {"HPAReplicas": 3, "selector": "app=ro1", "replicas": 4})
    scale = raw.get(object_path(ro, "scale")).json()
    assert scale["spec"] == {"replicas": 5}
    assert scale["status"] == {"replicas": 3, "selector": "app=ro1"}
    put = raw.put(object_path(ro, "scale"), json={**scale, "spec": {"replicas": 1}})
    assert put.status_code == 200 and put.json()["spec"]["replicas"] == 1
    assert raw.get(object_path(ro)).json()["spec"]["replicas"] == 1
