"""How you get a cluster (embedded, kind, existing) and client-side Rollout operations."""
