"""Command groups of the `rollout-lab` CLI; each module defines `register(subparsers)`."""
