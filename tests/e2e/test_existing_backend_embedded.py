"""The `existing` backend's real `kubernetes`-client calls, against the embedded API server.

The embedded cluster stands in for "some cluster reachable by kube-context": the backend
must find the Argo Rollouts CRDs, notice that no controller Deployment runs there, create
and delete the learner's namespace, and read permissions it can (or cannot) check.
"""

from __future__ import annotations

import uuid

import pytest
import yaml

from clusters.backend import BackendOptions
from clusters.existing import ExistingBackend
from clusters.existing_api import KubernetesClusterApi
from clusters.kind.pins import ARGO_ROLLOUTS_CRDS
from clusters.progress import RecordingProgress, StepFailed


@pytest.fixture
def context(cluster) -> str:
    document = yaml.safe_load(cluster.kubeconfig_path.read_text(encoding="utf-8"))
    return document["current-context"]


@pytest.fixture
def learner() -> str:
    return uuid.uuid4().hex[:8]


def test_client_answers_from_a_real_server(cluster, context, learner):
    api = KubernetesClusterApi(cluster.kubeconfig_path, context)
    assert api.server_version().startswith("v1.")
    assert api.crd_established("rollouts.argoproj.io") is True
    assert api.crd_established("nothings.example.com") is None
    assert api.deployment_ready("argo-rollouts", "argo-rollouts") is None
    assert api.can_i("create", "namespaces") in (True, False, None)
    name = f"student-{learner}"
    assert not api.namespace_exists(name)
    api.create_namespace(name, {"rollout-lab.io/lab": "true"})
    assert api.namespace_exists(name)
    api.delete_namespace(name)


def test_up_reports_the_missing_controller_and_status_explains(cluster, context, learner, tmp_path):
    options = BackendOptions(
        state_dir=tmp_path, context=context, kubeconfig=cluster.kubeconfig_path, learner=learner
    )
    backend = ExistingBackend.from_options(options)
    with pytest.raises(StepFailed) as raised:
        backend.up(RecordingProgress())
    assert raised.value.step == "check Argo Rollouts"
    message = str(raised.value)
    assert "controller Deployment argo-rollouts/argo-rollouts" in message
    assert "--install-rollouts" in message
    assert not any(crd in message for crd in ARGO_ROLLOUTS_CRDS)  # the CRDs were found
    status = backend.status()
    assert status.state == "absent"
    assert status.info is not None and status.info.api_url == cluster.api_url
