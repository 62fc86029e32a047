"""`kubectl argo rollouts ...` through the real kubectl (our console script found on PATH)
and `rollout-lab rollouts ...`, against the in-process API server: same requests, same
output lines and exit codes as the upstream plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from live_api import LiveApi
from rollout_fixtures import IMAGE_V1, canary_rollout

from clusters.backend import BackendOptions, write_backend_record
from clusters.embedded.backend import EmbeddedBackend
from labs.cli import main as rollout_lab
from labs.cli.argo_plugin import build_parser, find_upstream_plugin

NS = "rollout-lab"
VENV_BIN = Path(sys.executable).parent
BASE = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/rollouts"


def _kubeconfig(
    live: LiveApi, path: Path, namespace: str | None = None, context_name: str = "lab"
) -> Path:
    context: dict[str, Any] = {"cluster": "lab", "user": "learner"}
    if namespace:
        context["namespace"] = namespace
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "lab", "cluster": {"server": live.url}}],
        "users": [{"name": "learner", "user": {}}],
        "contexts": [{"name": context_name, "context": context}],
        "current-context": context_name,
    }
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def seeded(live: LiveApi) -> LiveApi:
    live.namespace(NS)
    live.create(canary_rollout(image=IMAGE_V1))
    live.capture.clear()
    return live


def _kubectl(tmp_path: Path, kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KUBE")}
    env.update(
        HOME=str(tmp_path),
        KUBECONFIG=str(kubeconfig),
        PATH=os.pathsep.join([str(VENV_BIN), env.get("PATH", "")]),
        ROLLOUT_LAB_ARGO_PLUGIN="builtin",
    )
    return subprocess.run(
        [str(VENV_BIN / "kubectl"), "argo", "rollouts", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_kubectl_finds_the_plugin_and_sends_the_plugin_request(
    seeded: LiveApi, tmp_path: Path
) -> None:
    config = _kubeconfig(seeded, tmp_path / "config")
    result = _kubectl(tmp_path, config, "promote", "agent", "-n", NS)
    assert (result.returncode, result.stdout) == (0, "rollout 'agent' promoted\n"), result.stderr
    writes = [(r.method, r.path, r.content_type, r.json()) for r in seeded.capture.writes()]
    assert writes == [
        (
            "PATCH",
            f"{BASE}/agent/status",
            "application/merge-patch+json",
            {"status": {"pauseConditions": None}},
        )
    ]


def test_kubectl_plugin_uses_the_context_namespace_and_reports_errors(
    seeded: LiveApi, tmp_path: Path
) -> None:
    config = _kubeconfig(seeded, tmp_path / "config", namespace=NS)
    result = _kubectl(tmp_path, config, "set", "image", "agent", "nope=x:1")
    assert result.returncode == 1
    assert result.stderr == 'Error: unable to find container named "nope"\n'
    status = _kubectl(tmp_path, config, "status", "agent", "--watch=false")
    assert (status.returncode, status.stdout) == (0, "Paused - CanaryPauseStep\n")


def test_rollout_lab_rollouts_get_prints_the_tree(
    seeded: LiveApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _kubeconfig(seeded, tmp_path / "config")
    code = rollout_lab(
        ["rollouts", "get", "rollout", "agent", "-n", NS, "--kubeconfig", str(config)]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Name:            agent\nNamespace:       rollout-lab\n")
    assert "Status:          ॥ Paused\n" in out and "⟳ agent" in out


def test_rollout_lab_rollouts_status_times_out_like_the_plugin(
    seeded: LiveApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _kubeconfig(seeded, tmp_path / "config")
    args = ["rollouts", "status", "agent", "-n", NS, "--kubeconfig", str(config), "-t", "1s"]
    assert rollout_lab(args) == 1
    captured = capsys.readouterr()
    assert captured.out == "Paused - CanaryPauseStep\n"
    assert captured.err == "Error: Rollout status watch exceeded timeout\n"


def test_unreachable_cluster_says_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config"
    config.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    assert rollout_lab(["rollouts", "abort", "agent", "--kubeconfig", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Error: cannot reach the Kubernetes API server at http://127.0.0.1:9")
    assert "rollout-lab up" in err


def test_upstream_binary_on_path_is_preferred(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    ours.mkdir()
    (ours / "kubectl-argo-rollouts").write_text(
        "#!/bin/sh\n# from labs.cli.argo_plugin import main\n"
    )
    real = tmp_path / "real"
    real.mkdir()
    (real / "kubectl-argo-rollouts").write_bytes(b"\x7fELF fake upstream binary")
    for script in (ours / "kubectl-argo-rollouts", real / "kubectl-argo-rollouts"):
        script.chmod(0o755)
    assert find_upstream_plugin(str(ours)) is None
    found = find_upstream_plugin(os.pathsep.join([str(ours), str(real)]))
    assert found == str(real / "kubectl-argo-rollouts")


def test_rollout_lab_rollouts_targets_the_recorded_lab_cluster(
    seeded: LiveApi,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    write_backend_record("embedded", BackendOptions(state_dir=state, namespace=NS))
    lab = EmbeddedBackend(state)
    lab.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    _kubeconfig(seeded, lab.kubeconfig, context_name=lab.context)
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "someone-elses-config"))
    args = ["rollouts", "status", "agent", "--watch=false", "--state-dir", str(state)]
    assert rollout_lab(args) == 0
    assert capsys.readouterr().out == "Paused - CanaryPauseStep\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["-n", "ns1", "--kubeconfig", "k", "promote", "agent"],
        ["promote", "agent", "-n", "ns1", "--kubeconfig=k"],
    ],
)
def test_plugin_flags_go_before_or_after_the_verb(argv: list[str]) -> None:
    args = build_parser().parse_args(argv)
    assert (args.namespace, args.kubeconfig, args.name) == ("ns1", "k", "agent")


def test_rollout_lab_get_watch_redraws_in_place_until_the_timeout(
    seeded: LiveApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _kubeconfig(seeded, tmp_path / "config", namespace=NS)
    args = ["rollouts", "get", "rollout", "agent", "-w", "--timeout-seconds", "1"]
    assert rollout_lab([*args, "--kubeconfig", str(config)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\033[H\033[2J")
    assert "Name:            agent" in out and "॥ Paused" in out
