"""The CustomResourceDefinitions of the Argo kinds, as the embedded server stores and serves
them (read-only): names, short names, printer columns, subresources and our schemas."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from clusters.embedded.resources import RESOURCES, ResourceType
from clusters.embedded.schemas.argo import argo_schema

__all__ = ["ARGO_VERSION", "argo_crds", "crd_for", "printer_columns"]

ARGO_VERSION = "v1.9.1"
_AGE = {"jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"}
_PRINTER_COLUMNS: dict[str, list[dict[str, Any]]] = {
    "Rollout": [
        {
            "description": "Number of desired pods",
            "jsonPath": ".spec.replicas",
            "name": "Desired",
            "type": "integer",
        },
        {
            "description": "Total number of non-terminated pods targeted by this rollout",
            "jsonPath": ".status.replicas",
            "name": "Current",
            "type": "integer",
        },
        {
            "description": "Total number of non-terminated pods targeted by this rollout that "
            "have the desired template spec",
            "jsonPath": ".status.updatedReplicas",
            "name": "Up-to-date",
            "type": "integer",
        },
        {
            "description": "Total number of available pods (ready for at least "
            "minReadySeconds) targeted by this rollout",
            "jsonPath": ".status.availableReplicas",
            "name": "Available",
            "type": "integer",
        },
        _AGE,
    ],
    "AnalysisRun": [
        {
            "description": "AnalysisRun status",
            "jsonPath": ".status.phase",
            "name": "Status",
            "type": "string",
        },
        _AGE,
    ],
    "Experiment": [
        {
            "description": "Experiment status",
            "jsonPath": ".status.phase",
            "name": "Status",
            "type": "string",
        },
        _AGE,
    ],
    "AnalysisTemplate": [_AGE],
    "ClusterAnalysisTemplate": [_AGE],
}


def printer_columns(kind: str) -> list[dict[str, Any]]:
    """The CRD `additionalPrinterColumns` of an Argo kind (Name is not among them)."""
    return copy.deepcopy(_PRINTER_COLUMNS.get(kind, [_AGE]))


def _subresources(rt: ResourceType) -> dict[str, Any]:
    subresources: dict[str, Any] = {}
    if rt.subresource("status"):
        subresources["status"] = {}
    if rt.subresource("scale"):
        subresources["scale"] = {
            "specReplicasPath": rt.extra.get("scale.spec", ".spec.replicas"),
            "statusReplicasPath": rt.extra.get("scale.status", ".status.replicas"),
            "labelSelectorPath": rt.extra.get("scale.selector", ".status.selector"),
        }
    return subresources


def _names(rt: ResourceType) -> dict[str, Any]:
    names: dict[str, Any] = {
        "kind": rt.kind,
        "listKind": rt.list_kind,
        "plural": rt.plural,
        "singular": rt.singular,
    }
    if rt.short_names:
        names["shortNames"] = list(rt.short_names)
    if rt.categories:
        names["categories"] = list(rt.categories)
    return names


def _crd(rt: ResourceType, established_at: str) -> dict[str, Any]:
    version: dict[str, Any] = {
        "name": rt.version,
        "served": True,
        "storage": True,
        "schema": {"openAPIV3Schema": argo_schema(rt.kind)},
        "additionalPrinterColumns": printer_columns(rt.kind),
    }
    subresources = _subresources(rt)
    if subresources:
        version["subresources"] = subresources
    condition = {"status": "True", "lastTransitionTime": established_at}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": rt.qualified_name,
            "labels": {
                "app.kubernetes.io/component": "rollouts-controller",
                "app.kubernetes.io/name": "argo-rollouts",
                "app.kubernetes.io/part-of": "argo-rollouts",
                "app.kubernetes.io/version": ARGO_VERSION,
            },
        },
        "spec": {
            "group": rt.group,
            "names": _names(rt),
            "scope": "Namespaced" if rt.namespaced else "Cluster",
            "versions": [version],
        },
        "status": {
            "acceptedNames": _names(rt),
            "conditions": [
                {
                    "type": "NamesAccepted",
                    "reason": "NoConflicts",
                    "message": "no conflicts found",
                    **condition,
                },
                {
                    "type": "Established",
                    "reason": "InitialNamesAccepted",
                    "message": "the initial names have been accepted",
                    **condition,
                },
            ],
            "storedVersions": [rt.version],
        },
    }


@cache
def _all_crds(established_at: str) -> tuple[dict[str, Any], ...]:
    return tuple(_crd(rt, established_at) for rt in RESOURCES if not rt.builtin)


def argo_crds(*, established_at: str = "1970-01-01T00:00:00Z") -> list[dict[str, Any]]:
    """CRD objects for every custom kind in the registry (fresh copies; the server adds uid,
    resourceVersion and creationTimestamp)."""
    return copy.deepcopy(list(_all_crds(established_at)))


def crd_for(rt: ResourceType) -> dict[str, Any] | None:
    """The CRD of one custom kind, or None for built-ins."""
    return next((crd for crd in argo_crds() if crd["metadata"]["name"] == rt.qualified_name), None)
