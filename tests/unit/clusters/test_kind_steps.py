"""`up` on kind as ordered steps: the commands run, their order, skipping and cleanup."""

import pytest
import yaml

from clusters.kind.backend import KindBackend
from clusters.kind.config import CONFIG_HASH_LABEL, config_hash
from clusters.kind.pins import (
    AGENT_VERSIONS,
    ARGO_ROLLOUTS_CRDS,
    ARGO_ROLLOUTS_INSTALL_URL,
    KIND_VERSION,
)
from clusters.kind.steps import STEP_NAMES, ClusterMismatch, PreflightError
from clusters.progress import RecordingProgress, StepFailed
from clusters.runner import CommandError, ScriptedRunner

DOCKER_INFO = '27.3.1|x86_64|2|["name=seccomp,profile=builtin"]'


@pytest.fixture
def agent_dir(tmp_path):
    folder = tmp_path / "src" / "agent"
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM python:3.12-slim\n")
    return folder


def healthy_runner():
    """A fresh machine with Docker: no cluster yet, everything succeeds when asked."""
    runner = ScriptedRunner()
    runner.on("docker", "info", answer=DOCKER_INFO)
    runner.on("kind", "version", answer=f"kind {KIND_VERSION} go1.24 linux/amd64")
    runner.on("kubectl", "get", "--raw", "/readyz", answer="ok")
    runner.on("kubectl", "serviceaccount", "default", answer="serviceaccount/default")
    runner.on("kubectl", "lease", "argo-rollouts-controller-lock", answer="argo-rollouts-7d9-x1")
    return runner


def make_backend(tmp_path, agent_dir, runner, **overrides):
    settings = dict(
        state_dir=tmp_path / "state",
        agent_dir=agent_dir,
        kind_binary="/opt/kind",
        runner=runner,
        port_is_free=lambda host, port: True,
        ready_timeout=0.0,
    )
    settings.update(overrides)
    return KindBackend(**settings)


def positions(runner, *words):
    """Indexes of calls that contain `words` contiguously."""
    found = []
    for index, call in enumerate(runner.calls):
        args = call[1:]
        if any(args[i : i + len(words)] == words for i in range(len(args))):
            found.append(index)
    return found


def test_fresh_up_runs_every_step_in_order(tmp_path, agent_dir):
    runner = healthy_runner()
    backend = make_backend(tmp_path, agent_dir, runner)
    progress = RecordingProgress()
    info = backend.up(progress)

    started = [event[1] for event in progress.events if event[0] == "started"]
    finished = [event[1] for event in progress.events if event[0] == "finished"]
    assert started == finished == list(STEP_NAMES)

    [create] = [c for c in runner.calls if c[1:3] == ("create", "cluster")]
    kubeconfig = str(tmp_path / "state" / "kind" / "rollout-lab" / "kubeconfig")
    assert create == (
        "/opt/kind",
        "create",
        "cluster",
        "--name",
        "rollout-lab",
        "--config",
        "-",
        "--kubeconfig",
        kubeconfig,
        "--wait",
        "120s",
    )
    config = yaml.safe_load(runner.inputs[runner.calls.index(create)])
    assert config["nodes"][0]["labels"][CONFIG_HASH_LABEL] == config_hash(config)

    [apply] = positions(runner, "apply", "--server-side", "--force-conflicts")
    assert runner.calls[apply][-4:] == ("-n", "argo-rollouts", "-f", ARGO_ROLLOUTS_INSTALL_URL)
    [create_ns] = positions(runner, "create", "namespace", "argo-rollouts")
    assert create_ns < apply  # install.yaml has no Namespace object
    [pull_policy] = positions(runner, "patch", "deployment/argo-rollouts")
    assert apply < pull_policy and "IfNotPresent" in runner.calls[pull_policy][-1]

    builds = [c for c in runner.calls if c[1:2] == ("build",)]
    assert [c[3] for c in builds] == [f"AGENT_VERSION={v}" for v in AGENT_VERSIONS]
    assert [c[5] for c in builds] == [f"rollout-lab/task-agent:{v}" for v in AGENT_VERSIONS]
    assert all(c[7] == str(agent_dir / "Dockerfile") for c in builds)
    loads = [c for c in runner.calls if c[1:3] == ("load", "docker-image")]
    assert [c[3] for c in loads] == [f"rollout-lab/task-agent:{v}" for v in AGENT_VERSIONS]
    assert all(c[-2:] == ("--name", "rollout-lab") for c in loads)

    for crd in ARGO_ROLLOUTS_CRDS:
        assert positions(runner, "--for=condition=Established", f"crd/{crd}")
    [lease] = positions(runner, "lease", "argo-rollouts-controller-lock")
    [rollout_status] = positions(runner, "rollout", "status", "deployment/argo-rollouts")
    assert rollout_status < lease  # "Available" is not enough: the leader Lease must be held
    assert positions(runner, "create", "namespace", "rollout-lab")
    assert (info.context, info.namespace, info.backend) == (
        "kind-rollout-lab",
        "rollout-lab",
        "kind",
    )


def test_rerun_skips_what_is_in_place(tmp_path, agent_dir):
    runner = healthy_runner()
    backend = make_backend(tmp_path, agent_dir, runner)
    wanted = config_hash(backend.config())
    runner.on("docker", "ps", answer="0123abcd\n")
    runner.on("kind", "get", "clusters", answer="other\nrollout-lab\n")
    runner.on("kubectl", "get", "nodes", answer=wanted)
    runner.on(
        "kubectl",
        "deployment/argo-rollouts",
        "--ignore-not-found",
        answer="quay.io/argoproj/argo-rollouts:v1.9.1",
    )
    runner.on("kubectl", "namespace", "rollout-lab", answer="namespace/rollout-lab")
    progress = RecordingProgress()
    backend.up(progress)
    skipped = [event[1] for event in progress.events if event[0] == "skipped"]
    assert skipped == ["create cluster", "install Argo Rollouts", "create lab namespace"]
    assert not [c for c in runner.calls if c[1:3] == ("create", "cluster")]
    assert not positions(runner, "apply", "--server-side")
    assert positions(runner, "export", "kubeconfig", "--name", "rollout-lab")


def test_existing_cluster_with_other_config_is_not_touched(tmp_path, agent_dir):
    runner = healthy_runner()
    runner.on("docker", "ps", answer="0123abcd\n")
    runner.on("kind", "get", "clusters", answer="rollout-lab\n")
    runner.on("kubectl", "get", "nodes", answer="0000000000000000")
    backend = make_backend(tmp_path, agent_dir, runner)
    with pytest.raises(StepFailed) as raised:
        backend.up(RecordingProgress())
    assert raised.value.step == "create cluster"
    assert isinstance(raised.value.cause, ClusterMismatch)
    assert "rollout-lab down" in str(raised.value)
    assert not [c for c in runner.calls if c[1:3] in (("create", "cluster"), ("delete", "cluster"))]


def test_failed_create_deletes_the_half_made_cluster(tmp_path, agent_dir):
    runner = healthy_runner()
    runner.on(
        "kind",
        "create",
        "cluster",
        answer=CommandError(
            ["kind", "create", "cluster"],
            1,
            "",
            "ERROR: failed to create cluster: Bind for 127.0.0.1:30080 failed: port is already "
            "allocated",
        ),
    )
    backend = make_backend(tmp_path, agent_dir, runner)
    progress = RecordingProgress()
    with pytest.raises(StepFailed) as raised:
        backend.up(progress)
    assert raised.value.step == "create cluster"
    assert progress.events[-1][:2] == ("failed", "create cluster")
    [delete] = [c for c in runner.calls if c[1:3] == ("delete", "cluster")]
    assert delete[3:5] == ("--name", "rollout-lab")
    assert runner.calls[-1] == delete  # nothing after the failed step ran
    assert not positions(runner, "apply", "--server-side")


def test_retain_keeps_the_failed_cluster(tmp_path, agent_dir):
    runner = healthy_runner()
    runner.on("kind", "create", "cluster", answer=CommandError(["kind"], 1, "", "boom"))
    backend = make_backend(tmp_path, agent_dir, runner, retain_on_failure=True)
    progress = RecordingProgress()
    with pytest.raises(StepFailed):
        backend.up(progress)
    [create] = [c for c in runner.calls if c[1:3] == ("create", "cluster")]
    assert "--retain" in create
    assert not [c for c in runner.calls if c[1:3] == ("delete", "cluster")]
    assert any(e[0] == "note" and "kind export logs" in e[1] for e in progress.events)


def test_preflight_stops_everything_when_docker_is_down(tmp_path, agent_dir):
    runner = healthy_runner()
    runner.on(
        "docker",
        "info",
        answer=CommandError(
            ["docker", "info"],
            1,
            "",
            "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
            "Is the docker daemon running?",
        ),
    )
    backend = make_backend(tmp_path, agent_dir, runner)
    with pytest.raises(StepFailed) as raised:
        backend.up(RecordingProgress())
    assert raised.value.step == "preflight"
    assert isinstance(raised.value.cause, PreflightError)
    assert "start Docker" in str(raised.value.cause)
    assert runner.commands("kind") == []


def test_preflight_names_taken_host_ports(tmp_path, agent_dir):
    runner = healthy_runner()
    backend = make_backend(
        tmp_path, agent_dir, runner, port_is_free=lambda host, port: port != 30081
    )
    with pytest.raises(StepFailed, match="30081") as raised:
        backend.up(RecordingProgress())
    assert raised.value.step == "preflight"


def test_wait_timeout_collects_diagnostics(tmp_path, agent_dir):
    runner = healthy_runner()
    runner.on("kubectl", "lease", "argo-rollouts-controller-lock", answer="")
    backend = make_backend(tmp_path, agent_dir, runner)
    progress = RecordingProgress()
    with pytest.raises(StepFailed, match="argo-rollouts-controller-lock") as raised:
        backend.up(progress)
    assert raised.value.step == "wait ready"
    assert positions(runner, "export", "logs")
    [directory] = list((tmp_path / "state" / "diagnostics").iterdir())
    assert {p.name for p in directory.iterdir()} >= {"events.txt", "controller.log", "pods.txt"}
    assert any(e[0] == "note" and str(directory) in e[1] for e in progress.events)


def test_missing_dockerfile_fails_the_image_step_clearly(tmp_path):
    runner = healthy_runner()
    backend = make_backend(tmp_path, tmp_path / "no-agent", runner)
    with pytest.raises(StepFailed, match="Dockerfile not found") as raised:
        backend.up(RecordingProgress())
    assert raised.value.step == "build and load agent images"


def test_down_deletes_the_cluster_and_its_kubeconfig(tmp_path, agent_dir):
    runner = healthy_runner()
    backend = make_backend(tmp_path, agent_dir, runner)
    backend.kubeconfig.parent.mkdir(parents=True)
    backend.kubeconfig.write_text("apiVersion: v1\n")
    backend.down()
    assert runner.calls[-1] == (
        "/opt/kind",
        "delete",
        "cluster",
        "--name",
        "rollout-lab",
        "--kubeconfig",
        str(backend.kubeconfig),
    )
    assert not backend.kubeconfig.exists()


def test_status_reports_absent_and_running(tmp_path, agent_dir):
    runner = healthy_runner()
    backend = make_backend(tmp_path, agent_dir, runner)
    assert backend.status().state == "absent"
    runner.on("kind", "get", "clusters", answer="rollout-lab\n")
    runner.on("kubectl", "deployment/argo-rollouts", answer="quay.io/argoproj/argo-rollouts:v1.9.1")
    status = backend.status()
    assert status.state == "running"
    assert "Argo Rollouts: v1.9.1" in status.render()
    assert backend.image_ref("v2") == "rollout-lab/task-agent:v2"
    assert {"real-controller", "nodeports"} <= backend.capabilities


def test_later_commands_use_the_verified_cached_kind(tmp_path, agent_dir, monkeypatch):
    import hashlib

    import clusters.kind.backend as kind_backend
    from clusters.kind.download import kind_asset

    payload = b"kind binary"
    monkeypatch.setattr(
        kind_backend, "KIND_CHECKSUMS", {kind_asset(): hashlib.sha256(payload).hexdigest()}
    )
    backend = make_backend(tmp_path, agent_dir, healthy_runner(), kind_binary=None)
    assert backend.kind() == "kind"  # nothing cached yet: PATH
    cached = backend.cache_dir / f"kind-{KIND_VERSION}"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(payload)
    assert backend.kind() == str(cached)
    cached.write_bytes(b"tampered")
    assert backend.kind() == "kind"


def test_down_without_any_kind_binary_has_nothing_to_delete(tmp_path, agent_dir):
    runner = healthy_runner()
    backend = make_backend(tmp_path, agent_dir, runner, kind_binary=None, which=lambda name: None)
    backend.down()
    assert runner.calls == []


def test_stopped_cluster_is_explained_not_recreated(tmp_path, agent_dir):
    runner = healthy_runner()
    runner.on("docker", "ps", answer="0123abcd\n")
    runner.on("kind", "get", "clusters", answer="rollout-lab\n")
    runner.on(
        "kubectl",
        "get",
        "nodes",
        answer=CommandError(["kubectl"], 1, "", "The connection to the server was refused"),
    )
    backend = make_backend(tmp_path, agent_dir, runner)
    with pytest.raises(StepFailed, match="docker start rollout-lab-control-plane"):
        backend.up(RecordingProgress())
    assert not [c for c in runner.calls if c[1:3] in (("create", "cluster"), ("delete", "cluster"))]
