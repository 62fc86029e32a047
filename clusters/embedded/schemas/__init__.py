"""Schemas of every served kind: upstream Kubernetes definitions for built-ins (from the
`kubernetes-validate` package) and Rollout Lab's own Argo Rollouts schemas (`argo_types/*.yaml`)."""

from __future__ import annotations

from typing import Any

from clusters.embedded.resources import ResourceType
from clusters.embedded.schemas.argo import ARGO_KINDS, _argo_schema
from clusters.embedded.schemas.nodes import root_schema

__all__ = ["schema_for"]


def schema_for(rt: ResourceType) -> dict[str, Any]:
    """The root schema node of a served kind (shared; do not modify)."""
    if not rt.builtin and rt.kind in ARGO_KINDS:
        return _argo_schema(rt.kind)
    schema = root_schema(rt.group, rt.version, rt.kind)
    if schema is None:
        raise LookupError(f"no schema for {rt.kind_with_group}")
    return schema
