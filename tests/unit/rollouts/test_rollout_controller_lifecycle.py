"""Rollout controller lifecycle: the informer event, a quiet steady state, InvalidSpec,
scaling events and releasing Services (controller spec §2, §4.1, §9)."""

from __future__ import annotations

import asyncio

from test_rollout_controller_harness import (
    HASH,
    PODS,
    ROLLOUTS,
    SVC,
    Cluster,
    bluegreen_rollout,
    canary_rollout,
    run,
    service,
)

MANAGED_BY = "argo-rollouts.argoproj.io/managed-by-rollouts"


def test_steady_state_writes_nothing_and_informer_event_is_emitted_once():
    async def scenario():
        async with Cluster() as c:
            c.create(canary_rollout(replicas=2, steps=[{"setWeight": 50}, {"pause": {}}]))
            await c.wait(c.healthy)
            await asyncio.sleep(0.3)
            version = c.rollout()["metadata"]["resourceVersion"]
            rs_versions = {
                h: rs["metadata"]["resourceVersion"] for h, rs in c.replicasets().items()
            }
            await asyncio.sleep(1.0)  # 200 cluster seconds at this scale
            assert c.rollout()["metadata"]["resourceVersion"] == version
            assert {
                h: rs["metadata"]["resourceVersion"] for h, rs in c.replicasets().items()
            } == rs_versions
            assert (
                c.event_count(
                    "RolloutAddedToInformer", "Rollout resource added to informer: lab/ro"
                )
                == 1
            )

    run(scenario())


def test_set_canary_scale_without_traffic_routing_is_invalid_and_recovers():
    async def scenario():
        async with Cluster() as c:
            c.create(canary_rollout(steps=[{"setCanaryScale": {"replicas": 1}}]))
            await c.wait(lambda: c.status().get("phase") == "Degraded")
            status = c.status()
            assert status["message"].startswith('InvalidSpec: The Rollout "ro" is invalid: ')
            assert c.replicasets() == {}  # nothing is created for an invalid rollout

            def fix(ro):
                ro["spec"]["strategy"]["canary"]["steps"] = [{"setWeight": 50}]

            c.edit(fix)
            await c.wait(c.healthy, what="healthy after the fix (re-checked every 20 s)")
            assert all(k["type"] != "InvalidSpec" for k in c.status()["conditions"])

    run(scenario())


def test_scaling_a_healthy_canary_is_a_scaling_event():
    async def scenario():
        async with Cluster() as c:
            c.create(canary_rollout(replicas=2))
            await c.wait(c.healthy)
            (h1,) = c.replicasets()

            def scale(ro):
                ro["spec"]["replicas"] = 5

            c.edit(scale)
            await c.wait(lambda: c.status().get("availableReplicas") == 5)
            rs = c.replicasets()[h1]
            assert rs["spec"]["replicas"] == 5
            assert rs["metadata"]["annotations"]["rollout.argoproj.io/desired-replicas"] == "5"
            assert (
                "ScalingReplicaSet",
                f"Scaled up ReplicaSet ro-{h1} (revision 1) from 2 to 5",
            ) in c.events()
            assert c.status()["HPAReplicas"] == 5 and c.status()["selector"] == "app=ro"

    run(scenario())


def test_services_are_released_when_unreferenced_or_the_rollout_is_deleted():
    async def scenario():
        async with Cluster() as c:
            c.create(service("ro-active", "ro"))
            c.create(service("ro-preview", "ro"))
            c.create(bluegreen_rollout(previewService="ro-preview"))
            await c.wait(lambda: c.healthy() and c.status()["blueGreen"].get("activeSelector"))
            preview = c.store.get(SVC, "lab", "ro-preview")
            assert preview["metadata"]["annotations"][MANAGED_BY] == "ro"

            def drop_preview(ro):
                del ro["spec"]["strategy"]["blueGreen"]["previewService"]

            c.edit(drop_preview)
            await c.wait(
                lambda: HASH not in c.store.get(SVC, "lab", "ro-preview")["spec"]["selector"]
            )
            preview = c.store.get(SVC, "lab", "ro-preview")
            assert preview["spec"]["selector"] == {"app": "ro"}
            assert MANAGED_BY not in (preview["metadata"].get("annotations") or {})
            c.store.delete(ROLLOUTS, "lab", "ro")
            await c.wait(
                lambda: HASH not in c.store.get(SVC, "lab", "ro-active")["spec"]["selector"]
            )
            active = c.store.get(SVC, "lab", "ro-active")
            assert MANAGED_BY not in (active["metadata"].get("annotations") or {})
            await c.wait(lambda: c.event_count("RolloutDeleted", "Rollout ro/lab is deleted.") == 1)

    run(scenario())


def test_revision_history_limit_deletes_oldest_idle_replicasets():
    async def scenario():
        async with Cluster() as c:
            body = canary_rollout(replicas=1)
            body["spec"]["revisionHistoryLimit"] = 1
            c.create(body)
            await c.wait(c.healthy)
            for revision, version in enumerate(("v2", "v3", "v4"), 2):
                c.set_image(f"agent:{version}")

                def done(revision: int = revision) -> bool:
                    annotations = c.rollout()["metadata"]["annotations"]
                    current = annotations["rollout.argoproj.io/revision"] == str(revision)
                    return current and c.healthy()

                await c.wait(done, what=f"revision {revision} healthy")
            await c.wait(lambda: len(c.replicasets()) == 2, what="only current + 1 old RS kept")
            revisions = sorted(
                rs["metadata"]["annotations"]["rollout.argoproj.io/revision"]
                for rs in c.replicasets().values()
            )
            assert revisions == ["3", "4"]

    run(scenario())


def test_restart_replaces_every_pod_and_records_restarted_at():
    """spec.restartAt: pods created before it are replaced (at most maxUnavailable at once,
    here 25 % of 4 = 1); then status.restartedAt records it and the phase is Healthy again."""

    async def scenario():
        async with Cluster() as c:
            c.create(canary_rollout(replicas=4))
            await c.wait(c.healthy)
            old = {p["metadata"]["name"] for p in c.store.list(PODS, "lab").items}
            await asyncio.sleep(1.05)  # creation timestamps have second precision
            restart_at = c.clock.stamp()

            def restart(ro):
                ro["spec"]["restartAt"] = restart_at

            c.edit(restart)
            await c.wait(lambda: c.status().get("restartedAt") == restart_at, what="restarted")
            live = [
                p
                for p in c.store.list(PODS, "lab").items
                if not p["metadata"].get("deletionTimestamp")
            ]
            assert len(live) == 4 and not old & {p["metadata"]["name"] for p in live}
            await c.wait(c.healthy)

    run(scenario())
