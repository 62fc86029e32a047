"""User actions for the Rollout conformance scenarios, as `kubectl argo rollouts` performs them:
merge patches of `/status` (promote, abort, retry) or of the object (pause, restart, spec
changes), a GET + PUT for `set image` (retried on conflict) and a JSON patch for `undo`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from kubernetes import client as k8s
from test_rollouts_harness import ARGO, HASH, Scenario, agent_container

Action = Callable[[Scenario], None]


def _patch_status(s: Scenario, patch: dict[str, Any]) -> None:
    s.lab.kubectl(
        "patch", "rollout", s.name, "-n", s.ns, "--subresource=status", "--type=merge",
        "-p", json.dumps({"status": patch}),
    )  # fmt: skip


def _patch(s: Scenario, patch: dict[str, Any], kind: str = "merge") -> None:
    s.lab.kubectl("patch", "rollout", s.name, "-n", s.ns, f"--type={kind}", "-p", json.dumps(patch))


def set_image(version: str = "v2", crash: bool = False) -> Action:
    """`kubectl argo rollouts set image`: GET then PUT of the whole object."""

    def act(s: Scenario) -> None:
        for attempt in range(5):  # the plugin retries a conflicting update up to 5 times
            obj = s.get()
            obj["spec"]["template"]["spec"]["containers"][0] = agent_container(version, crash)
            try:
                s.lab.custom.replace_namespaced_custom_object(*ARGO, s.ns, "rollouts", s.name, obj)
                return
            except k8s.ApiException as error:
                if error.status != 409 or attempt == 4:
                    raise

    return act


def patch_spec(spec: dict[str, Any]) -> Action:
    return lambda s: _patch(s, {"spec": spec})


def promote(full: bool = False) -> Action:
    def act(s: Scenario) -> None:
        obj = s.get()
        spec, status = obj["spec"], obj.get("status") or {}
        canary = spec["strategy"].get("canary")
        steps = (canary or {}).get("steps") or []
        if full:
            if spec.get("paused"):
                _patch(s, {"spec": {"paused": False}})
            if status.get("currentPodHash") != status.get("stableRS"):
                _patch_status(s, {"promoteFull": True})
            return
        index = int(status.get("currentStepIndex") or 0)
        step_run = (status.get("canary") or {}).get("currentStepAnalysisRunStatus") or {}
        if (
            canary is not None
            and step_run.get("status") == "Inconclusive"
            and status.get("pauseConditions")
            and status.get("controllerPause")
        ):
            patch = {
                "pauseConditions": None,
                "controllerPause": False,
                "currentStepIndex": min(index + 1, len(steps)),
            }
            _patch_status(s, patch)
        elif status.get("pauseConditions"):
            _patch_status(s, {"pauseConditions": None})
        elif canary is not None:
            _patch_status(
                s, {"pauseConditions": None, "currentStepIndex": min(index + 1, len(steps))}
            )
        if spec.get("paused"):
            _patch(s, {"spec": {"paused": False}})

    return act


def abort() -> Action:
    return lambda s: _patch_status(s, {"abort": True})


def retry() -> Action:
    return lambda s: _patch_status(s, {"abort": False})


def pause() -> Action:
    return lambda s: _patch(s, {"spec": {"paused": True}})


def restart() -> Action:
    def act(s: Scenario) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        time.sleep(1.05)  # pods created in the same second as restartAt count as new
        _patch(s, {"spec": {"restartAt": now}})

    return act


def undo(to_revision: int = 0) -> Action:
    """`kubectl argo rollouts undo`: JSON-patch the template of an older RS back in."""

    def act(s: Scenario) -> None:
        rss = s.replicasets()
        by_revision = sorted(
            rss, key=lambda rs: int(rs.metadata.annotations["rollout.argoproj.io/revision"])
        )
        if to_revision:
            target = next(
                rs
                for rs in rss
                if rs.metadata.annotations["rollout.argoproj.io/revision"] == str(to_revision)
            )
        else:
            target = by_revision[-2]
        template = s.lab.api.sanitize_for_serialization(target.spec.template)
        template["metadata"]["labels"].pop(HASH, None)
        _patch(s, [{"op": "replace", "path": "/spec/template", "value": template}], "json")

    return act


def apply(*documents: dict[str, Any]) -> Action:
    return lambda s: s.given(*documents)
