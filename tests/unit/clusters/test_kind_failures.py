"""Every failure-catalogue entry is recognised from the output a learner would really see."""

import pytest

from clusters.kind.failures import CATALOGUE, explain, explain_error
from clusters.runner import CommandError

SAMPLES = {
    "docker-permission": (
        "permission denied while trying to connect to the Docker daemon socket at "
        "unix:///var/run/docker.sock: Get ...: dial unix /var/run/docker.sock: connect"
    ),
    "docker-down": (
        'ERROR: failed to list nodes: command "docker ps -a --filter '
        'label=io.x-k8s.kind.cluster=rollout-lab" failed with error: exit status 1\n'
        "Command Output: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
        "Is the docker daemon running?"
    ),
    "cluster-exists": (
        "ERROR: failed to create cluster: node(s) already exist for a cluster with the name "
        '"rollout-lab"'
    ),
    "host-port-taken": (
        "docker: Error response from daemon: driver failed programming external connectivity "
        "on endpoint rollout-lab-control-plane: Bind for 127.0.0.1:30080 failed: port is "
        "already allocated."
    ),
    "privileged-port": "listen tcp4 0.0.0.0:80: bind: permission denied",
    "rootless-cgroup-v2": "ERROR: running kind with rootless provider requires cgroup v2",
    "rootless-delegate": (
        "ERROR: running kind with rootless provider requires setting systemd property "
        '"Delegate=yes"'
    ),
    "podman-log-relay": (
        'ERROR: could not find a log line that matches "Reached target .*Multi-User System.*"'
    ),
    "wsl-cgroups": (
        "OCI runtime create failed: unable to start container process: error adding pid 4242 "
        "to cgroups: failed to write 4242"
    ),
    "containerd-image-store": (
        'ERROR: failed to load image: command "docker exec --privileged -i '
        "rollout-lab-control-plane ctr --namespace=k8s.io images import --all-platforms "
        '--digests --snapshotter=overlayfs -" failed with error: exit status 1\nCommand Output: '
        "ctr: content digest sha256:" + "4f1e" * 16 + ": not found"
    ),
    "image-not-local": 'ERROR: image: "rollout-lab/task-agent:v3" not present locally',
    "no-nodes": 'ERROR: no nodes found for cluster "rollout-lab"',
    "image-pull": (
        'Failed to pull image "task-agent:latest": pull access denied, repository does not '
        "exist or may require authorization"
    ),
    "exec-format": "exec /usr/local/bin/python: exec format error",
    "non-numeric-user": (
        "Error: container has runAsNonRoot and image has non-numeric user (app), cannot verify "
        "user is non-root"
    ),
    "too-many-files": "failed to create fsnotify watcher: too many open files",
    "low-disk": "write /var/lib/containerd/tmp: no space left on device",
    "crd-annotation-too-long": (
        'The CustomResourceDefinition "rollouts.argoproj.io" is invalid: '
        "metadata.annotations: Too long: must have at most 262144 bytes"
    ),
    "status-watch-timeout": "Error: Rollout status watch exceeded timeout",
    "cgroup-v1": "WARNING: This host uses cgroup v1, which is deprecated",
}


def test_every_catalogue_entry_has_a_sample():
    assert {failure.key for failure in CATALOGUE} == set(SAMPLES)


@pytest.mark.parametrize("failure", CATALOGUE, ids=lambda failure: failure.key)
def test_entry_maps_to_its_message(failure):
    diagnosis = explain(SAMPLES[failure.key])
    assert diagnosis is not None
    assert diagnosis.key == failure.key
    assert diagnosis.title == failure.title
    assert diagnosis.fix and "{" not in diagnosis.fix
    assert failure.title in diagnosis.render() and "fix:" in diagnosis.render()


def test_captured_names_reach_the_fix():
    diagnosis = explain(SAMPLES["cluster-exists"])
    assert "kind delete cluster --name rollout-lab" in diagnosis.fix
    assert "docker image ls rollout-lab/task-agent:v3" in explain(SAMPLES["image-not-local"]).fix


def test_unknown_output_is_not_guessed():
    assert explain("everything is fine") is None


def test_explain_error_reads_command_output_and_causes():
    error = CommandError(["kind", "create", "cluster"], 1, "", SAMPLES["docker-down"])
    assert explain_error(error).key == "docker-down"
    wrapper = RuntimeError("step failed")
    wrapper.__cause__ = error
    assert explain_error(wrapper).key == "docker-down"
