"""Every in-process controller of the embedded cluster, in start order.

Each entry is (module, class); the class is built with `(store, clock, state_dir)` keyword
arguments it accepts. Adding a controller is one line here.
"""

from __future__ import annotations

CONTROLLERS: tuple[tuple[str, str], ...] = (
    ("clusters.embedded.controllers.scheduler", "SchedulerController"),
    ("clusters.embedded.controllers.replicaset", "ReplicaSetController"),
    ("clusters.embedded.controllers.deployment", "DeploymentController"),
    ("clusters.embedded.controllers.endpoints", "EndpointsController"),
    ("clusters.embedded.rollouts.controller", "RolloutController"),
    ("clusters.embedded.controllers.job", "JobController"),
    ("clusters.embedded.analysis.controller", "AnalysisRunController"),
)
