"""What the notebooks call: open a lab, show the views, mark learner steps, run the solve path.

Notebooks stay thin — prose plus a few calls into this module. Cells that are the learner's
own steps start with `%%lab_step`; the headless solve path (`ROLLOUT_LAB_SOLVE=1`, used by the
notebook tests and by instructors) skips them and runs the notebook's marked solve cell instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from labs.runtime.cluster import ClusterNotFound, LabCluster
from labs.runtime.session import LabSession

__all__ = [
    "SOLVE",
    "cluster_summary",
    "open_lab",
    "quiz_explanations",
    "readiness_check",
    "run_lab_script",
    "show_check",
    "show_quiz",
    "show_rollout",
    "show_traffic",
    "solve_path",
    "time_note",
]

SOLVE = os.environ.get("ROLLOUT_LAB_SOLVE") == "1"


def solve_path() -> bool:
    """True when the notebook runs its solve path (tests, instructors) instead of the learner."""
    return os.environ.get("ROLLOUT_LAB_SOLVE") == "1"


def _register_magic() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - notebooks always have IPython
        return
    shell = get_ipython()
    if shell is None or "lab_step" in shell.magics_manager.magics["cell"]:
        return

    def lab_step(_line: str, cell: str) -> None:
        if solve_path():
            print("(solve path: this learner step is skipped; the solve cell does the lab)")
            return
        shell.run_cell(cell)

    shell.register_magic_function(lab_step, magic_kind="cell", magic_name="lab_step")


def time_note(scale: float) -> str:
    """One sentence about lab time at this scale."""
    if scale <= 1:
        return "Lab time runs at wall-clock speed: a 5-minute pause takes 5 minutes."
    return (
        f"Lab time runs {scale:g}x faster than the clock: a 5-minute pause takes "
        f"{300 / scale:g} seconds, an analysis every 30s measures every {30 / scale:g} s."
    )


def open_lab(lab_id: str) -> LabSession:
    """Open the lab (workspace from starter/, cluster, timeline) and say where things are."""
    _register_magic()
    lab = LabSession.open(lab_id)
    print(f"Lab: {lab.rubric.title}")
    print(f"Your files: {lab.workspace.path}")
    for path in lab.workspace.manifest_files():
        print(f"  {path.relative_to(lab.workspace.path)}")
    if lab.cluster is None:
        print(f"No cluster: {lab.cluster_problem}")
        print("Checks on your files still work (static); start the cluster for the rest.")
    else:
        print(f"Cluster: {lab.cluster.backend}, namespace {lab.namespace}")
        print(time_note(lab.time_scale))
    if solve_path():
        print("Solve path: ROLLOUT_LAB_SOLVE=1, learner steps are skipped.")
    return lab


def show_rollout(lab: LabSession, interval: float = 1.0) -> Any:
    """The live rollout view with promote/abort/retry/undo buttons."""
    from labs.widgets.rollout_view import RolloutWidget

    return RolloutWidget(lab, interval=interval)


def show_traffic(lab: LabSession, rps: float = 10.0) -> Any:
    """The live traffic view with start/stop buttons."""
    from labs.widgets.traffic_view import TrafficWidget

    return TrafficWidget(lab, rps=rps)


def show_check(lab: LabSession, *, static: bool = False, deadline: float | None = None) -> Any:
    """Grade now and show the result with re-check and next-hint buttons."""
    from labs.widgets.check_view import CheckWidget

    result = lab.check(static=static, deadline=deadline)
    return CheckWidget(lab, result, static=static)


def cluster_summary(kubeconfig: Path | None = None) -> str:
    """For the welcome notebook: which cluster, its node and namespaces, and the time scale."""
    try:
        cluster = LabCluster.discover(kubeconfig)
    except ClusterNotFound as problem:
        return f"No cluster yet: {problem}"
    lines = [f"backend: {cluster.backend}", f"kubeconfig: {cluster.kubeconfig}"]
    lines.append(time_note(cluster.time_scale))
    nodes = cluster.kubectl("get", "nodes")
    lines.append("$ kubectl get nodes\n" + nodes.text())
    return "\n".join(lines)


def readiness_check(kubeconfig: Path | None = None) -> str:
    """The welcome notebook's check: cluster reachable, a Ready node, Argo Rollouts served."""
    results: list[tuple[bool, str]] = []
    try:
        cluster = LabCluster.discover(kubeconfig)
    except ClusterNotFound as problem:
        return f"FAIL  cluster found: {problem}\nscore: 0 / 3"
    version = cluster.kubectl("version", "-o", "json")
    results.append((version.ok, "kubectl reaches the API server"))
    nodes = cluster.kubectl(
        "get", "nodes", "-o", "jsonpath={.items[*].status.conditions[?(@.type=='Ready')].status}"
    )
    results.append((nodes.ok and "True" in nodes.stdout, "the node is Ready"))
    crds = cluster.kubectl("api-resources", "--api-group=argoproj.io", "-o", "name")
    results.append(
        (crds.ok and "rollouts.argoproj.io" in crds.stdout, "Argo Rollouts kinds served")
    )
    lines = [f"{'PASS' if ok else 'FAIL'}  {title}" for ok, title in results]
    passed = sum(ok for ok, _ in results)
    lines.append(f"score: {passed} / {len(results)}")
    if passed == len(results):
        lines.append("Full marks: your lab is ready. Open notebooks/01-all-or-nothing.ipynb next.")
    return "\n".join(lines)


def show_quiz(lab: LabSession) -> Any:
    """The quiz view: choices per question, saved to your answers.yaml and checked."""
    from labs.widgets.quiz_view import QuizWidget

    return QuizWidget(lab)


def quiz_explanations(lab: LabSession) -> str:
    """Explanations of the questions you have answered (nothing for unanswered ones)."""
    from labs.runtime.quiz import explanations

    feedback = explanations(lab)
    if not feedback:
        return "Answer a question to see its explanation."
    return "\n\n".join(f"{question}: {text}" for question, text in feedback.items())


def run_lab_script(lab: LabSession, name: str, **kwargs: Any) -> Any:
    """Run a helper the lab ships in its `solve.py` (e.g. the drill's `stage_incident`)."""
    from labs.runtime.lifecycle import lab_function

    function = lab_function(lab.lab_id, name)
    if function is None:
        raise LookupError(f"labs/{lab.lab_id}/solve.py has no {name}()")
    return function(lab, **kwargs)
