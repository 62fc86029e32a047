"""Hostile and malformed requests: each gets a clear 4xx `Status` and the server stays up."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from clusters.embedded.cluster import EmbeddedCluster

CM = "/api/v1/namespaces/{ns}/configmaps"
RO = "/apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts"
JSON = {"Content-Type": "application/json"}


def _cm(name: str = "c1", **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, **extra}


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _alias_bomb() -> str:
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for index in range(1, 9):
        previous = chr(ord("a") + index - 1)
        name = chr(ord("a") + index)
        lines.append(f"{name}: &{name} [{','.join(['*' + previous] * 10)}]")
    body = "\n".join(lines).replace("\n", "\n  ")
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\nx:\n  {body}\n"


# (id, method, path, headers, body, expected status)
CASES: list[tuple[str, str, str, dict[str, str], bytes | str, int]] = [
    ("truncated-json", "POST", CM, JSON, '{"apiVersion": "v1", "kind": ', 400),
    ("json-array-body", "POST", CM, JSON, "[]", 400),
    ("json-string-body", "POST", CM, JSON, '"configmap"', 400),
    ("empty-body", "POST", CM, JSON, "", 400),
    ("nan-number", "POST", CM, JSON, '{"kind":"ConfigMap","x":NaN}', 400),
    (
        "10k-nested-arrays",
        "POST",
        CM,
        JSON,
        '{"metadata":{"name":"x"},"data":' + _nested(10000) + "}",
        400,
    ),
    (
        "10k-nested-yaml",
        "POST",
        CM,
        {"Content-Type": "application/yaml"},
        "a: " + _nested(10000),
        400,
    ),
    ("yaml-alias-bomb", "POST", CM, {"Content-Type": "application/yaml"}, _alias_bomb(), 400),
    (
        "yaml-two-documents",
        "POST",
        CM,
        {"Content-Type": "application/yaml"},
        "a: 1\n---\nb: 2\n",
        400,
    ),
    (
        "yaml-python-tag",
        "POST",
        CM,
        {"Content-Type": "application/yaml"},
        "a: !!python/object/apply:os.system ['true']",
        400,
    ),
    ("invalid-utf8", "POST", CM, JSON, b'{"kind":"\xff\xfe"}', 400),
    (
        "body-over-3MiB",
        "POST",
        CM,
        JSON,
        json.dumps(_cm(data={"big": "x" * (3 * 1024 * 1024)})),
        413,
    ),
    ("text-plain-body", "POST", CM, {"Content-Type": "text/plain"}, json.dumps(_cm()), 415),
    (
        "protobuf-body",
        "POST",
        CM,
        {"Content-Type": "application/vnd.kubernetes.protobuf"},
        b"k8s\x00\n\x0f",
        415,
    ),
    ("kind-mismatch", "POST", CM, JSON, json.dumps({**_cm(), "kind": "Secret"}), 400),
    ("apiversion-mismatch", "POST", CM, JSON, json.dumps({**_cm(), "apiVersion": "apps/v1"}), 400),
    (
        "metadata-is-a-list",
        "POST",
        CM,
        JSON,
        json.dumps({"kind": "ConfigMap", "metadata": []}),
        400,
    ),
    ("uppercase-name", "POST", CM, JSON, json.dumps(_cm("Bad_Name")), 422),
    ("missing-name", "POST", CM, JSON, json.dumps({"kind": "ConfigMap", "metadata": {}}), 422),
    ("name-with-slash-in-body", "POST", CM, JSON, json.dumps(_cm("a/../b")), 422),
    (
        "data-value-wrong-type",
        "POST",
        CM,
        JSON,
        json.dumps(_cm(data={"a": 1})),
        400,
    ),  # Go: cannot unmarshal number into string
    (
        "unknown-field-strict",
        "POST",
        CM + "?fieldValidation=Strict",
        JSON,
        json.dumps(_cm(bogus=1)),
        400,
    ),
    ("bad-fieldValidation", "POST", CM + "?fieldValidation=Loose", JSON, json.dumps(_cm()), 400),
    ("bad-dryRun", "POST", CM + "?dryRun=Some", JSON, json.dumps(_cm()), 400),
    (
        "namespace-mismatch",
        "POST",
        CM,
        JSON,
        json.dumps(_cm(metadata={"name": "x", "namespace": "other"})),
        400,
    ),
    ("dotdot-name-in-url", "GET", CM + "/%2E%2E", {}, "", 400),
    ("encoded-slash-name", "GET", CM + "/a%2Fb", {}, "", 400),
    ("encoded-dotdot-namespace", "GET", "/api/v1/namespaces/%2E%2E/configmaps", {}, "", 400),
    ("overlong-name", "GET", CM + "/" + "a" * 300, {}, "", 400),
    ("bad-label-selector", "GET", CM + "?labelSelector=a%20in%20(", {}, "", 400),
    ("bad-field-selector", "GET", CM + "?fieldSelector=spec.nonsense%3Dx", {}, "", 400),
    ("bad-limit", "GET", CM + "?limit=-3", {}, "", 400),
    ("bad-timeoutSeconds", "GET", CM + "?watch=true&timeoutSeconds=soon", {}, "", 400),
    ("bad-query-encoding", "GET", CM + "?labelSelector=%ff", {}, "", 400),
    ("unknown-resource", "GET", "/api/v1/namespaces/{ns}/gizmos", {}, "", 404),
    ("unknown-group", "GET", "/apis/evil.example.com/v1/things", {}, "", 404),
    ("method-not-allowed", "POST", "/version", JSON, "{}", 405),
    ("deletecollection-namespaces", "DELETE", "/api/v1/namespaces", {}, "", 405),
    (
        "crd-write",
        "POST",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        JSON,
        "{}",
        405,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_hostile_request_gets_a_4xx_status(
    raw: httpx.Client,
    namespace: str,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | str,
    expected: int,
) -> None:
    content = body.encode() if isinstance(body, str) else body
    response = raw.request(method, path.format(ns=namespace), headers=headers, content=content)
    assert response.status_code == expected, response.text[:500]
    status = response.json()
    assert status["kind"] == "Status"
    assert status["code"] == expected
    assert status["message"] and "Traceback" not in status["message"]
    assert raw.get("/readyz").text == "ok"


PATCH_CASES: list[tuple[str, str, str, bytes | str, int]] = [
    (
        "json-patch-bad-path",
        "application/json-patch+json",
        "/{cm}",
        '[{"op":"remove","path":"/data/nope"}]',
        422,
    ),
    ("json-patch-not-a-list", "application/json-patch+json", "/{cm}", '{"op":"add"}', 400),
    (
        "json-patch-bad-op",
        "application/json-patch+json",
        "/{cm}",
        '[{"op":"explode","path":"/data"}]',
        422,
    ),
    ("merge-patch-array", "application/merge-patch+json", "/{cm}", "[1,2]", 400),
    (
        "merge-patch-deep",
        "application/merge-patch+json",
        "/{cm}",
        '{"data":' + _nested(5000) + "}",
        400,
    ),
    (
        "smp-on-custom-resource",
        "application/strategic-merge-patch+json",
        "/{ro}",
        '{"spec":{}}',
        415,
    ),
    ("unknown-patch-type", "application/x-weird-patch", "/{cm}", "{}", 415),
    (
        "apply-without-fieldManager",
        "application/apply-patch+yaml",
        "/{cm}",
        '{"apiVersion":"v1","kind":"ConfigMap"}',
        400,
    ),
    (
        "patch-renames-object",
        "application/merge-patch+json",
        "/{cm}",
        '{"metadata":{"name":"other"}}',
        400,
    ),
    (
        "stale-resourceVersion",
        "application/merge-patch+json",
        "/{cm}",
        '{"metadata":{"resourceVersion":"1"}}',
        409,
    ),
    (
        "scale-negative",
        "application/merge-patch+json",
        "/{dep}/scale",
        '{"spec":{"replicas":-1}}',
        422,
    ),
]


@pytest.mark.parametrize(
    ("content_type", "target", "body", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in PATCH_CASES],
)
def test_hostile_patch_gets_a_4xx_status(
    raw: httpx.Client,
    namespace: str,
    content_type: str,
    target: str,
    body: str,
    expected: int,
) -> None:
    created = raw.post(CM.format(ns=namespace), json=_cm("victim", data={"a": "1"}))
    assert created.status_code == 201, created.text
    from e2e_manifests import deployment, rollout

    deploy = raw.post(
        f"/apis/apps/v1/namespaces/{namespace}/deployments", json=deployment(namespace)
    )
    assert deploy.status_code == 201, deploy.text
    ro = raw.post(RO.format(ns=namespace), json=rollout(namespace))
    assert ro.status_code == 201, ro.text
    paths = {
        "cm": CM.format(ns=namespace)[1:] + "/victim",
        "ro": RO.format(ns=namespace)[1:] + "/ro1",
        "dep": f"apis/apps/v1/namespaces/{namespace}/deployments/web",
    }
    response = raw.patch(
        target.format(**paths), content=body.encode(), headers={"Content-Type": content_type}
    )
    assert response.status_code == expected, response.text[:500]
    assert response.json()["kind"] == "Status"
    assert raw.get("/readyz").text == "ok"
    still = raw.get(CM.format(ns=namespace) + "/victim").json()
    assert still["data"] == {"a": "1"}


def test_protobuf_rejection_names_kubectl_apply(raw: httpx.Client, namespace: str) -> None:
    response = raw.post(
        CM.format(ns=namespace),
        content=b"k8s\x00",
        headers={"Content-Type": "application/vnd.kubernetes.protobuf"},
    )
    assert response.status_code == 415
    assert "kubectl apply -f" in response.json()["message"]


def test_server_survives_a_client_that_disconnects_mid_body(
    cluster: EmbeddedCluster, raw: httpx.Client, namespace: str
) -> None:
    import socket
    import ssl

    context = ssl.create_default_context(cafile=str(cluster.ca_path))
    port = int(cluster.api_url.rsplit(":", 1)[1])
    with (
        socket.create_connection(("127.0.0.1", port)) as plain,
        context.wrap_socket(plain, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(
            f"POST {CM.format(ns=namespace)} HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: {raw.headers['Authorization']}\r\n"
            "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{".encode()
        )
    assert raw.get("/readyz").text == "ok"
    assert raw.get(CM.format(ns=namespace)).status_code == 200
