"""Canary reconcile loop against the in-memory cluster: statuses, RS sizes and event sequences
of upstream v1.9.1 (controller spec §4, §6, §9)."""

from __future__ import annotations

import asyncio

from test_rollout_controller_harness import RS, Cluster, canary_rollout, run

# C1's 3 s pause, written 60 s so that it lasts 0.3 s at this time-warp (long enough to abort).
C1_STEPS = [{"setWeight": 50}, {"pause": {"duration": "60s"}}]


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
            step1 = "Rollout step 1/2 completed (setWeight: 50)"
            assert c.event_count("RolloutStepCompleted", step1) == 2  # before and after the abort
            assert (
                c.event_count("RolloutStepCompleted", "Rollout step 2/2 completed (pause: 60s)")
                == 1
            )
            # Spec §9's reference sequence; repeats of one message aggregate into one Event, and
            # the canary's initial deploy emits no RolloutNotCompleted (v1.9.1 promotes it in
            # the pass that first persists a status).
            assert c.reasons() == [
                "RolloutAddedToInformer", "RolloutUpdated", "NewReplicaSetCreated",
                "ScalingReplicaSet", "RolloutCompleted",
                "RolloutUpdated", "NewReplicaSetCreated", "RolloutNotCompleted",
                "ScalingReplicaSet", "RolloutStepCompleted", "RolloutPaused",
                "ScalingReplicaSet", "RolloutAborted",
                "RolloutStepCompleted", "RolloutResumed", "ScalingReplicaSet", "RolloutCompleted",
            ]  # fmt: skip
            completed = [m for r, m in c.events() if r == "RolloutCompleted"]
            assert (
                completed[-1]
                == f"Rollout completed update to revision 2 ({h2}): Completed all 2 canary steps"
            )

    run(scenario())


def test_decreasing_weight_scales_stable_up_before_canary_down():
    """Scenario 9's transient: going from setWeight 100 to 0 with maxSurge 2 / maxUnavailable
    0, the stable RS first grows to 2 while the canary keeps 3, then the canary shrinks."""

    async def scenario():
        async with Cluster() as c:
            steps = [{"setWeight": 100}, {"pause": {}}, {"setWeight": 0}, {"pause": {}}]
            c.create(canary_rollout(replicas=3, maxSurge=2, maxUnavailable=0, steps=steps))
            await c.wait(c.healthy)
            (h1,) = c.replicasets()
            c.set_image("agent:v2")
            await c.wait(
                lambda: (
                    c.status().get("currentStepIndex") == 1 and c.status().get("pauseConditions")
                )
            )
            h2 = c.status()["currentPodHash"]
            assert c.sizes() == {h1: 0, h2: 3}
            pairs: list[tuple[int, int]] = []
            watcher = c.store.watch(RS, "lab", resource_version=c.store.resource_version)

            async def record() -> None:
                async for _ in watcher:
                    sizes = c.sizes()
                    pair = (sizes.get(h2, 0), sizes.get(h1, 0))
                    if not pairs or pairs[-1] != pair:
                        pairs.append(pair)

            recorder = asyncio.create_task(record())
            c.promote()
            await c.wait(lambda: c.status().get("currentStepIndex") == 3, what="paused at index 3")
            await c.wait(lambda: c.sizes() == {h1: 3, h2: 0})
            recorder.cancel()
            await watcher.close()
            assert (3, 2) in pairs, pairs  # stable up to the surge limit first
            assert all(canary + stable <= 5 for canary, stable in pairs)  # never past R + surge
            assert pairs.index((3, 2)) < next(
                i for i, (canary, _) in enumerate(pairs) if canary < 3
            )

    run(scenario())


def test_progress_deadline_abort_scales_the_canary_back():
    """progressDeadlineAbort: the timeout aborts (Warning event with the timeout text), the
    next pass records RolloutAborted and the basic canary goes back to 0."""

    async def scenario():
        async with Cluster() as c:
            body = canary_rollout(replicas=1)
            body["spec"]["progressDeadlineSeconds"] = 30
            body["spec"]["progressDeadlineAbort"] = True
            c.create(body)
            await c.wait(c.healthy)
            (h1,) = c.replicasets()
            c.set_image("agent:broken")
            await c.wait(lambda: c.status().get("abort") is True, what="aborted by the deadline")
            h2 = c.status()["currentPodHash"]
            await c.wait(lambda: c.sizes() == {h1: 1, h2: 0})
            await c.wait(
                lambda: (
                    c.status().get("message")
                    == "RolloutAborted: Rollout aborted update to revision 2"
                )
            )
            timed_out = f'ReplicaSet "ro-{h2}" has timed out progressing.'
            assert c.event_count("RolloutAborted", timed_out) == 1
            assert c.event_count("RolloutAborted", "Rollout aborted update to revision 2") == 1

    run(scenario())
