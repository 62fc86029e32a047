"""Status symbols of `kubectl argo rollouts get` (always printed next to the status word)."""

from __future__ import annotations

__all__ = [
    "ICON_BAD",
    "ICON_NEUTRAL",
    "ICON_OK",
    "ICON_PAUSED",
    "ICON_PROGRESSING",
    "ICON_UNKNOWN",
    "ICON_WAITING",
    "ICON_WARNING",
    "analysis_icon",
    "pod_icon",
    "rollout_icon",
]

ICON_WAITING = "◷"
ICON_PROGRESSING = "◌"
ICON_WARNING = "⚠"
ICON_UNKNOWN = "?"
ICON_OK = "✔"
ICON_BAD = "✖"
ICON_PAUSED = "॥"
ICON_NEUTRAL = "•"

_ROLLOUT = {
    "Progressing": ICON_PROGRESSING,
    "Error": ICON_WARNING,
    "InvalidSpec": ICON_WARNING,
    "Paused": ICON_PAUSED,
    "Healthy": ICON_OK,
    "Degraded": ICON_BAD,
    "Unknown": ICON_UNKNOWN,
    "ScaledDown": ICON_NEUTRAL,
}
_ANALYSIS = {
    "Successful": ICON_OK,
    "Inconclusive": ICON_UNKNOWN,
    "Failed": ICON_BAD,
    "Error": ICON_WARNING,
    "Running": ICON_PROGRESSING,
    "Pending": ICON_WAITING,
}
_POD = {
    "Pending": ICON_PROGRESSING,
    "Terminating": ICON_PROGRESSING,
    "ContainerCreating": ICON_PROGRESSING,
    "Running": ICON_OK,
    "Completed": ICON_OK,
    "Failed": ICON_BAD,
    "InvalidImageName": ICON_BAD,
    "CrashLoopBackOff": ICON_BAD,
    "ImagePullBackOff": ICON_WARNING,
    "RegistryUnavailable": ICON_WARNING,
    "Unknown": ICON_UNKNOWN,
}


def rollout_icon(status: str) -> str:
    return _ROLLOUT.get(status, " ")


def analysis_icon(phase: str) -> str:
    return _ANALYSIS.get(phase, " ")


def pod_icon(status: str) -> str:
    """The symbol for a pod status as `kubectl get pods` words it (Init:…, ExitCode:…)."""
    if status.startswith("Init:"):
        return ICON_PROGRESSING
    if status.startswith(("Signal:", "ExitCode:")):
        return ICON_BAD
    if status.endswith("Error") or status.startswith("Err"):
        return ICON_WARNING
    return _POD.get(status, " ")
