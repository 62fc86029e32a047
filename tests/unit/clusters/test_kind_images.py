"""Agent images: build args and tags, the image-archive fallback, registry push."""

import pytest

from clusters.kind.images import (
    ImageError,
    agent_image,
    build_agent_image,
    load_image,
    push_agent_images,
    validate_registry,
)
from clusters.runner import CommandError, ScriptedRunner

DIGEST_NOT_FOUND = CommandError(
    ["kind", "load", "docker-image"],
    1,
    "",
    'ERROR: failed to load image: command "docker exec --privileged -i rollout-lab-control-plane '
    'ctr --namespace=k8s.io images import --all-platforms --digests -" failed\n'
    "Command Output: ctr: content digest sha256:" + "a" * 64 + ": not found",
)


@pytest.fixture
def agent_dir(tmp_path):
    folder = tmp_path / "agent"
    folder.mkdir()
    (folder / "Dockerfile").write_text("FROM scratch\n")
    return folder


def test_image_references():
    assert agent_image("v3") == "rollout-lab/task-agent:v3"
    assert agent_image("v3", "registry.example.edu:5000/course/") == (
        "registry.example.edu:5000/course/rollout-lab/task-agent:v3"
    )
    with pytest.raises(ImageError, match="unknown agent version"):
        agent_image("latest")
    for bad in ("https://registry.example.edu", "Registry Name", ""):
        with pytest.raises(ImageError, match="not a registry reference"):
            validate_registry(bad)


def test_build_uses_version_build_arg_and_immutable_tag(tmp_path, agent_dir):
    runner = ScriptedRunner()
    assert build_agent_image(runner, "v2", agent_dir) == "rollout-lab/task-agent:v2"
    assert runner.calls == [
        (
            "docker",
            "build",
            "--build-arg",
            "AGENT_VERSION=v2",
            "--tag",
            "rollout-lab/task-agent:v2",
            "--file",
            str(agent_dir / "Dockerfile"),
            str(tmp_path),
        )
    ]


def test_load_falls_back_to_a_single_platform_archive(tmp_path):
    runner = ScriptedRunner().on("kind", "load", "docker-image", answer=DIGEST_NOT_FOUND)
    method = load_image(runner, "rollout-lab/task-agent:v1", "lab", tmp_path / "work", arch="arm64")
    assert method == "image-archive"
    save, load = runner.calls[1], runner.calls[2]
    archive = str(tmp_path / "work" / "rollout-lab_task-agent_v1.tar")
    assert save == (
        "docker",
        "image",
        "save",
        "--platform",
        "linux/arm64",
        "--output",
        archive,
        "rollout-lab/task-agent:v1",
    )
    assert load == ("kind", "load", "image-archive", archive, "--name", "lab")


def test_other_load_failures_are_not_masked(tmp_path):
    missing = CommandError(["kind"], 1, "", 'ERROR: image: "x:v1" not present locally')
    runner = ScriptedRunner().on("kind", "load", "docker-image", answer=missing)
    with pytest.raises(CommandError, match="not present locally"):
        load_image(runner, "x:v1", "lab", tmp_path)
    assert len(runner.calls) == 1


def test_push_tags_and_pushes_every_version(agent_dir):
    runner = ScriptedRunner()
    pushed = push_agent_images(runner, "reg.example.edu/course", agent_dir, ["v1", "v2"])
    assert pushed == [
        "reg.example.edu/course/rollout-lab/task-agent:v1",
        "reg.example.edu/course/rollout-lab/task-agent:v2",
    ]
    assert ("docker", "tag", "rollout-lab/task-agent:v1", pushed[0]) in runner.calls
    assert ("docker", "push", pushed[1]) in runner.calls


def test_push_failure_suggests_login(agent_dir):
    runner = ScriptedRunner().on(
        "docker",
        "push",
        answer=CommandError(["docker", "push"], 1, "", "unauthorized: authentication required"),
    )
    with pytest.raises(ImageError, match=r"docker login reg\.example\.edu"):
        push_agent_images(runner, "reg.example.edu/course", agent_dir, ["v1"])
