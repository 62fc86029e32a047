"""Which images run, and how a pod spec becomes a Python argv and an environment."""

from __future__ import annotations

import base64
import socket

import pytest

from clusters.embedded.kubelet import ImageCatalog, UnsupportedCommand
from clusters.embedded.kubelet.addresses import (
    PodIPAllocator,
    SubnetLease,
    listening_prefixes,
    loopback_block_error,
)
from clusters.embedded.kubelet.context import BackOff
from clusters.embedded.kubelet.environment import ConfigError, container_environment
from clusters.embedded.kubelet.images import normalize_image
from clusters.embedded.kubelet.pod_worker import qos_class
from clusters.embedded.kubelet.probes import ProbeSettings, ProbeState

CATALOG = ImageCatalog()


@pytest.mark.parametrize(
    ("reference", "normal"),
    [
        ("rollout-lab/task-agent:v2", "rollout-lab/task-agent:v2"),
        ("docker.io/rollout-lab/task-agent:v2", "rollout-lab/task-agent:v2"),
        ("localhost:5001/rollout-lab/task-agent:v2", "rollout-lab/task-agent:v2"),
        ("rollout-lab/traffic", "rollout-lab/traffic:latest"),
        ("nginx", "nginx:latest"),
        ("docker.io/library/nginx:1.27@sha256:abc", "nginx:1.27"),
    ],
)
def test_image_references_are_normalised(reference, normal):
    assert normalize_image(reference) == normal


def program(image: str, **container) -> list[str]:
    spec = CATALOG.lookup(image)
    assert spec is not None
    return CATALOG.program(spec, {"name": "c", "image": image, **container}, {"URL": "http://x"})


def test_agent_image_runs_serve_by_default_and_args_replace_cmd_like_docker():
    assert program("rollout-lab/task-agent:v3") == ["-m", "agent", "serve"]
    assert CATALOG.lookup("rollout-lab/task-agent:v3").env["AGENT_VERSION"] == "v3"
    assert program("rollout-lab/task-agent:v1", args=["check", "--url", "$(URL)"]) == [
        "-m", "agent", "check", "--url", "http://x",
    ]  # fmt: skip
    assert program("rollout-lab/task-agent:v1", command=["python", "-m", "agent.traffic"]) == [
        "-m", "agent.traffic",
    ]  # fmt: skip
    assert program("rollout-lab/traffic:latest", args=["--target", "http://web"]) == [
        "-m", "agent.traffic", "--target", "http://web",
    ]  # fmt: skip
    assert program(
        "rollout-lab/task-agent:v1", command=["/usr/local/bin/python3.11", "-u", "job.py"]
    ) == ["job.py"]


def test_non_python_commands_and_unknown_images_are_refused_with_a_reason():
    with pytest.raises(UnsupportedCommand, match="only Python entrypoints"):
        program("rollout-lab/task-agent:v1", command=["sh", "-c", "sleep 1"])
    with pytest.raises(UnsupportedCommand, match="no module"):
        program("rollout-lab/task-agent:v1", command=["python", "-m"])
    assert CATALOG.lookup("rollout-lab/task-agent:v9") is None
    message = CATALOG.unavailable_message("nginx:1.27")
    assert message.startswith('image "nginx:1.27" is not available on the embedded cluster')
    assert "rollout-lab/task-agent:v5, rollout-lab/traffic:latest" in message


def test_environment_follows_the_pod_spec():
    pod = {
        "metadata": {
            "name": "web-1",
            "namespace": "demo",
            "uid": "u1",
            "labels": {"track": "canary"},
        },
        "spec": {"nodeName": "n"},
    }
    secret = {"data": {"token": base64.b64encode(b"s3cret").decode()}}
    objects = {
        ("ConfigMap", "demo", "cfg"): {"data": {"MODE": "fast", "LEVEL": "2"}},
        ("Secret", "demo", "sec"): secret,
    }
    container = {
        "name": "app",
        "ports": [{"containerPort": 9000}],
        "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}],
        "env": [
            {"name": "GREETING", "value": "hi $(POD_NAME) $$(POD_NAME)"},
            {"name": "ME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "TRACK", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['track']"}}},
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "sec", "key": "token"}}},
            {
                "name": "OPT",
                "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k", "optional": True}},
            },
        ],
    }
    env = container_environment(
        pod,
        container,
        pod_ip="127.1.0.9",
        host_ip="127.0.0.1",
        image_env={"AGENT_VERSION": "v2", "PORT": "8080"},
        lookup=lambda kind, ns, name: objects.get((kind, ns, name)),
    )
    assert env["PORT"] == "9000" and env["HOST"] == "127.1.0.9" and env["POD_NAME"] == "web-1"
    assert env["AGENT_VERSION"] == "v2" and env["CFG_MODE"] == "fast"
    assert env["GREETING"] == "hi web-1 $(POD_NAME)"
    assert (env["ME"], env["IP"], env["TRACK"], env["TOKEN"]) == (
        "web-1",
        "127.1.0.9",
        "canary",
        "s3cret",
    )
    assert "OPT" not in env
    container["env"].append(
        {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k"}}}
    )
    with pytest.raises(ConfigError, match='configmap "nope" not found'):
        container_environment(
            pod,
            container,
            pod_ip="i",
            host_ip="h",
            image_env={},
            lookup=lambda kind, ns, name: objects.get((kind, ns, name)),
        )


def test_back_off_doubles_to_five_minutes_and_resets_after_a_long_run():
    crash = BackOff(first=0.0)
    assert [crash.next_delay() for _ in range(8)] == [0, 10, 20, 40, 80, 160, 300, 300]
    assert crash.next_delay(ran_for=601) == 0
    pull = BackOff(first=10.0)
    assert [pull.next_delay() for _ in range(3)] == [10, 20, 40]


def test_probe_thresholds_count_consecutive_results():
    settings = ProbeSettings.from_spec({"successThreshold": 2, "failureThreshold": 3}, "readiness")
    assert (settings.period, settings.timeout, settings.initial_delay) == (10, 1, 0)
    readiness = ProbeState(settings, initial=False)
    assert [readiness.record(ok) for ok in (True, False, True, True)] == [None, None, None, True]
    assert [readiness.record(ok) for ok in (False, False, True, False, False, False)] == [
        None, None, None, None, None, False,
    ]  # fmt: skip
    liveness = ProbeSettings.from_spec({"successThreshold": 5}, "liveness")
    assert liveness.success_threshold == 1  # must be 1 for liveness and startup


def test_qos_class_from_requests_and_limits():
    assert qos_class({"containers": [{}]}) == "BestEffort"
    same = {"cpu": "100m", "memory": "64Mi"}
    assert qos_class({"containers": [{"resources": {"limits": same}}]}) == "Guaranteed"
    assert qos_class({"containers": [{"resources": {"requests": same}}]}) == "Burstable"


def test_each_kubelet_leases_its_own_address_block_until_released(tmp_path):
    first, second = SubnetLease(tmp_path), SubnetLease(tmp_path)
    assert first.prefix != second.prefix
    assert all(lease.prefix.startswith("127.") for lease in (first, second))
    first.release()
    third = SubnetLease(tmp_path)  # may take first's block again, never second's
    assert third.prefix != second.prefix
    allocator = PodIPAllocator(third.prefix)
    p = third.prefix
    assert [allocator.allocate(uid) for uid in ("a", "b")] == [f"{p}.1", f"{p}.2"]
    allocator.release("a")
    assert allocator.allocate("c") == f"{p}.3", "freed addresses are reused last"
    assert allocator.allocate("b") == f"{p}.2" and allocator.get("a") is None
    second.release()
    third.release()


def test_a_block_where_something_already_listens_is_skipped(tmp_path):
    probe = SubnetLease(tmp_path)
    taken = probe.prefix
    probe.release()
    with socket.socket() as squatter:
        squatter.bind((f"{taken}.7", 0))
        squatter.listen()
        assert taken in listening_prefixes()
        lease = SubnetLease(tmp_path)
        assert lease.prefix != taken
        lease.release()


def test_unusable_pod_address_blocks_are_explained():
    assert loopback_block_error("127.1.0") is None  # Linux: all of 127/8 is local
    message = loopback_block_error("192.0.2")  # TEST-NET-1: never a local address
    assert message is not None
    assert message.startswith("pod IPs 192.0.2.1-254 cannot be used on this machine")
    assert message.endswith("or use the kind backend")
