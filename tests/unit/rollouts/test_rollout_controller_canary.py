"""Canary reconcile loop against the in-memory cluster: statuses, RS sizes and event sequences
of upstream v1.9.1 (controller spec §4, §6, §9)."""

from __future__ import annotations

from test_rollout_controller_harness import Cluster, canary_rollout, run

C1_STEPS = [{"setWeight": 50}, {"pause": {"duration": "3s"}}]


def test_initial_deploy_sets_replicas_skips_steps_and_is_healthy():
    async def scenario():
        async with Cluster() as c:
            c.create(canary_rollout(replicas=None, steps=C1_STEPS))
            await c.wait(c.healthy, what="healthy")
            ro = c.rollout()
            status = ro["status"]
            assert ro["spec"]["replicas"] == 1
            assert ro["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "1"
            (h1,) = c.replicasets()
            rs = c.replicasets()[h1]
            assert rs["metadata"]["name"] == f"ro-{h1}"
            assert rs["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "1"
            assert rs["metadata"]["annotations"]["rollout.argoproj.io/desired-replicas"] == "1"
            assert status["stableRS"] == status["currentPodHash"] == h1
            assert status["currentStepIndex"] == 2
            assert "message" not in status
            assert status["observedGeneration"] == str(ro["metadata"]["generation"])
            conds = {k["type"]: k for k in status["conditions"]}
            assert conds["Completed"]["status"] == "True"
            assert conds["Healthy"]["status"] == "True"
            assert conds["Available"]["status"] == "True"
            assert conds["Progressing"]["reason"] == "NewReplicaSetAvailable"
            assert c.reasons()[:3] == [
                "RolloutAddedToInformer",
                "RolloutUpdated",
                "NewReplicaSetCreated",
            ]
            assert (
                "RolloutCompleted",
                f"Rollout completed update to revision 1 ({h1}): Initial deploy",
            ) in c.events()

    run(scenario())


def test_update_pause_abort_retry_promote_sequence():
    async def scenario():
        async with Cluster() as c:
            c.create(canary_rollout(replicas=None, steps=C1_STEPS))
            await c.wait(c.healthy)
            (h1,) = c.replicasets()
            c.set_image("agent:v2")
            await c.wait(lambda: c.status().get("pauseConditions"), what="paused")
            status = c.status()
            h2 = status["currentPodHash"]
            assert h2 != h1 and status["stableRS"] == h1
            assert status["currentStepIndex"] == 1
            assert status["controllerPause"] is True
            assert status["phase"] == "Paused" and status["message"] == "CanaryPauseStep"
            assert c.sizes() == {h1: 1, h2: 1}
            c.patch_status({"abort": True})
            await c.wait(lambda: c.status().get("phase") == "Degraded", what="aborted")
            await c.wait(lambda: c.sizes()[h2] == 0)
            status = c.status()
            assert status["message"] == "RolloutAborted: Rollout aborted update to revision 2"
            assert status["currentStepIndex"] == 0 and status["abortedAt"]
            assert "pauseConditions" not in status
            c.patch_status({"abort": False})
            await c.wait(c.healthy, timeout=15, what="healthy after retry")
            assert c.sizes() == {h1: 0, h2: 1}
            assert c.status()["currentStepIndex"] == 2
            reasons = c.reasons()
            print(c.events())
            step1 = "Rollout step 1/2 completed (setWeight: 50)"
            assert c.event_count("RolloutStepCompleted", step1) == 2  # before and after the abort
            assert (
                c.event_count("RolloutStepCompleted", "Rollout step 2/2 completed (pause: 3s)") == 1
            )
            assert "RolloutAborted" in reasons and "RolloutResumed" in reasons
            completed = [m for r, m in c.events() if r == "RolloutCompleted"]
            assert (
                completed[-1]
                == f"Rollout completed update to revision 2 ({h2}): Completed all 2 canary steps"
            )

    run(scenario())
