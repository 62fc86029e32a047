"""The process kubelet: pods of the embedded cluster run as real local processes.

Public surface: `ProcessKubelet` (drive it with pod dicts), `PodReporter` (the seam it
reports through), `ImageCatalog`/`ImageSpec` (which images can run) and the log helpers.
"""

from clusters.embedded.kubelet.images import ImageCatalog, ImageSpec, UnsupportedCommand
from clusters.embedded.kubelet.kubelet import HOST_IP, NODE_NAME, ProcessKubelet
from clusters.embedded.kubelet.logs import current_and_previous, log_path, remove_pod_logs
from clusters.embedded.kubelet.reporter import PodReporter

__all__ = [
    "HOST_IP",
    "NODE_NAME",
    "ImageCatalog",
    "ImageSpec",
    "PodReporter",
    "ProcessKubelet",
    "UnsupportedCommand",
    "current_and_previous",
    "log_path",
    "remove_pod_logs",
]
