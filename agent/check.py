"""`python -m agent check`: judge one agent's `/stats` against bounds, as an analysis Job would.

Exit codes: 0 within bounds, 1 out of bounds, 2 could not get usable stats (the message says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = [
    "EXIT_FAIL",
    "EXIT_OK",
    "EXIT_UNREACHABLE",
    "StatsUnavailable",
    "Verdict",
    "evaluate",
    "fetch_stats",
    "run_check",
    "stats_url",
]

EXIT_OK, EXIT_FAIL, EXIT_UNREACHABLE = 0, 1, 2
_REQUIRED = {"requests": int, "errors": int, "error_rate": float, "urgent_ratio": float}


class StatsUnavailable(RuntimeError):
    """The stats endpoint could not be reached or did not answer with usable JSON."""


@dataclass(frozen=True)
class Verdict:
    """The outcome of one check and its one-line explanation."""

    passed: bool
    line: str

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.passed else EXIT_FAIL


def stats_url(url: str) -> str:
    """The `/stats` URL for a base URL (a URL already ending in /stats is kept)."""
    trimmed = url.rstrip("/")
    return trimmed if trimmed.endswith("/stats") else f"{trimmed}/stats"


def fetch_stats(
    url: str, timeout: float = 5.0, transport: httpx.BaseTransport | None = None
) -> dict[str, Any]:
    """GET the stats JSON and check the fields the verdict needs; raise `StatsUnavailable`."""
    target = stats_url(url)
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.get(target)
    except httpx.HTTPError as error:
        raise StatsUnavailable(f"cannot reach {target}: {error or type(error).__name__}") from error
    if response.status_code != 200:
        raise StatsUnavailable(f"{target} answered HTTP {response.status_code}")
    try:
        data = response.json()
    except ValueError as error:
        raise StatsUnavailable(f"{target} did not answer JSON: {error}") from error
    if not isinstance(data, dict):
        raise StatsUnavailable(f"{target} answered {type(data).__name__}, expected an object")
    for name, kind in _REQUIRED.items():
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise StatsUnavailable(f"{target} has no numeric {name!r} field")
        if kind is int and not isinstance(value, int):
            raise StatsUnavailable(f"{target} field {name!r} is not an integer")
    return data


def evaluate(
    stats: dict[str, Any],
    max_error_rate: float,
    max_urgent_ratio: float | None = None,
    min_requests: int = 0,
) -> Verdict:
    """Compare stats with the bounds; the line names every breached bound."""
    problems = []
    if stats["requests"] < min_requests:
        problems.append(f"requests {stats['requests']} < {min_requests}")
    if stats["error_rate"] > max_error_rate:
        problems.append(f"error_rate {stats['error_rate']:.4f} > {max_error_rate:g}")
    if max_urgent_ratio is not None and stats["urgent_ratio"] > max_urgent_ratio:
        problems.append(f"urgent_ratio {stats['urgent_ratio']:.4f} > {max_urgent_ratio:g}")
    figures = (
        f"version={stats.get('version', '?')} pod={stats.get('pod', '?')} "
        f"requests={stats['requests']} errors={stats['errors']} "
        f"error_rate={stats['error_rate']:.4f} urgent_ratio={stats['urgent_ratio']:.4f}"
    )
    if problems:
        return Verdict(False, f"FAIL {'; '.join(problems)} ({figures})")
    return Verdict(True, f"PASS {figures}")


def run_check(
    url: str,
    max_error_rate: float,
    max_urgent_ratio: float | None = None,
    min_requests: int = 0,
    timeout: float = 5.0,
    transport: httpx.BaseTransport | None = None,
) -> tuple[int, str]:
    """Fetch and judge; returns (exit code, the line to print)."""
    try:
        stats = fetch_stats(url, timeout=timeout, transport=transport)
    except StatsUnavailable as error:
        return EXIT_UNREACHABLE, f"ERROR {error}"
    verdict = evaluate(stats, max_error_rate, max_urgent_ratio, min_requests)
    return verdict.exit_code, verdict.line
