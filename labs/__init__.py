"""The lab catalog, the learner runtime (widgets, traffic, progress) and the `rollout-lab` CLI."""
