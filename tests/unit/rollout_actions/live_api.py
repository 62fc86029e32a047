"""`LiveApi`: the in-process API server, its request recorder and helpers to seed objects."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from capture_server import CapturingApp

from clusters.rollouts_client import RolloutsApi

_PATHS = {
    "Rollout": "/apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts",
    "AnalysisRun": "/apis/argoproj.io/v1alpha1/namespaces/{ns}/analysisruns",
    "ReplicaSet": "/apis/apps/v1/namespaces/{ns}/replicasets",
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
    "Pod": "/api/v1/namespaces/{ns}/pods",
}


@dataclass
class LiveApi:
    """The running server, its recorder, a seeding HTTP client and our API seam."""

    url: str
    capture: CapturingApp
    http: httpx.Client
    api: RolloutsApi

    def create(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Create `obj` (status included, via the status subresource) without recording."""
        self.capture.recording = False
        try:
            body = {k: v for k, v in obj.items() if k != "status"}
            body["metadata"] = {
                k: v
                for k, v in obj["metadata"].items()
                if k not in ("uid", "creationTimestamp", "generation", "resourceVersion")
            }
            base = _PATHS[obj["kind"]].format(ns=obj["metadata"]["namespace"])
            created = self.http.post(base, json=body)
            created.raise_for_status()
            result = created.json()
            if obj.get("status"):
                path = f"{base}/{obj['metadata']['name']}/status"
                patched = self.http.patch(
                    path,
                    json={"status": obj["status"]},
                    headers={"Content-Type": "application/merge-patch+json"},
                )
                patched.raise_for_status()
                result = patched.json()
            return dict(result)
        finally:
            self.capture.recording = True

    def namespace(self, name: str) -> None:
        self.capture.recording = False
        try:
            self.http.post("/api/v1/namespaces", json={"metadata": {"name": name}})
        finally:
            self.capture.recording = True

    def read(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        self.capture.recording = False
        try:
            answer = self.http.get(f"{_PATHS[kind].format(ns=namespace)}/{name}")
            answer.raise_for_status()
            return dict(answer.json())
        finally:
            self.capture.recording = True
