"""Render lab manifests for a backend: agent image references, pull policy, lab namespace.

Lab folders reference agent images by their local name (`rollout-lab/task-agent:vN`).
On kind that image is loaded into the node; on a classroom cluster it must come from the
registry the instructor pushed to, so every matching container image is rewritten through
the backend's `image_ref`, with `imagePullPolicy: IfNotPresent` (tags are immutable).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from typing import Any

import yaml

from clusters.kind.pins import AGENT_IMAGE_REPOSITORY

__all__ = [
    "CLUSTER_SCOPED_KINDS",
    "MAX_MANIFEST_BYTES",
    "ManifestError",
    "dump_manifests",
    "load_manifests",
    "render_lab_manifests",
]

MAX_MANIFEST_BYTES = 1 << 20
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "ClusterAnalysisTemplate",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
    }
)
_AGENT_IMAGE = re.compile(
    r"^(?:[^/]+(?:/[^/]+)*/)?" + re.escape(AGENT_IMAGE_REPOSITORY) + r":(?P<version>v\d+)$"
)


class ManifestError(ValueError):
    """A lab manifest could not be read or rendered."""


def load_manifests(text: str) -> list[dict[str, Any]]:
    """Parse multi-document YAML (size-limited, safe loader); drops empty documents."""
    if len(text.encode("utf-8")) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"manifest larger than {MAX_MANIFEST_BYTES} bytes")
    try:
        documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as error:
        raise ManifestError(f"invalid YAML: {error}") from error
    for index, document in enumerate(documents):
        if not isinstance(document, dict) or "kind" not in document:
            raise ManifestError(f"document {index} is not a Kubernetes object (no kind)")
    return documents


def dump_manifests(documents: Iterable[dict[str, Any]]) -> str:
    """Multi-document YAML for `kubectl apply -f -`."""
    return yaml.safe_dump_all(list(documents), sort_keys=False)


def _pod_specs(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Pod specs inside a workload object (Pod, template-based kinds, CronJob, Experiment)."""
    kind = document.get("kind")
    spec = document.get("spec") or {}
    if kind == "Pod":
        return [spec]
    if kind == "CronJob":
        template = (spec.get("jobTemplate") or {}).get("spec", {}).get("template") or {}
        return [template.get("spec") or {}]
    if kind == "Experiment":
        return [
            (entry.get("template") or {}).get("spec") or {} for entry in spec.get("templates") or []
        ]
    if kind in ("AnalysisTemplate", "ClusterAnalysisTemplate", "AnalysisRun"):
        specs = []
        for metric in spec.get("metrics") or []:
            job = ((metric.get("provider") or {}).get("job") or {}).get("spec") or {}
            specs.append((job.get("template") or {}).get("spec") or {})
        return specs
    template = spec.get("template")
    if isinstance(template, dict):
        return [template.get("spec") or {}]
    return []


def render_lab_manifests(
    documents: Iterable[dict[str, Any]],
    image_ref: Callable[[str], str],
    namespace: str,
) -> list[dict[str, Any]]:
    """Copies of `documents` with agent images resolved and namespaced kinds put in `namespace`."""
    rendered = []
    for original in documents:
        document = copy.deepcopy(original)
        metadata = document.setdefault("metadata", {})
        if document.get("kind") not in CLUSTER_SCOPED_KINDS:
            metadata["namespace"] = namespace
        for pod_spec in _pod_specs(document):
            for key in ("initContainers", "containers"):
                for container in pod_spec.get(key) or []:
                    match = _AGENT_IMAGE.match(str(container.get("image", "")))
                    if match:
                        container["image"] = image_ref(match.group("version"))
                        container["imagePullPolicy"] = "IfNotPresent"
        rendered.append(document)
    return rendered
