"""The generated kind config is exactly what kind v1alpha4 accepts, field by field."""

import copy

import pytest
import yaml

from clusters.kind.config import (
    CONFIG_HASH_LABEL,
    ConfigError,
    PortMapping,
    cluster_config,
    config_hash,
    policy_errors,
    render_cluster_config,
    schema_errors,
    validate_cluster_config,
)
from clusters.kind.pins import NODE_IMAGE

ALLOWED_TOP = {
    "kind",
    "apiVersion",
    "name",
    "nodes",
    "networking",
    "featureGates",
    "runtimeConfig",
    "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
    "containerdConfigPatches",
    "containerdConfigPatchesJSON6902",
}
ALLOWED_NODE = {
    "role",
    "image",
    "labels",
    "extraMounts",
    "extraPortMappings",
    "kubeadmConfigPatches",
    "kubeadmConfigPatchesJSON6902",
}
ALLOWED_MAPPING = {"containerPort", "hostPort", "listenAddress", "protocol"}


@pytest.fixture
def document():
    return yaml.safe_load(render_cluster_config(cluster_config("rollout-lab")))


def test_generated_config_fields_one_by_one(document):
    assert set(document) <= ALLOWED_TOP
    assert document["kind"] == "Cluster"
    assert document["apiVersion"] == "kind.x-k8s.io/v1alpha4"
    assert document["name"] == "rollout-lab"
    assert "networking" not in document  # apiServerPort left to kind: clusters can coexist
    [node] = document["nodes"]
    assert set(node) <= ALLOWED_NODE
    assert node["role"] == "control-plane"
    assert node["image"] == NODE_IMAGE
    assert "@sha256:" in node["image"] and node["image"].startswith("kindest/node:v1.36.1")
    assert node["labels"] == {CONFIG_HASH_LABEL: config_hash(document)}
    mappings = node["extraPortMappings"]
    assert [m["containerPort"] for m in mappings] == [30080, 30081, 30082]
    for mapping in mappings:
        assert set(mapping) == ALLOWED_MAPPING
        assert mapping["listenAddress"] == "127.0.0.1"
        assert mapping["hostPort"] == mapping["containerPort"]
        assert mapping["protocol"] == "TCP"
    assert schema_errors(document) == []
    assert policy_errors(document) == []


def test_custom_host_ports_are_explicit():
    document = cluster_config("lab-2", [PortMapping(30080, 18080), PortMapping(30081, 18081)])
    mappings = document["nodes"][0]["extraPortMappings"]
    assert [(m["containerPort"], m["hostPort"]) for m in mappings] == [
        (30080, 18080),
        (30081, 18081),
    ]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(nodez=[]), "nodez: unknown field"),
        (lambda d: d["nodes"][0].update(extraPortMapping=[]), "nodes[0].extraPortMapping: unknown"),
        (
            lambda d: d["nodes"][0]["extraPortMappings"][0].update(hostport=1),
            "nodes[0].extraPortMappings[0].hostport: unknown field",
        ),
        (lambda d: d.update(networking={"apiServerAdress": "x"}), "networking.apiServerAdress"),
        (lambda d: d.update(apiVersion="kind.x-k8s.io/v1alpha3"), "apiVersion: 'kind.x-k8s.io/v1"),
        (lambda d: d.update(kind="Config"), "kind: 'Config' is not one of Cluster"),
        (lambda d: d["nodes"][0].update(role="master"), "nodes[0].role: 'master' is not one of"),
        (
            lambda d: d["nodes"][0]["extraPortMappings"][0].update(protocol="HTTP"),
            "protocol: 'HTTP' is not one of TCP, UDP, SCTP",
        ),
        (
            lambda d: d["nodes"][0]["extraPortMappings"][0].update(hostPort="30080"),
            "hostPort: expected int, got str",
        ),
        (lambda d: d["nodes"][0]["labels"].update(x=1), "labels.x: expected str, got int"),
        (lambda d: d.update(name="Rollout_Lab"), "name: 'Rollout_Lab' must match"),
        (lambda d: d.update(featureGates={"X": "yes"}), "featureGates.X: expected bool"),
        (
            lambda d: d["nodes"][0]["extraPortMappings"][0].update(hostPort=70000),
            "extraPortMappings[0].hostPort: 70000",
        ),
        (lambda d: d.pop("apiVersion"), "apiVersion: required"),
    ],
)
def test_schema_rejects_what_kind_would_reject(mutate, expected):
    document = cluster_config("rollout-lab")
    mutate(document)
    errors = schema_errors(document)
    assert any(expected in error for error in errors), errors
    with pytest.raises(ConfigError, match="invalid kind cluster config"):
        validate_cluster_config(document)


def test_schema_accepts_every_documented_field():
    document = cluster_config("rollout-lab")
    document.update(
        networking={
            "ipFamily": "ipv4",
            "apiServerAddress": "127.0.0.1",
            "podSubnet": "10.244.0.0/16",
            "serviceSubnet": "10.96.0.0/16",
            "disableDefaultCNI": False,
            "kubeProxyMode": "nftables",
            "dnsSearch": [],
        },
        featureGates={"SomeGate": True},
        runtimeConfig={"api/alpha": "false"},
        kubeadmConfigPatches=["kind: ClusterConfiguration"],
        kubeadmConfigPatchesJSON6902=[{"group": "g", "version": "v", "kind": "k", "patch": "[]"}],
        containerdConfigPatches=["[plugins]"],
        containerdConfigPatchesJSON6902=["[]"],
    )
    document["nodes"][0]["extraMounts"] = [
        {"hostPath": "/tmp", "containerPath": "/x", "readOnly": True, "propagation": "None"}
    ]
    assert schema_errors(document) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["nodes"][0].update(image="kindest/node:v1.36.1"), "not pinned"),
        (lambda d: d.update(networking={"apiServerPort": 6443}), "apiServerPort: leave unset"),
        (
            lambda d: d["nodes"][0]["extraPortMappings"][0].update(listenAddress="0.0.0.0"),
            "must be 127.0.0.1",
        ),
        (
            lambda d: d["nodes"][0]["extraPortMappings"][0].update(hostPort=0),
            "give an explicit host port",
        ),
        (
            lambda d: d["nodes"][0]["extraPortMappings"][1].update(hostPort=30080),
            "30080 is mapped twice",
        ),
        (
            lambda d: d["nodes"][0]["extraPortMappings"][0].update(containerPort=8080),
            "must be a NodePort",
        ),
        (lambda d: d["nodes"].append(copy.deepcopy(d["nodes"][0])), "exactly one control-plane"),
    ],
)
def test_lab_policy(mutate, expected):
    document = cluster_config("rollout-lab")
    mutate(document)
    assert any(expected in error for error in policy_errors(document))
    with pytest.raises(ConfigError, match=expected.split(":")[0]):
        validate_cluster_config(document)


def test_config_hash_changes_with_config_not_with_its_own_label():
    first = cluster_config("rollout-lab")
    assert config_hash(first) == first["nodes"][0]["labels"][CONFIG_HASH_LABEL]
    other_ports = cluster_config("rollout-lab", [PortMapping(30080, 18080)])
    assert config_hash(other_ports) != config_hash(first)
    relabelled = copy.deepcopy(first)
    relabelled["nodes"][0]["labels"][CONFIG_HASH_LABEL] = "something-else"
    assert config_hash(relabelled) == config_hash(first)
