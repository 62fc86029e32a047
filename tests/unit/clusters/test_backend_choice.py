"""The backend seam: `auto` selection and its reason, lazy registry, recorded state."""

import pytest

from clusters.backend import (
    CAPABILITIES,
    Backend,
    BackendOptions,
    BackendUnavailable,
    choose_backend,
    create_backend,
    default_state_dir,
    load_backend,
    read_backend_record,
    write_backend_record,
)
from clusters.kind.backend import KindBackend
from clusters.kind.docker import DockerStatus, probe_docker
from clusters.runner import CommandError, ScriptedRunner

NO_DAEMON = CommandError(
    ["docker", "info"],
    1,
    "",
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon "
    "running?",
)


def test_auto_without_docker_falls_back_to_embedded_and_says_why():
    docker = probe_docker(ScriptedRunner().on("docker", "info", answer=NO_DAEMON), "docker")
    assert not docker.available
    choice = choose_backend("auto", docker)
    assert choice.name == "embedded"
    assert "no Docker daemon answers" in choice.reason
    assert "--backend kind" in choice.reason


def test_auto_with_docker_picks_kind():
    docker = probe_docker(
        ScriptedRunner().on("docker", "info", answer="27.3.1|aarch64|2|[]"), "docker"
    )
    assert (docker.available, docker.architecture, docker.server_version) == (
        True,
        "aarch64",
        "27.3.1",
    )
    choice = choose_backend("auto", docker)
    assert choice.name == "kind" and "27.3.1" in choice.reason


def test_explicit_backend_is_kept():
    assert choose_backend("existing", None).name == "existing"
    assert choose_backend("kind", DockerStatus(False, "down")).name == "kind"


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("permission denied while trying to connect to the Docker daemon socket", "docker group"),
        ("Cannot connect to the Docker daemon", "start Docker"),
        ("something odd", "docker info"),
    ],
)
def test_docker_probe_fixes(output, expected):
    runner = ScriptedRunner().on("docker", "info", answer=CommandError(["docker"], 1, "", output))
    status = probe_docker(runner, "docker")
    assert not status.available and expected in status.fix


def test_docker_cli_missing():
    status = probe_docker(ScriptedRunner(), which=lambda name: None)
    assert not status.available and "not installed" in status.reason


def test_registry_imports_lazily_and_explains_missing_modules():
    assert load_backend("kind") is KindBackend
    with pytest.raises(BackendUnavailable, match="unknown backend 'k3d'"):
        load_backend("k3d")
    broken = {"embedded": "clusters.not_there.backend:EmbeddedBackend"}
    with pytest.raises(BackendUnavailable, match="the embedded backend is not available"):
        load_backend("embedded", broken)
    with pytest.raises(BackendUnavailable, match="has no Nope"):
        load_backend("kind", {"kind": "clusters.kind.backend:Nope"})


def test_backends_satisfy_the_protocol(tmp_path):
    options = BackendOptions(
        state_dir=tmp_path, context="ctx", namespace="lab-ns", runner=ScriptedRunner()
    )
    for name in ("embedded", "kind", "existing"):
        backend = create_backend(name, options)  # building a backend starts nothing
        assert isinstance(backend, Backend), name
        assert backend.name == name
        assert backend.namespace == "lab-ns"
        assert backend.image_ref("v2").endswith("rollout-lab/task-agent:v2")
        assert backend.capabilities <= set(CAPABILITIES), name


def test_state_dir_default():
    assert str(default_state_dir({"ROLLOUT_LAB_HOME": "/srv/lab"})) == "/srv/lab"
    assert default_state_dir({}).name == ".rollout-lab"


def test_backend_record_round_trip(tmp_path):
    options = BackendOptions(
        state_dir=tmp_path,
        cluster_name="c2",
        namespace="ns",
        kubeconfig=tmp_path / "kc",
        image_registry="reg/x",
        runner=ScriptedRunner(),
    )
    write_backend_record("kind", options)
    name, restored = read_backend_record(tmp_path)
    assert name == "kind"
    assert (restored.cluster_name, restored.namespace, restored.kubeconfig) == (
        "c2",
        "ns",
        tmp_path / "kc",
    )
    assert restored.image_registry == "reg/x" and restored.runner is None
    assert read_backend_record(tmp_path / "empty") is None
