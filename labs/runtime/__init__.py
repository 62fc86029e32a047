"""The learner runtime: workspace, progress, cluster access, traffic and lab sessions.

Notebooks call `LabSession.open(lab_id)` and the widgets in `labs.widgets`; the CLI
(`rollout-lab lab|traffic|demo`) uses the same functions. Names are imported on first use,
so the traffic process (`python -m labs.runtime.traffic_worker`) starts without loading the
checker and the Kubernetes client.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ClusterNotFound": "cluster",
    "KubectlResult": "cluster",
    "LabCluster": "cluster",
    "LabStatus": "lifecycle",
    "find_solver": "lifecycle",
    "lab_function": "lifecycle",
    "lab_statuses": "lifecycle",
    "reset_lab": "lifecycle",
    "solve_lab": "lifecycle",
    "ProgressStore": "progress",
    "ProgressSummary": "progress",
    "LabSession": "session",
    "WaitTimeout": "session",
    "TargetNotFound": "targets",
    "TrafficTarget": "targets",
    "TrafficProcess": "traffic",
    "read_series": "traffic",
    "running_traffic": "traffic",
    "start_traffic": "traffic",
    "stop_traffic": "traffic",
    "Workspace": "workspace",
    "workspace_root": "workspace",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'labs.runtime' has no attribute {name!r}")
    return getattr(importlib.import_module(f"labs.runtime.{module}"), name)
