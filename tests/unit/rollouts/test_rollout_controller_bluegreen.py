"""Blue-green reconcile loop against the in-memory cluster (controller spec §5, §9)."""

from __future__ import annotations

from test_rollout_controller_harness import (
    HASH,
    Cluster,
    bluegreen_rollout,
    run,
    service,
)

MANAGED_BY = "argo-rollouts.argoproj.io/managed-by-rollouts"


def _svc(c: Cluster, name: str) -> dict:
    from test_rollout_controller_harness import SVC

    return c.store.get(SVC, "lab", name)


def test_update_switches_active_in_one_pass_and_delays_old_scale_down():
    async def scenario():
        async with Cluster() as c:
            c.create(service("ro-active", "ro"))
            c.create(bluegreen_rollout(replicas=2, scaleDownDelaySeconds=100))
            await c.wait(lambda: c.healthy() and c.status()["blueGreen"].get("activeSelector"))
            (h1,) = c.replicasets()
            active = _svc(c, "ro-active")
            assert active["spec"]["selector"] == {"app": "ro", HASH: h1}
            assert active["metadata"]["annotations"][MANAGED_BY] == "ro"
            c.set_image("agent:v2")
            await c.wait(lambda: c.status()["blueGreen"]["activeSelector"] != h1, what="switch")
            h2 = c.status()["currentPodHash"]
            await c.wait(c.healthy)
            status = c.status()
            assert status["stableRS"] == h2
            assert status["replicas"] == 4 and status["availableReplicas"] == 2
            await c.wait(
                lambda: "scale-down-deadline" in c.replicasets()[h1]["metadata"]["annotations"],
                what="old RS annotated by the pass after the switch",
            )
            assert c.replicasets()[h1]["spec"]["replicas"] == 2
            await c.wait(lambda: c.sizes()[h1] == 0, what="old RS scaled down after delay")
            assert "scale-down-deadline" not in c.replicasets()[h1]["metadata"]["annotations"]
            reasons = c.reasons()
            assert reasons[:6] == [
                "RolloutAddedToInformer",
                "RolloutUpdated",
                "NewReplicaSetCreated",
                "ScalingReplicaSet",
                "RolloutCompleted",
                "SwitchService",
            ]
            tail = reasons[6:]
            assert tail[:4] == [
                "RolloutUpdated",
                "NewReplicaSetCreated",
                "RolloutNotCompleted",
                "ScalingReplicaSet",
            ]
            assert tail.index("SwitchService") < tail.index("RolloutCompleted")

    run(scenario())


def test_manual_promotion_with_preview_replica_count():
    async def scenario():
        async with Cluster() as c:
            c.create(service("ro-active", "ro"))
            c.create(service("ro-preview", "ro"))
            body = bluegreen_rollout(
                replicas=2,
                previewService="ro-preview",
                previewReplicaCount=1,
                autoPromotionEnabled=False,
                scaleDownDelaySeconds=5,
            )
            c.create(body)
            await c.wait(lambda: c.healthy() and c.status()["blueGreen"].get("activeSelector"))
            (h1,) = c.replicasets()
            c.set_image("agent:v2")
            await c.wait(lambda: c.status().get("phase") == "Paused", what="paused")
            status = c.status()
            h2 = status["currentPodHash"]
            assert status["message"] == "BlueGreenPause"
            assert c.sizes() == {h1: 2, h2: 1}
            assert status["blueGreen"]["previewSelector"] == h2
            assert status["blueGreen"]["activeSelector"] == h1
            assert (status["replicas"], status["updatedReplicas"], status["availableReplicas"]) == (
                3,
                1,
                2,
            )
            await c.wait(
                lambda: any(
                    k["type"] == "Paused" and k["status"] == "True"
                    for k in c.status()["conditions"]
                ),
                what="Paused condition written by the next pass",
            )
            c.promote()
            await c.wait(c.healthy, what="healthy after promote")
            status = c.status()
            assert status["blueGreen"]["activeSelector"] == h2
            assert c.sizes()[h2] == 2
            conds = {k["type"]: k for k in status["conditions"]}
            assert conds["Paused"]["status"] == "False"
            await c.wait(lambda: c.sizes()[h1] == 0, what="old scaled down")

    run(scenario())


def test_abort_returns_active_to_stable_and_scales_preview_down_after_delay():
    async def scenario():
        async with Cluster() as c:
            c.create(service("ro-active", "ro"))
            c.create(
                bluegreen_rollout(
                    replicas=2,
                    previewReplicaCount=1,
                    autoPromotionEnabled=False,
                    abortScaleDownDelaySeconds=1,
                )
            )
            await c.wait(lambda: c.healthy() and c.status()["blueGreen"].get("activeSelector"))
            (h1,) = c.replicasets()
            c.set_image("agent:v2")
            await c.wait(lambda: c.status().get("phase") == "Paused")
            h2 = c.status()["currentPodHash"]
            c.patch_status({"abort": True})
            await c.wait(lambda: c.status().get("phase") == "Degraded")
            await c.wait(lambda: c.sizes()[h2] == 0, what="preview RS scaled down after 1s")
            assert c.sizes()[h1] == 2
            assert _svc(c, "ro-active")["spec"]["selector"][HASH] == h1

    run(scenario())
