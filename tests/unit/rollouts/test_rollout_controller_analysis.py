"""AnalysisRuns created by a Rollout: names, labels, owner, flattened templates and resolved
args; the rollout's reaction to each phase (outcomes written through the store)."""

from __future__ import annotations

from test_rollout_controller_harness import HASH, Cluster, canary_rollout, run

TEMPLATE = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AnalysisTemplate",
    "metadata": {"name": "check", "namespace": "lab"},
    "spec": {
        "args": [{"name": "hash"}, {"name": "fixed", "value": "x"}],
        "metrics": [
            {
                "name": "web",
                "provider": {"web": {"url": "http://127.0.0.1:1/{{args.hash}}"}},
                "successCondition": "result == true",
            }
        ],
    },
}
HASH_ARG = [{"name": "hash", "valueFrom": {"podTemplateHashValue": "Latest"}}]


def test_step_analysis_success_failure_and_retry_names():
    async def scenario():
        async with Cluster() as c:
            c.create(TEMPLATE)
            steps = [
                {"setWeight": 10},
                {"pause": {}},
                {"analysis": {"templates": [{"templateName": "check"}], "args": HASH_ARG}},
            ]
            c.create(canary_rollout(replicas=1, steps=steps))
            await c.wait(c.healthy)
            assert c.runs() == {}  # the initial deploy creates no run
            c.set_image("agent:v2")
            await c.wait(lambda: c.status().get("phase") == "Paused")
            h2 = c.status()["currentPodHash"]
            c.promote()
            name = f"ro-{h2}-2-2"
            await c.wait(lambda: name in c.runs(), what="step run created")
            ar = c.runs()[name]
            assert ar["metadata"]["labels"] == {
                HASH: h2,
                "rollout-type": "Step",
                "step-index": "2",
                "app": "ro",
            }
            assert ar["metadata"]["annotations"]["rollout.argoproj.io/revision"] == "2"
            assert ar["metadata"]["ownerReferences"][0]["kind"] == "Rollout"
            assert ar["spec"]["args"] == [
                {"name": "hash", "value": h2},
                {"name": "fixed", "value": "x"},
            ]
            assert ar["spec"]["metrics"][0]["name"] == "web"
            status = c.status()
            assert status["canary"]["currentStepAnalysisRunStatus"] == {"name": name, "status": ""}
            assert status["phase"] == "Progressing"
            c.set_run_phase(name, "Running")
            await c.wait(
                lambda: c.status()["canary"]["currentStepAnalysisRunStatus"]["status"] == "Running"
            )
            c.set_run_phase(name, "Failed", 'Metric "web" assessed Failed')
            await c.wait(lambda: c.status().get("phase") == "Degraded", what="aborted by analysis")
            assert c.status()["message"] == (
                "RolloutAborted: Rollout aborted update to revision 2: "
                'Step-based analysis phase error/failed: Metric "web" assessed Failed'
            )
            await c.wait(lambda: c.sizes()[h2] == 0)
            assert (
                "AnalysisRunFailed",
                f"Step Analysis Run '{name}' Status New: 'Failed' Previous: 'Running'",
            ) in c.events()
            c.patch_status({"abort": False})
            await c.wait(
                lambda: c.status().get("phase") == "Paused", what="paused again after retry"
            )
            c.promote()
            await c.wait(lambda: f"{name}.1" in c.runs(), what="retried run gets a .1 suffix")
            c.set_run_phase(f"{name}.1", "Successful")
            await c.wait(c.healthy, what="healthy")
            assert len(c.runs()) == 2

    run(scenario())


def test_background_analysis_inconclusive_pauses_and_promote_terminates():
    async def scenario():
        async with Cluster() as c:
            c.create(TEMPLATE)
            c.create(
                canary_rollout(
                    replicas=1,
                    steps=[{"setWeight": 10}, {"pause": {}}],
                    analysis={"templates": [{"templateName": "check"}], "args": HASH_ARG},
                )
            )
            await c.wait(c.healthy)
            c.set_image("agent:v2")
            await c.wait(lambda: c.status().get("phase") == "Paused")
            h2 = c.status()["currentPodHash"]
            name = f"ro-{h2}-2"
            await c.wait(lambda: name in c.runs())
            assert c.runs()[name]["metadata"]["labels"]["rollout-type"] == "Background"
            c.set_run_phase(name, "Inconclusive")
            await c.wait(
                lambda: (
                    [p["reason"] for p in c.status()["pauseConditions"]]
                    == ["CanaryPauseStep", "InconclusiveAnalysisRun"]
                ),
                what="inconclusive pause",
            )
            c.patch_status({"pauseConditions": None})
            # after promote a fresh background run replaces the inconclusive one
            await c.wait(lambda: f"{name}.1" in c.runs(), what="new background run")
            await c.wait(c.healthy, what="healthy after promote")
            await c.wait(
                lambda: c.runs()[f"{name}.1"]["spec"].get("terminate") is True,
                what="background run terminated once no longer current",
            )
            assert "currentBackgroundAnalysisRunStatus" not in c.status()["canary"]

    run(scenario())


def test_inconclusive_step_run_pauses_and_promote_moves_to_the_next_step():
    """An Inconclusive step run adds the InconclusiveAnalysisRun pause and freezes scaling;
    promote (rule a: index + 1, controllerPause false) continues with the next step."""

    async def scenario():
        async with Cluster() as c:
            c.create(TEMPLATE)
            steps = [
                {"setWeight": 50},
                {"analysis": {"templates": [{"templateName": "check"}], "args": HASH_ARG}},
                {"pause": {}},
            ]
            c.create(canary_rollout(replicas=2, steps=steps))
            await c.wait(c.healthy)
            c.set_image("agent:v2")
            await c.wait(lambda: c.status().get("currentStepIndex") == 1 and c.runs())
            h2 = c.status()["currentPodHash"]
            name = f"ro-{h2}-2-1"
            c.set_run_phase(name, "Inconclusive")
            await c.wait(lambda: c.status().get("message") == "InconclusiveAnalysisRun")
            status = c.status()
            assert status["phase"] == "Paused" and status["controllerPause"] is True
            assert [p["reason"] for p in status["pauseConditions"]] == ["InconclusiveAnalysisRun"]
            c.promote()
            await c.wait(
                lambda: (
                    c.status().get("currentStepIndex") == 2
                    and c.status().get("message") == "CanaryPauseStep"
                ),
                what="next step (the pause) reached",
            )
            assert len(c.runs()) == 1  # the inconclusive step run is not re-created

    run(scenario())
