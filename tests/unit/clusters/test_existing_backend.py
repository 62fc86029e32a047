"""The `existing` backend: access checks, Argo Rollouts presence/installation, namespaces."""

from dataclasses import dataclass, field

import pytest

from clusters.backend import BackendOptions
from clusters.existing import ExistingBackend, ExistingClusterError, learner_namespace
from clusters.existing_api import ClusterApiError
from clusters.kind.pins import ARGO_ROLLOUTS_CRDS, ARGO_ROLLOUTS_INSTALL_URL
from clusters.progress import RecordingProgress, StepFailed
from clusters.runner import ScriptedRunner


@dataclass
class FakeCluster:
    """An in-memory answer to every ClusterApi question."""

    crds: set = field(default_factory=lambda: set(ARGO_ROLLOUTS_CRDS))
    controller_ready: bool | None = True
    holder: str | None = "argo-rollouts-abc"
    namespaces: set = field(default_factory=set)
    allowed: set = field(default_factory=lambda: {("create", "namespaces"), ("create", "rollouts")})
    reachable: bool = True
    created: list = field(default_factory=list)

    def server_version(self):
        if not self.reachable:
            raise ClusterApiError("reading the server version: connection refused")
        return "v1.35.2"

    def can_i(self, verb, resource, group="", namespace=""):
        if self.allowed is None:
            return None
        return (verb, resource) in self.allowed

    def crd_established(self, name):
        return True if name in self.crds else None

    def deployment_ready(self, namespace, name):
        return self.controller_ready

    def lease_holder(self, namespace, name):
        return self.holder

    def namespace_exists(self, name):
        return name in self.namespaces

    def create_namespace(self, name, labels):
        self.namespaces.add(name)
        self.created.append((name, labels))

    def delete_namespace(self, name):
        self.namespaces.discard(name)


@pytest.fixture
def kubeconfig(tmp_path):
    path = tmp_path / "config"
    path.write_text("apiVersion: v1\nkind: Config\n")
    return path


def make(kubeconfig, cluster, runner=None, **overrides):
    settings = dict(
        kube_context="classroom",
        lab_namespace="student-ada",
        kubeconfig_path=kubeconfig,
        runner=runner or ScriptedRunner(),
        api_factory=lambda path, context: cluster,
        wait_timeout=0.0,
    )
    settings.update(overrides)
    return ExistingBackend(**settings)


def test_learner_namespace():
    assert learner_namespace("Ada42") == "student-ada42"
    for bad in ("ada_lovelace", "x-", "x" * 60):
        with pytest.raises(ExistingClusterError, match="valid namespace"):
            learner_namespace(bad)


def test_options_need_context_and_namespace(tmp_path):
    with pytest.raises(ExistingClusterError, match="--context"):
        ExistingBackend.from_options(BackendOptions(state_dir=tmp_path))
    with pytest.raises(ExistingClusterError, match="--learner"):
        ExistingBackend.from_options(BackendOptions(state_dir=tmp_path, context="c"))
    backend = ExistingBackend.from_options(
        BackendOptions(state_dir=tmp_path, context="c", learner="ada", image_registry="reg/x/")
    )
    assert backend.namespace == "student-ada"
    assert backend.image_ref("v4") == "reg/x/rollout-lab/task-agent:v4"
    assert "registry-images" in backend.capabilities


def test_up_creates_the_learner_namespace(kubeconfig):
    cluster = FakeCluster()
    runner = ScriptedRunner().on("kubectl", "config", "view", answer="https://k8s.school:6443")
    progress = RecordingProgress()
    info = make(kubeconfig, cluster, runner).up(progress)
    assert cluster.created == [("student-ada", {"rollout-lab.io/lab": "true"})]
    assert [e[1] for e in progress.events if e[0] == "skipped"] == ["check Argo Rollouts"]
    assert (info.api_url, info.namespace, info.context) == (
        "https://k8s.school:6443",
        "student-ada",
        "classroom",
    )
    assert not runner.commands("kubectl")[:-1]  # only the config view: nothing was installed


def test_missing_rollouts_without_permission_explains(kubeconfig):
    cluster = FakeCluster(crds=set(), controller_ready=None)
    with pytest.raises(StepFailed, match="--install-rollouts") as raised:
        make(kubeconfig, cluster).up(RecordingProgress())
    assert raised.value.step == "check Argo Rollouts"
    assert "rollouts.argoproj.io" in str(raised.value)
    assert cluster.created == []


def test_install_rollouts_uses_server_side_apply_and_waits_for_leader(kubeconfig):
    cluster = FakeCluster(crds=set(), controller_ready=None)
    runner = ScriptedRunner()

    def applied(command):
        cluster.crds = set(ARGO_ROLLOUTS_CRDS)
        cluster.controller_ready = True
        return "applied"

    runner.on("kubectl", "apply", answer=applied)
    make(kubeconfig, cluster, runner, install_rollouts=True).up(RecordingProgress())
    [apply] = [c for c in runner.calls if "apply" in c]
    assert apply[-7:] == (
        "apply",
        "--server-side",
        "--force-conflicts",
        "-n",
        "argo-rollouts",
        "-f",
        ARGO_ROLLOUTS_INSTALL_URL,
    )
    assert apply[1:5] == ("--kubeconfig", str(kubeconfig), "--context", "classroom")


def test_no_permission_to_create_namespace(kubeconfig):
    cluster = FakeCluster(allowed=set())
    with pytest.raises(StepFailed, match="may not create namespace student-ada") as raised:
        make(kubeconfig, cluster).up(RecordingProgress())
    assert raised.value.step == "check access"


def test_unanswerable_permission_check_does_not_block(kubeconfig):
    cluster = FakeCluster(allowed=None)
    progress = RecordingProgress()
    make(kubeconfig, cluster).up(progress)
    [access] = [e for e in progress.events if e[:2] == ("finished", "check access")]
    assert access[2] == "classroom: Kubernetes v1.35.2 (permissions not checkable)"
    assert cluster.namespaces == {"student-ada"}


def test_precreated_namespace_needs_only_rollout_rights(kubeconfig):
    cluster = FakeCluster(namespaces={"student-ada"}, allowed={("create", "rollouts")})
    progress = RecordingProgress()
    make(kubeconfig, cluster).up(progress)
    assert ("skipped", "create lab namespace", "student-ada exists") in progress.events


def test_missing_kubeconfig_and_unreachable_cluster(tmp_path, kubeconfig):
    with pytest.raises(StepFailed, match=r"kubeconfig .* not found"):
        make(tmp_path / "nope", FakeCluster()).up(RecordingProgress())
    backend = make(kubeconfig, FakeCluster(reachable=False))
    with pytest.raises(StepFailed, match="connection refused"):
        backend.up(RecordingProgress())
    assert backend.status().state == "stopped"


def test_status_and_down(kubeconfig):
    cluster = FakeCluster(namespaces={"student-ada"})
    backend = make(kubeconfig, cluster)
    status = backend.status()
    assert status.state == "running"
    assert "namespace student-ada: exists" in status.render()
    backend.down()
    assert cluster.namespaces == set()
    assert backend.status().state == "absent"


def test_real_client_reports_bad_context_clearly(kubeconfig):
    from clusters.existing_api import KubernetesClusterApi

    with pytest.raises(ClusterApiError, match="cannot use context 'missing'"):
        KubernetesClusterApi(kubeconfig, "missing")
