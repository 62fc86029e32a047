"""The embedded Argo Rollouts controller, one module per concern."""
