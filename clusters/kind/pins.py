"""Pinned versions for the kind backend, in one place so a bump is one reviewed diff.

kind v0.32.0 and its default node image (Kubernetes 1.36.1, pinned by manifest-list digest,
so one pin serves amd64 and arm64); Argo Rollouts v1.9.1 from its release manifest.
Checksums are the SHA-256 of each kind release asset (`kind-<os>-<arch>`).
"""

from __future__ import annotations

__all__ = [
    "AGENT_IMAGE_REPOSITORY",
    "AGENT_VERSIONS",
    "ARGO_ROLLOUTS_CRDS",
    "ARGO_ROLLOUTS_INSTALL_URL",
    "ARGO_ROLLOUTS_NAMESPACE",
    "ARGO_ROLLOUTS_VERSION",
    "KIND_CHECKSUMS",
    "KIND_DOWNLOAD_BASE",
    "KIND_VERSION",
    "KUBERNETES_MINOR",
    "NODE_IMAGE",
]

KIND_VERSION = "v0.32.0"
NODE_IMAGE = (
    "kindest/node:v1.36.1@sha256:3489c7674813ba5d8b1a9977baea8a6e553784dab7b84759d1014dbd78f7ebd5"
)
# (major, minor) of the node image's Kubernetes, for kubectl skew checks.
KUBERNETES_MINOR = (1, 36)

KIND_DOWNLOAD_BASE = "https://kind.sigs.k8s.io/dl"
# SHA-256 of the v0.32.0 assets. There is no pin for windows-amd64: on Windows put a
# kind v0.32.0 on PATH (the lab then verifies its version instead).
KIND_CHECKSUMS: dict[str, str] = {
    "kind-linux-amd64": "50030de23cf40a18505f20426f6a8506bedf13c6e509244bd1fa9463721b0f54",
    "kind-linux-arm64": "b92cd615e97585de8ddade28ed5cd7feb4248d717c233eea5b03c37298900f5d",
    "kind-darwin-amd64": "295ac6d0d634c9819c9907df45e3017d1f13166bd13c3404c45e79f7faa47498",
    "kind-darwin-arm64": "dca67911095a110c2b5c36e26df6cac860c602033e456c0db47be498cdef1ebb",
}

ARGO_ROLLOUTS_VERSION = "v1.9.1"
ARGO_ROLLOUTS_NAMESPACE = "argo-rollouts"
ARGO_ROLLOUTS_INSTALL_URL = (
    "https://github.com/argoproj/argo-rollouts/releases/download/"
    f"{ARGO_ROLLOUTS_VERSION}/install.yaml"
)
ARGO_ROLLOUTS_CRDS = (
    "analysisruns.argoproj.io",
    "analysistemplates.argoproj.io",
    "clusteranalysistemplates.argoproj.io",
    "experiments.argoproj.io",
    "rollouts.argoproj.io",
)

AGENT_IMAGE_REPOSITORY = "rollout-lab/task-agent"
AGENT_VERSIONS = ("v1", "v2", "v3", "v4", "v5")
