"""Reference path of the canary-analysis lab: v1 Healthy under traffic; the loud v4 and then the
quiet v3 each released, aborted by the analysis (error rate, urgent ratio), and undone to v1.

`solve(session)` is called by `rollout-lab lab solve canary-analysis` and the notebook's
skip-ahead cell (labs/runtime/lifecycle.py loads this file by path); `session` is a `LabSession`.
"""

from __future__ import annotations

from typing import Any

# v4 answers a third of its requests with HTTP 500; v3 answers them all but marks ~4x as many
# tasks P0. The solution's analysis bounds both, so each is aborted at its first canary step.
FAULTY_RELEASES = ("v4", "v3")


def release_aborted_then_undone(session: Any, version: str, timeout: float) -> None:
    """Release `version`, wait for the analysis to abort it, then undo back to the last good."""
    session.release(version)
    session.wait_phase("Degraded", timeout=timeout, abort=True)
    session.action("undo")
    session.wait_phase("Healthy", timeout=timeout)


def solve(session: Any, *, timeout: float = 120, traffic: bool = True) -> None:
    """Drive the lab to its end state: v4 and v3 both aborted by the analysis, back on v1.

    Without traffic the canary answers no requests and the analysis has nothing to fail on, so
    `traffic=False` only applies the solution and waits for Healthy."""
    session.workspace.use_solution()
    applied = session.apply()
    if not applied.ok:
        raise RuntimeError(f"kubectl apply failed:\n{applied.text()}")
    session.wait_phase("Healthy", timeout=timeout)
    if not traffic:
        return
    session.start_traffic(rps=12)
    session.wait_for_traffic()
    for version in FAULTY_RELEASES:
        release_aborted_then_undone(session, version, timeout)
