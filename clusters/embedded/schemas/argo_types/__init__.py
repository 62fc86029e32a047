"""Data: the Argo Rollouts schemas in Rollout Lab's compact notation (read by ../argo.py)."""
