"""Facts the lab texts teach, checked against the controller code the labs run on: the pod split
behind `setWeight` without a traffic router (canary-by-hand README, quiz explanations)."""

from __future__ import annotations

from pathlib import Path

from clusters.embedded.rollouts.replicas import approximate_canary_split, max_surge

LABS = Path(__file__).resolve().parents[3] / "labs"


def _split(weight: int) -> tuple[int, int]:
    rollout = {"spec": {"replicas": 3, "strategy": {"canary": {}}}}
    return approximate_canary_split(3, weight, max_surge(rollout))


def test_twenty_percent_of_three_replicas_is_one_canary_next_to_three_stable() -> None:
    assert _split(20) == (1, 3)
    canary, stable = _split(20)
    assert canary / (canary + stable) == 0.25  # "about 25% of requests", not 20%
    assert _split(50) == (2, 2)
    readme = (LABS / "canary-by-hand" / "README.md").read_text(encoding="utf-8")
    assert "20% gives 1 canary pod next to\n  3 stable ones, and 50% gives 2 and 2" in readme
    explanations = (LABS / "choose-a-strategy" / "explanations.yaml").read_text(encoding="utf-8")
    assert "1 canary pod next to\n  3 stable ones" in explanations
    assert "about 25% of requests" in explanations
