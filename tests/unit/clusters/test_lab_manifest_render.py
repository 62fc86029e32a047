"""Lab manifests rendered per backend: agent images via the registry, pull policy, namespace."""

import pytest

from clusters.kind.images import agent_image
from clusters.manifests import ManifestError, dump_manifests, load_manifests, render_lab_manifests

LAB = """
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: task-agent}
spec:
  replicas: 5
  template:
    spec:
      initContainers:
        - {name: warm, image: "rollout-lab/task-agent:v1"}
      containers:
        - name: agent
          image: rollout-lab/task-agent:v1
          imagePullPolicy: Always
        - {name: sidecar, image: "busybox:1.36"}
---
apiVersion: v1
kind: Service
metadata: {name: task-agent, namespace: somewhere-else}
spec:
  type: NodePort
  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]
---
apiVersion: argoproj.io/v1alpha1
kind: ClusterAnalysisTemplate
metadata: {name: success-rate}
spec:
  metrics:
    - name: probe
      provider:
        job:
          spec:
            template:
              spec:
                containers: [{name: probe, image: "rollout-lab/task-agent:v2"}]
"""


def registry_ref(version):
    return agent_image(version, "reg.school.edu/course")


def test_registry_rewrites_agent_images_only():
    rollout, service, template = render_lab_manifests(
        load_manifests(LAB), registry_ref, "student-ada"
    )
    pod = rollout["spec"]["template"]["spec"]
    agent, sidecar = pod["containers"]
    assert agent["image"] == "reg.school.edu/course/rollout-lab/task-agent:v1"
    assert agent["imagePullPolicy"] == "IfNotPresent"
    assert pod["initContainers"][0]["image"].startswith("reg.school.edu/course/")
    assert sidecar == {"name": "sidecar", "image": "busybox:1.36"}
    job_container = template["spec"]["metrics"][0]["provider"]["job"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert job_container["image"] == "reg.school.edu/course/rollout-lab/task-agent:v2"
    assert rollout["metadata"]["namespace"] == service["metadata"]["namespace"] == "student-ada"
    assert "namespace" not in template["metadata"]  # cluster-scoped


def test_local_backend_keeps_local_names_and_render_is_pure():
    documents = load_manifests(LAB)
    [rollout, *_] = render_lab_manifests(documents, agent_image, "rollout-lab")
    assert (
        rollout["spec"]["template"]["spec"]["containers"][0]["image"] == "rollout-lab/task-agent:v1"
    )
    assert documents[0]["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    assert load_manifests(dump_manifests([rollout]))[0] == rollout


def test_already_prefixed_images_are_re_pointed():
    doc = {
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "old.reg/x/rollout-lab/task-agent:v5"}]},
    }
    [pod] = render_lab_manifests([doc], registry_ref, "ns")
    assert (
        pod["spec"]["containers"][0]["image"] == "reg.school.edu/course/rollout-lab/task-agent:v5"
    )


def test_bad_manifests():
    with pytest.raises(ManifestError, match="no kind"):
        load_manifests("just: data\n")
    with pytest.raises(ManifestError, match="invalid YAML"):
        load_manifests("kind: [unclosed\n")
    with pytest.raises(ManifestError, match="larger than"):
        load_manifests("x" * (1 << 20 + 1))
