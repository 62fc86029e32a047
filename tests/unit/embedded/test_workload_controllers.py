"""ReplicaSet, Deployment, scheduler and Endpoints controllers against the real store.

Pods are made Ready by a small test driver standing in for the process kubelet (which has its
own tests), so the controllers' upstream arithmetic can be checked quickly and exactly.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest

from clusters.embedded.clock import Clock
from clusters.embedded.controllers.bootstrap import bootstrap
from clusters.embedded.controllers.deployment import DeploymentController
from clusters.embedded.controllers.endpoints import EndpointsController
from clusters.embedded.controllers.replicaset import ReplicaSetController
from clusters.embedded.controllers.scheduler import NODE_NAME, SchedulerController
from clusters.embedded.resources import find_plural
from clusters.embedded.store import Store
from clusters.embedded.validation import admit

PODS = find_plural("", "v1", "pods")
RS = find_plural("apps", "v1", "replicasets")
DEPLOY = find_plural("apps", "v1", "deployments")
SVC = find_plural("", "v1", "services")
EP = find_plural("", "v1", "endpoints")
NS = find_plural("", "v1", "namespaces")
EVENTS = find_plural("", "v1", "events")


def deployment(image: str = "rollout-lab/task-agent:v1", replicas: int = 3, **spec: Any) -> dict:
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "agent", "namespace": "lab"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "agent"}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {
                    "containers": [
                        {"name": "agent", "image": image, "ports": [{"containerPort": 8080}]}
                    ]
                },
            },
        },
    }
    body["spec"].update(spec)
    return admit(DEPLOY, body).obj  # defaulted as the API server would store it


class FakeNode:
    """Marks scheduled pods Running and Ready (images ending in ':broken' never get ready)."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store, self.clock = store, clock
        self.next_ip = 2

    async def run(self) -> None:
        while True:
            for pod in self.store.list(PODS, None).items:
                if pod["spec"].get("nodeName") != NODE_NAME or (pod.get("status") or {}).get(
                    "podIP"
                ):
                    continue
                image = pod["spec"]["containers"][0]["image"]
                ready = "True" if not image.endswith(":broken") else "False"
                status = pod.get("status") or {}
                status.update(
                    phase="Running",
                    podIP=f"127.1.0.{self.next_ip}",
                    conditions=[
                        *status.get("conditions", []),
                        {
                            "type": "Ready",
                            "status": ready,
                            "lastTransitionTime": self.clock.stamp(),
                        },
                    ],
                )
                self.next_ip += 1
                pod["status"] = status
                self.store.update(PODS, pod, subresource="status")
            await asyncio.sleep(0.01)


class Cluster:
    def __init__(self) -> None:
        self.clock = Clock(time_scale=100)
        self.store = Store(None, self.clock)
        bootstrap(self.store, self.clock, NODE_NAME)
        self.store.create(
            NS, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}}
        )
        self.controllers = [
            SchedulerController(self.store, self.clock),
            ReplicaSetController(self.store, self.clock),
            DeploymentController(self.store, self.clock),
            EndpointsController(self.store, self.clock),
        ]
        self.node = FakeNode(self.store, self.clock)

    async def __aenter__(self) -> Cluster:
        for controller in self.controllers:
            await controller.start()
        self.node_task = asyncio.create_task(self.node.run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.node_task.cancel()
        for controller in self.controllers:
            await controller.stop()

    def replicasets(self) -> dict[str, dict]:
        return {rs["metadata"]["name"]: rs for rs in self.store.list(RS, "lab").items}

    async def wait(self, predicate, timeout: float = 10.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.01)

    def deployment_status(self) -> dict:
        return self.store.get(DEPLOY, "lab", "agent").get("status") or {}

    def complete(self, replicas: int = 3) -> bool:
        status = self.deployment_status()
        return (
            status.get("updatedReplicas") == replicas
            and status.get("availableReplicas") == replicas
            and status.get("replicas") == replicas
        )


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_deployment_creates_replicaset_and_ready_pods_with_events():
    async def scenario():
        async with Cluster() as cluster:
            cluster.store.create(DEPLOY, deployment())
            await cluster.wait(cluster.complete)
            (rs,) = cluster.replicasets().values()
            pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
            assert rs["metadata"]["name"] == f"agent-{pod_hash}"
            assert rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
            assert rs["metadata"]["ownerReferences"][0]["kind"] == "Deployment"
            pods = cluster.store.list(PODS, "lab").items
            assert len(pods) == 3
            assert all(p["metadata"]["name"].startswith(f"agent-{pod_hash}-") for p in pods)
            assert all(p["spec"]["nodeName"] == NODE_NAME for p in pods)
            dep = cluster.store.get(DEPLOY, "lab", "agent")
            assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
            conditions = {c["type"]: c for c in dep["status"]["conditions"]}
            assert conditions["Available"]["status"] == "True"
            assert conditions["Progressing"]["reason"] == "NewReplicaSetAvailable"
            reasons = {e["reason"] for e in cluster.store.list(EVENTS, "lab").items}
            assert {"ScalingReplicaSet", "SuccessfulCreate", "Scheduled"} <= reasons

    run(scenario())


def test_rolling_update_respects_max_surge_and_max_unavailable():
    """3 replicas with the 25%/25% defaults: surge 1, unavailable 0 -> never more than 4 pods
    and never fewer than 3 available; the sequence of (new, old) sizes is upstream's."""

    async def scenario():
        async with Cluster() as cluster:
            cluster.store.create(DEPLOY, deployment())
            await cluster.wait(cluster.complete)
            (old_name,) = cluster.replicasets()
            sizes: list[tuple[int, int]] = []
            current: dict[str, int] = {old_name: 3}
            watcher = cluster.store.watch(
                RS, "lab", resource_version=cluster.store.resource_version
            )

            async def record() -> None:
                async for event in watcher:
                    rs = event["object"]
                    current[rs["metadata"]["name"]] = rs["spec"]["replicas"]
                    new = [n for n in current if n != old_name]
                    if new:
                        pair = (current[new[0]], current[old_name])
                        if not sizes or sizes[-1] != pair:
                            sizes.append(pair)

            recorder = asyncio.create_task(record())
            dep = cluster.store.get(DEPLOY, "lab", "agent")
            dep["spec"]["template"]["spec"]["containers"][0]["image"] = "rollout-lab/task-agent:v3"
            cluster.store.update(DEPLOY, dep)
            await cluster.wait(lambda: bool(sizes) and sizes[-1] == (3, 0) and cluster.complete())
            recorder.cancel()
            await watcher.close()
            assert sizes == [(1, 3), (1, 2), (2, 2), (2, 1), (3, 1), (3, 0)]
            assert all(new + old <= 4 for new, old in sizes)
            dep = cluster.store.get(DEPLOY, "lab", "agent")
            assert dep["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"

    run(scenario())


def test_rollback_to_an_old_template_reuses_its_replicaset_with_revision_history():
    async def scenario():
        async with Cluster() as cluster:
            cluster.store.create(DEPLOY, deployment())
            await cluster.wait(cluster.complete)
            dep = cluster.store.get(DEPLOY, "lab", "agent")
            v1_template = copy.deepcopy(dep["spec"]["template"])
            dep["spec"]["template"]["spec"]["containers"][0]["image"] = "rollout-lab/task-agent:v3"
            cluster.store.update(DEPLOY, dep)
            await cluster.wait(lambda: len(cluster.replicasets()) == 2 and cluster.complete())
            dep = cluster.store.get(DEPLOY, "lab", "agent")
            dep["spec"]["template"] = v1_template
            cluster.store.update(DEPLOY, dep)

            def back_on_v1() -> bool:
                sets = cluster.replicasets()
                v1 = [
                    rs
                    for rs in sets.values()
                    if rs["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v1")
                ]
                return (
                    len(sets) == 2
                    and v1[0]["metadata"]["annotations"].get("deployment.kubernetes.io/revision")
                    == "3"
                    and cluster.complete()
                )

            await cluster.wait(back_on_v1)
            v1 = next(
                rs
                for rs in cluster.replicasets().values()
                if rs["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":v1")
            )
            assert v1["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"] == "1"

    run(scenario())


def test_progress_deadline_exceeded_is_reported_time_warped():
    async def scenario():
        async with Cluster() as cluster:
            cluster.store.create(DEPLOY, deployment())
            await cluster.wait(cluster.complete)
            dep = cluster.store.get(DEPLOY, "lab", "agent")
            dep["spec"]["progressDeadlineSeconds"] = 30  # 0.3 s real at scale 100
            dep["spec"]["template"]["spec"]["containers"][0]["image"] = (
                "rollout-lab/task-agent:broken"
            )
            cluster.store.update(DEPLOY, dep)

            def timed_out() -> bool:
                for c in cluster.deployment_status().get("conditions", []):
                    if c["type"] == "Progressing" and c["reason"] == "ProgressDeadlineExceeded":
                        return True
                return False

            await cluster.wait(timed_out)
            condition = next(
                c for c in cluster.deployment_status()["conditions"] if c["type"] == "Progressing"
            )
            assert condition["status"] == "False"
            assert condition["message"].endswith("has timed out progressing.")
            # The old ReplicaSet keeps serving: unavailable new pods never scale it down.
            sizes = sorted(rs["spec"]["replicas"] for rs in cluster.replicasets().values())
            assert sizes == [1, 3]

    run(scenario())


def test_recreate_scales_old_to_zero_before_the_new_one_starts():
    async def scenario():
        async with Cluster() as cluster:
            cluster.store.create(DEPLOY, deployment(strategy={"type": "Recreate"}))
            await cluster.wait(cluster.complete)
            overlap = []

            def record() -> bool:
                sets = list(cluster.replicasets().values())
                live = [rs for rs in sets if rs["spec"]["replicas"] > 0]
                overlap.append(len(live))
                return len(sets) == 2 and cluster.complete()

            dep = cluster.store.get(DEPLOY, "lab", "agent")
            dep["spec"]["template"]["spec"]["containers"][0]["image"] = "rollout-lab/task-agent:v2"
            cluster.store.update(DEPLOY, dep)
            await cluster.wait(record)
            assert max(overlap) == 1

    run(scenario())


def test_scaling_a_deployment_scales_its_replicaset():
    async def scenario():
        async with Cluster() as cluster:
            cluster.store.create(DEPLOY, deployment())
            await cluster.wait(cluster.complete)
            dep = cluster.store.get(DEPLOY, "lab", "agent")
            dep["spec"]["replicas"] = 5
            cluster.store.update(DEPLOY, dep)
            await cluster.wait(lambda: cluster.complete(5))
            (rs,) = cluster.replicasets().values()
            assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "5"

    run(scenario())


def test_replicaset_replaces_deleted_pods_and_removes_surplus():
    async def scenario():
        async with Cluster() as cluster:
            cluster.store.create(DEPLOY, deployment())
            await cluster.wait(cluster.complete)
            victim = cluster.store.list(PODS, "lab").items[0]["metadata"]["name"]
            cluster.store.delete(PODS, "lab", victim)
            await cluster.wait(
                lambda: (
                    len(cluster.store.list(PODS, "lab").items) == 3
                    and victim
                    not in {p["metadata"]["name"] for p in cluster.store.list(PODS, "lab").items}
                )
            )

    run(scenario())


def test_endpoints_follow_service_selector_and_readiness():
    async def scenario():
        async with Cluster() as cluster:
            cluster.store.create(DEPLOY, deployment())
            await cluster.wait(cluster.complete)
            cluster.store.create(
                SVC,
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": "agent", "namespace": "lab"},
                    "spec": {
                        "selector": {"app": "agent"},
                        "ports": [{"port": 80, "targetPort": 8080}],
                    },
                },
            )

            def addresses() -> list[str]:
                try:
                    ep = cluster.store.get(EP, "lab", "agent")
                except Exception:
                    return []
                return [a["ip"] for s in ep.get("subsets", []) for a in s.get("addresses", [])]

            await cluster.wait(lambda: len(addresses()) == 3)
            ep = cluster.store.get(EP, "lab", "agent")
            assert ep["subsets"][0]["ports"] == [{"port": 8080, "protocol": "TCP"}]
            svc = cluster.store.get(SVC, "lab", "agent")
            svc["spec"]["selector"] = {"app": "nobody"}
            cluster.store.update(SVC, svc)
            await cluster.wait(lambda: addresses() == [])
            cluster.store.delete(SVC, "lab", "agent")
            await cluster.wait(lambda: not cluster.store.list(EP, "lab").items)

    run(scenario())


@pytest.mark.parametrize("policy", ["Background", "Foreground"])
def test_deleting_a_deployment_removes_replicasets_and_pods(policy):
    async def scenario():
        async with Cluster() as cluster:
            cluster.store.create(DEPLOY, deployment())
            await cluster.wait(cluster.complete)
            cluster.store.delete(DEPLOY, "lab", "agent", propagation_policy=policy)
            await cluster.wait(
                lambda: (
                    not cluster.store.list(RS, "lab").items
                    and not cluster.store.list(PODS, "lab").items
                )
            )

    run(scenario())
