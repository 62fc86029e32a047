"""Grading: pure functions over manifests, cluster snapshots and timelines -> results."""
