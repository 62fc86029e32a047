"""The learner runtime: workspace, progress, cluster access, traffic and lab sessions.

Notebooks call `LabSession.open(lab_id)` and the widgets in `labs.widgets`; the CLI
(`rollout-lab lab|traffic|demo`) uses the same functions.
"""

from labs.runtime.cluster import ClusterNotFound, KubectlResult, LabCluster
from labs.runtime.lifecycle import LabStatus, find_solver, lab_statuses, reset_lab, solve_lab
from labs.runtime.progress import ProgressStore, ProgressSummary
from labs.runtime.session import LabSession, WaitTimeout
from labs.runtime.targets import TargetNotFound, TrafficTarget
from labs.runtime.traffic import (
    TrafficProcess,
    read_series,
    running_traffic,
    start_traffic,
    stop_traffic,
)
from labs.runtime.workspace import Workspace, workspace_root

__all__ = [
    "ClusterNotFound",
    "KubectlResult",
    "LabCluster",
    "LabSession",
    "LabStatus",
    "ProgressStore",
    "ProgressSummary",
    "TargetNotFound",
    "TrafficProcess",
    "TrafficTarget",
    "WaitTimeout",
    "Workspace",
    "find_solver",
    "lab_statuses",
    "read_series",
    "reset_lab",
    "running_traffic",
    "solve_lab",
    "start_traffic",
    "stop_traffic",
    "workspace_root",
]
