"""Basic-canary and blue-green replica math matches upstream's worked examples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clusters.embedded.rollouts.replicas import (
    AbortScaleAction,
    RSCounts,
    abort_scale_down_delay,
    approximate_canary_split,
    at_desired_canary_counts,
    bluegreen_new_rs_replicas,
    canary_replica_split,
    desired_canary_weight,
    max_surge,
    max_unavailable,
    new_rs_abort_action,
    old_rs_scale_down,
    resolve_fenceposts,
    rs_counts,
    scale_down_deadline_after,
)


def _rollout(replicas: int | None = 3, **canary: object) -> dict:
    spec: dict = {"strategy": {"canary": canary}}
    if replicas is not None:
        spec["replicas"] = replicas
    return {"spec": spec, "status": {}}


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable"),
    [(3, 1, 0), (4, 1, 1), (5, 2, 1), (10, 3, 2), (1, 1, 0), (0, 0, 0)],
)
def test_default_fenceposts_are_25_percent_up_and_down(
    replicas: int, surge: int, unavailable: int
) -> None:
    rollout = _rollout(replicas)
    assert (max_surge(rollout), max_unavailable(rollout)) == (surge, unavailable)


def test_fenceposts_both_zero_becomes_one_unavailable() -> None:
    assert resolve_fenceposts(0, "10%", 3) == (0, 1)
    assert resolve_fenceposts("0%", 0, 10) == (0, 1)
    assert resolve_fenceposts(2, 0, 4) == (2, 0)
    assert max_unavailable(_rollout(3, maxSurge=0, maxUnavailable=9)) == 3  # capped at replicas


def test_missing_replicas_means_one() -> None:
    assert max_surge(_rollout(None)) == 1


# Spec §4.6 worked examples: (R, W) -> (canary, stable) with default fenceposts, and maxSurge 0.
SPLITS = [
    (3, 20, (1, 3), (1, 2)),
    (3, 50, (2, 2), (2, 1)),
    (3, 80, (3, 1), (2, 1)),
    (4, 20, (1, 4), (1, 3)),
    (4, 50, (2, 2), (2, 2)),
    (4, 80, (4, 1), (3, 1)),
    (5, 20, (1, 4), (1, 4)),
    (5, 50, (3, 3), (3, 2)),
    (5, 80, (4, 1), (4, 1)),
    (10, 20, (2, 8), (2, 8)),
    (10, 50, (5, 5), (5, 5)),
    (10, 80, (8, 2), (8, 2)),
]


@pytest.mark.parametrize(("replicas", "weight", "with_surge", "no_surge"), SPLITS)
def test_target_split_matches_worked_examples(
    replicas: int, weight: int, with_surge: tuple[int, int], no_surge: tuple[int, int]
) -> None:
    surge = max_surge(_rollout(replicas))
    assert approximate_canary_split(replicas, weight, surge) == with_surge
    assert approximate_canary_split(replicas, weight, 0) == no_surge


@pytest.mark.parametrize(
    ("replicas", "weight", "surge", "expected"),
    [
        (1, 1, 1, (1, 1)),
        (1, 50, 1, (1, 1)),
        (1, 99, 1, (1, 1)),
        (1, 100, 1, (1, 0)),
        (1, 50, 0, (1, 0)),  # R=1 without surge may round to the whole pod
        (2, 50, 1, (1, 1)),
        (10, 41, 3, (4, 6)),
        (8, 25, 2, (2, 6)),
        (4, 25, 1, (1, 3)),
        (0, 50, 0, (0, 0)),
        (3, 0, 1, (0, 3)),
    ],
)
def test_more_split_checks(replicas: int, weight: int, surge: int, expected: tuple) -> None:
    assert approximate_canary_split(replicas, weight, surge) == expected


def _simulate(
    replicas: int, weight: int, start: tuple[int, int], surge: int, unav: int
) -> list[tuple[int, int]]:
    """Run reconcile passes (stable first, one RS per pass), pods ready at once, to a fixpoint."""
    canary, stable = start
    seen = [(canary, stable)]
    for _ in range(20):
        new_rs = RSCounts("new", canary, canary, canary, 2)
        stable_rs = RSCounts("stable", stable, stable, stable, 1)
        want_new, want_stable = canary_replica_split(
            replicas=replicas,
            weight=weight,
            surge=surge,
            unavailable=unav,
            new=new_rs,
            stable=stable_rs,
        )
        if want_stable != stable:
            stable = want_stable
        elif want_new != canary:
            canary = want_new
        else:
            return seen
        seen.append((canary, stable))
    raise AssertionError("no fixpoint")


@pytest.mark.parametrize(
    ("replicas", "weight", "start", "sequence"),
    [
        (3, 20, (0, 3), [(0, 3), (1, 3)]),
        (3, 50, (0, 3), [(0, 3), (1, 3), (1, 2), (2, 2)]),
        (3, 80, (2, 2), [(2, 2), (2, 1), (3, 1)]),
        (3, 100, (3, 1), [(3, 1), (3, 0)]),
        (4, 50, (1, 4), [(1, 4), (1, 2), (2, 2)]),
        (4, 80, (2, 2), [(2, 2), (2, 1), (4, 1)]),
        (5, 20, (0, 5), [(0, 5), (0, 4), (1, 4)]),
        (5, 50, (1, 4), [(1, 4), (1, 3), (3, 3)]),
        (5, 80, (3, 3), [(3, 3), (3, 1), (4, 1)]),
        (10, 20, (0, 10), [(0, 10), (0, 8), (2, 8)]),
        (10, 50, (2, 8), [(2, 8), (2, 6), (5, 6), (5, 5)]),
        (10, 80, (5, 5), [(5, 5), (5, 3), (8, 3), (8, 2)]),
        (10, 100, (8, 2), [(8, 2), (8, 0), (10, 0)]),
    ],
)
def test_stepping_sequences_within_surge_and_unavailable(
    replicas: int, weight: int, start: tuple[int, int], sequence: list[tuple[int, int]]
) -> None:
    surge = max_surge(_rollout(replicas))
    unav = max_unavailable(_rollout(replicas))
    assert _simulate(replicas, weight, start, surge, unav) == sequence


def test_decreasing_weight_honours_max_unavailable() -> None:
    # Scenario 9: replicas 3, maxSurge 2, maxUnavailable 0; canary 3 / stable 0 then weight 0.
    seq = _simulate(3, 0, (3, 0), surge=2, unav=0)
    assert seq[1] == (3, 2)  # stable scales up first while canary stays
    assert seq[-1] == (0, 3)
    assert all(c + s <= 5 for c, s in seq)


def test_abort_returns_canary_to_zero_within_limits() -> None:
    # Abort = weight 0: canary 2 / stable 2 of R=3 goes back to (0, 3).
    assert _simulate(3, 0, (2, 2), surge=1, unav=0)[-1] == (0, 3)


def test_crashing_canary_does_not_shrink_stable() -> None:
    # Scenario 6: R=4, maxSurge 2, maxUnavailable 0, no steps (weight 100), canary never ready.
    new = RSCounts("new", 2, available=0, replicas=2, revision=2)
    stable = RSCounts("stable", 4, available=4, replicas=4, revision=1)
    split = canary_replica_split(
        replicas=4, weight=100, surge=2, unavailable=0, new=new, stable=stable
    )
    assert split == (2, 4)


def test_scale_while_paused_keeps_the_weight() -> None:
    # Scenario 5: setWeight 25; R=8 -> canary 2 / stable 6; R=4 -> 1 / 3.
    assert approximate_canary_split(8, 25, max_surge(_rollout(8))) == (2, 6)
    assert approximate_canary_split(4, 25, max_surge(_rollout(4))) == (1, 3)


def test_no_stable_rs_scales_new_to_replicas() -> None:
    new = RSCounts("ro-h1", 0)
    assert canary_replica_split(
        replicas=3, weight=0, surge=1, unavailable=0, new=new, stable=None
    ) == (3, 0)
    same = RSCounts("ro-h1", 3, 3, 3)
    assert canary_replica_split(
        replicas=3, weight=20, surge=1, unavailable=0, new=same, stable=same
    ) == (3, 0)


def test_other_rs_blocks_scale_down_and_is_drained_first() -> None:
    # Scenario 10: V1 stable 3, V2 (intermediate) 1, new V3 0 at weight 20.
    v1 = RSCounts("v1", 3, 3, 3, 1)
    v2 = RSCounts("v2", 1, 1, 1, 2)
    v3 = RSCounts("v3", 0, 0, 0, 3)
    split = canary_replica_split(
        replicas=3, weight=20, surge=1, unavailable=0, new=v3, stable=v1, others=[v2]
    )
    assert split == (0, 3)  # no room: total already R + surge
    assert old_rs_scale_down(replicas=3, unavailable=0, all_rs=[v1, v2, v3], others=[v2]) == {
        "v2": 0
    }


def test_old_rs_unhealthy_pods_go_first_even_without_budget() -> None:
    v2 = RSCounts("v2", 2, available=0, replicas=2, revision=2)
    v1 = RSCounts("v1", 3, 3, 3, 1)
    assert old_rs_scale_down(replicas=3, unavailable=0, all_rs=[v1, v2], others=[v2]) == {"v2": 0}


def test_old_rs_scale_down_newest_first_within_budget() -> None:
    old1 = RSCounts("old1", 2, 2, 2, 1)
    old2 = RSCounts("old2", 2, 2, 2, 2)
    new = RSCounts("new", 4, 4, 4, 3)
    # available 8, minAvailable 4 - 1 = 3 -> budget 5: old2 -> 0, old1 -> 0 (only 2 each).
    targets = old_rs_scale_down(
        replicas=4, unavailable=1, all_rs=[old1, old2, new], others=[old1, old2]
    )
    assert targets == {"old2": 0, "old1": 0}
    new_small = RSCounts("new", 1, 1, 1, 3)
    targets = old_rs_scale_down(
        replicas=4, unavailable=1, all_rs=[old1, old2, new_small], others=[old1, old2]
    )
    assert targets == {"old2": 0}  # budget 2 spent on the newest old RS


def test_step_complete_requires_exact_counts_and_drained_others() -> None:
    kwargs = {"replicas": 3, "weight": 50, "surge": 1, "unavailable": 0}
    new = RSCounts("new", 2, 2, 2)
    stable = RSCounts("stable", 2, 2, 2)
    assert at_desired_canary_counts(new=new, stable=stable, **kwargs)
    assert not at_desired_canary_counts(new=RSCounts("new", 2, 1, 2), stable=stable, **kwargs)
    assert not at_desired_canary_counts(
        new=new, stable=stable, others=[RSCounts("old", 0, 1, 1)], **kwargs
    )


@pytest.mark.parametrize(
    ("status", "steps", "weight"),
    [
        ({}, [{"setWeight": 20}], 100),
        ({"stableRS": "a", "currentPodHash": "a"}, [{"setWeight": 20}], 100),
        ({"stableRS": "a", "currentPodHash": "b", "promoteFull": True}, [{"setWeight": 20}], 100),
        ({"stableRS": "a", "currentPodHash": "b", "abort": True}, [{"setWeight": 20}], 0),
        ({"stableRS": "a", "currentPodHash": "b", "currentStepIndex": 0}, [{"pause": {}}], 0),
        (
            {"stableRS": "a", "currentPodHash": "b", "currentStepIndex": 1},
            [{"setWeight": 20}, {"pause": {}}],
            20,
        ),
        ({"stableRS": "a", "currentPodHash": "b", "currentStepIndex": 1}, [{"setWeight": 20}], 100),
        ({"stableRS": "a", "currentPodHash": "b"}, [], 100),
    ],
)
def test_desired_canary_weight(status: dict, steps: list, weight: int) -> None:
    rollout = {"spec": {"replicas": 3, "strategy": {"canary": {"steps": steps}}}, "status": status}
    assert desired_canary_weight(rollout) == weight


def test_bluegreen_preview_replica_count() -> None:
    rollout = {
        "spec": {"replicas": 2, "strategy": {"blueGreen": {"previewReplicaCount": 1}}},
        "status": {"currentPodHash": "h2", "blueGreen": {"activeSelector": "h1"}},
    }
    active = RSCounts("ro-h1", 2, 2, 2)
    assert bluegreen_new_rs_replicas(rollout, "h2", active, "ro-h2") == 1
    assert bluegreen_new_rs_replicas(rollout, "h3", active, "ro-h3") == 1  # brand-new update
    rollout["status"]["blueGreen"]["scaleUpPreviewCheckPoint"] = True
    assert bluegreen_new_rs_replicas(rollout, "h2", active, "ro-h2") == 2
    rollout["status"]["pauseConditions"] = [{"reason": "BlueGreenPause"}]
    assert bluegreen_new_rs_replicas(rollout, "h2", active, "ro-h2") == 1
    assert bluegreen_new_rs_replicas(rollout, "h2", RSCounts("ro-h2", 2), "ro-h2") == 2
    rollout["status"]["promoteFull"] = True
    assert bluegreen_new_rs_replicas(rollout, "h2", active, "ro-h2") == 2
    del rollout["spec"]["strategy"]["blueGreen"]["previewReplicaCount"]
    rollout["status"]["promoteFull"] = False
    assert bluegreen_new_rs_replicas(rollout, "h2", active, "ro-h2") == 2


def test_rs_counts_reads_a_replicaset() -> None:
    rs = {
        "metadata": {"name": "ro-abc", "annotations": {"rollout.argoproj.io/revision": "3"}},
        "spec": {"replicas": 2},
        "status": {"replicas": 2, "availableReplicas": 1},
    }
    assert rs_counts(rs) == RSCounts("ro-abc", 2, 1, 2, 3)


def _passes(
    replicas: int, weight: int, rs: dict[str, list[int]], surge: int, unav: int
) -> dict[str, int]:
    """Reconcile passes over named RSs {name: [revision, spec]} (stable 'h1', new = highest
    revision, others in between); pods become available at once. Returns final sizes."""
    for _ in range(20):
        ordered = sorted(rs, key=lambda n: rs[n][0])
        new_name, stable_name = ordered[-1], "h1"
        counts = {n: RSCounts(n, rs[n][1], rs[n][1], rs[n][1], rs[n][0]) for n in rs}
        others = [counts[n] for n in ordered if n not in (new_name, stable_name)]
        want_new, want_stable = canary_replica_split(
            replicas=replicas, weight=weight, surge=surge, unavailable=unav,
            new=counts[new_name], stable=counts[stable_name], others=others,
        )  # fmt: skip
        if want_stable != rs[stable_name][1]:
            rs[stable_name][1] = want_stable
        elif want_new != rs[new_name][1]:
            rs[new_name][1] = want_new
        else:
            targets = old_rs_scale_down(
                replicas=replicas, unavailable=unav, all_rs=list(counts.values()), others=others
            )
            if not targets:
                return {n: rs[n][1] for n in rs}
            for name, size in targets.items():
                rs[name][1] = size
    raise AssertionError("no fixpoint")


def test_scenario10_new_template_mid_update() -> None:
    # V1 stable 3, V2 canary 1 (weight 20) -> user applies V3: V2 drained, V3 gets the canary pod.
    final = _passes(3, 20, {"h1": [1, 3], "h2": [2, 1], "h3": [3, 0]}, surge=1, unav=0)
    assert final == {"h1": 3, "h2": 0, "h3": 1}


def test_scenario3_abort_scales_canary_to_zero() -> None:
    # R=1, paused at setWeight 50 with H1:1 / H2:1; abort -> weight 0 -> H2 back to 0.
    final = _passes(1, 0, {"h1": [1, 1], "h2": [2, 1]}, surge=1, unav=0)
    assert final == {"h1": 1, "h2": 0}
    # Retry: weight 50 again -> H2 back to 1 (surge).
    assert _passes(1, 50, {"h1": [1, 1], "h2": [2, 0]}, surge=1, unav=0) == {"h1": 1, "h2": 1}


def test_scenario9_promote_to_weight_zero_then_back() -> None:
    # replicas 3, maxSurge 2, maxUnavailable 0: canary 3 / stable 0 -> weight 0 -> 0 / 3 -> 100.
    assert _passes(3, 0, {"h1": [1, 0], "h2": [2, 3]}, surge=2, unav=0) == {"h1": 3, "h2": 0}
    assert _passes(3, 100, {"h1": [1, 3], "h2": [2, 0]}, surge=2, unav=0) == {"h1": 0, "h2": 3}


NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _bg(abort_delay: int | None = None, abort: bool = True) -> dict:
    blue_green: dict = {"activeService": "a", "previewReplicaCount": 1}
    if abort_delay is not None:
        blue_green["abortScaleDownDelaySeconds"] = abort_delay
    return {
        "spec": {"replicas": 2, "strategy": {"blueGreen": blue_green}},
        "status": {"abort": abort},
    }


def test_abort_delay_defaults() -> None:
    assert abort_scale_down_delay(_bg()) == (30, False)
    assert abort_scale_down_delay(_bg(0)) == (None, True)
    assert abort_scale_down_delay(_bg(1)) == (1, True)
    assert abort_scale_down_delay(_rollout(3)) == (0, False)  # basic canary: no delay
    routed = _rollout(3, trafficRouting={"nginx": {}})
    assert abort_scale_down_delay(routed) == (30, False)


def test_bluegreen_abort_with_delay_scenario30() -> None:
    kwargs = {"normal_target": 1, "has_stable": True, "now": NOW}
    # Stable not yet fully available: leave the preview RS alone.
    assert new_rs_abort_action(_bg(1), stable_available=1, scale_down_deadline=None, **kwargs) == (
        AbortScaleAction("hold")
    )
    # Stable has all replicas: annotate the new RS with now + 1 s.
    action = new_rs_abort_action(_bg(1), stable_available=2, scale_down_deadline=None, **kwargs)
    assert action == AbortScaleAction("annotate", delay_seconds=1)
    assert scale_down_deadline_after(NOW, 1) == "2026-01-01T00:00:01Z"
    soon = NOW + timedelta(seconds=1)
    assert new_rs_abort_action(_bg(1), stable_available=2, scale_down_deadline=soon, **kwargs) == (
        AbortScaleAction("wait", requeue_seconds=1.0)
    )
    past = NOW - timedelta(seconds=1)
    assert new_rs_abort_action(_bg(1), stable_available=2, scale_down_deadline=past, **kwargs) == (
        AbortScaleAction("scale", replicas=0)
    )


def test_bluegreen_abort_delay_zero_keeps_preview_scenario27() -> None:
    action = new_rs_abort_action(
        _bg(0),
        normal_target=1,
        has_stable=True,
        stable_available=2,
        scale_down_deadline=None,
        now=NOW,
    )
    assert action == AbortScaleAction("scale", replicas=1)


def test_not_aborted_or_basic_canary_scales_normally() -> None:
    kwargs = {"normal_target": 2, "has_stable": True, "stable_available": 2, "now": NOW}
    assert new_rs_abort_action(_bg(abort=False), scale_down_deadline=None, **kwargs).kind == "scale"
    basic = {**_rollout(3), "status": {"abort": True}}
    assert new_rs_abort_action(basic, scale_down_deadline=None, **kwargs) == AbortScaleAction(
        "scale", replicas=2
    )
