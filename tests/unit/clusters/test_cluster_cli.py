"""`rollout-lab up/down/status/doctor/images` with a scripted runner: messages and exit codes."""

import pytest

import labs.cli.commands.cluster as cluster_cli
from clusters.backend import BackendOptions, read_backend_record, write_backend_record
from clusters.runner import CommandError, ScriptedRunner
from labs.cli import build_parser, main

NO_DAEMON = CommandError(
    ["docker", "info"],
    1,
    "",
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon "
    "running?",
)


@pytest.fixture
def runner(monkeypatch):
    scripted = ScriptedRunner().on("docker", "info", answer=NO_DAEMON)
    monkeypatch.setattr(cluster_cli, "RUNNER", scripted)
    return scripted


def test_commands_are_registered():
    help_text = build_parser().format_help()
    for command in ("up", "down", "status", "doctor", "images"):
        assert command in help_text


def test_up_auto_without_docker_falls_back_to_embedded_with_reason(
    runner, tmp_path, capsys, monkeypatch
):
    chosen = []

    def fake_create(name, options):
        chosen.append((name, options))
        raise cluster_cli.BackendUnavailable("stop here")

    monkeypatch.setattr(cluster_cli, "create_backend", fake_create)
    code = main(["up", "--state-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 2
    assert chosen[0][0] == "embedded"
    assert "backend: embedded (auto: no Docker daemon answers" in out
    assert "start Docker and run `rollout-lab up --backend kind`" in out


def test_up_reports_unavailable_backend_module(runner, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(
        cluster_cli.BACKENDS, "embedded", "clusters.embedded.no_such_module:EmbeddedBackend"
    )
    code = main(["up", "--state-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "error: the embedded backend is not available: cannot import" in err


def test_time_scale_note_for_real_clusters(runner, tmp_path, capsys):
    code = main(["up", "--backend", "existing", "--time-scale", "10", "--state-dir", str(tmp_path)])
    captured = capsys.readouterr()
    assert "--time-scale applies to the embedded backend only" in captured.out
    assert code == 2 and "needs --context" in captured.err


def test_up_kind_preflight_failure_prints_the_fix(runner, tmp_path, capsys):
    code = main(
        ["up", "--backend", "kind", "--kind-binary", "/opt/kind", "--state-dir", str(tmp_path)]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert "`up` stopped at step 'preflight'" in err
    assert "no Docker daemon answers" in err and "Fix: start Docker" in err
    assert "`rollout-lab down` removes what was set up" in err
    assert read_backend_record(tmp_path)[0] == "kind"  # so `down` can clean up a partial `up`


def test_up_kind_command_failure_is_explained_from_the_catalogue(runner, tmp_path, capsys):
    runner.on("docker", "info", answer="27.3.1|x86_64|2|[]")
    runner.on("docker", "ps", answer="leftover-node\n")
    runner.on("kind", "version", answer="kind v0.32.0 go1.24 linux/amd64")
    runner.on(
        "kind",
        "create",
        "cluster",
        answer=CommandError(
            ["kind"], 1, "", "Bind for 127.0.0.1:30080 failed: port is already allocated"
        ),
    )
    code = main(
        ["up", "--backend", "kind", "--kind-binary", "/opt/kind", "--state-dir", str(tmp_path)]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "[3/7] create cluster" in captured.out
    assert "`up` stopped at step 'create cluster'" in captured.err
    assert "what happened: A host port the lab publishes is already in use." in captured.err
    assert runner.calls[-1][:5] == ("/opt/kind", "delete", "cluster", "--name", "rollout-lab")


def test_doctor_exit_code_and_text(runner, tmp_path, capsys):
    code = main(["doctor", "--state-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] Docker" in out and "uses the embedded cluster" in out


def test_status_and_down_use_the_recorded_backend(runner, tmp_path, capsys):
    assert main(["status", "--state-dir", str(tmp_path)]) == 2
    assert "run `rollout-lab up` first" in capsys.readouterr().err
    write_backend_record(
        "kind", BackendOptions(state_dir=tmp_path, cluster_name="c9", kind_binary="/opt/kind")
    )
    assert main(["status", "--state-dir", str(tmp_path)]) == 1
    assert "state: stopped" in capsys.readouterr().out
    assert main(["down", "--state-dir", str(tmp_path)]) == 0
    assert runner.calls[-1][:5] == ("/opt/kind", "delete", "cluster", "--name", "c9")
    assert read_backend_record(tmp_path) is None


def test_images_push_validates_then_pushes(runner, tmp_path, capsys):
    agent = tmp_path / "agent"
    agent.mkdir()
    (agent / "Dockerfile").write_text("FROM scratch\n")
    assert main(["images", "push", "--registry", "https://bad", "--agent-dir", str(agent)]) == 1
    assert "not a registry reference" in capsys.readouterr().err
    assert runner.commands("docker") == []
    code = main(
        [
            "images",
            "push",
            "--registry",
            "reg.edu/c",
            "--agent-dir",
            str(agent),
            "--versions",
            "v1,v3",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "pushed reg.edu/c/rollout-lab/task-agent:v3" in out
    assert [c[1] for c in runner.commands("docker")] == ["build", "tag", "push"] * 2
    assert main(["images", "build", "--versions", "v9", "--agent-dir", str(agent)]) == 2


def test_images_build_failure_is_explained(runner, tmp_path, capsys):
    agent = tmp_path / "agent"
    agent.mkdir()
    (agent / "Dockerfile").write_text("FROM scratch\n")
    runner.on("docker", "build", answer=NO_DAEMON)
    assert main(["images", "build", "--versions", "v1", "--agent-dir", str(agent)]) == 1
    err = capsys.readouterr().err
    assert "building rollout-lab/task-agent:v1 failed" in err
    assert "what happened: Docker is not running." in err
