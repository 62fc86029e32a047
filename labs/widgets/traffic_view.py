"""The live traffic view: requests per second and urgent_ratio per agent version.

Built from the traffic process's series file. The HTML has two small SVG line plots (one line
per version, each with its own dash pattern and a version label at its end) and a table with
the same numbers; `render_text` is that table in words. Nothing is told by colour alone.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labs.runtime.traffic import TrafficPoint, VersionRates, read_series
from labs.widgets.common import LiveWidget

__all__ = [
    "TrafficViewModel",
    "TrafficWidget",
    "VersionLine",
    "build_traffic_model",
    "render_html",
    "render_text",
]

WINDOW_SECONDS = 60.0
BUCKET_SECONDS = 2.0
RECENT_SECONDS = 6.0
_DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 5")


@dataclass(frozen=True)
class VersionLine:
    """One version: recent rates, and its series of (seconds ago, rps, urgent_ratio)."""

    version: str
    rps: float
    share: float
    error_rate: float
    urgent_ratio: float
    requests: int
    series: tuple[tuple[float, float, float | None], ...]


@dataclass(frozen=True)
class TrafficViewModel:
    """What the traffic view shows: running or not, target, per-version lines."""

    running: bool
    target: str
    versions: tuple[VersionLine, ...]
    unreachable: int = 0
    window_seconds: float = WINDOW_SECONDS

    @property
    def total_rps(self) -> float:
        return sum(v.rps for v in self.versions)


def build_traffic_model(
    points: list[TrafficPoint], *, running: bool, target: str, now: float
) -> TrafficViewModel:
    """Fold series buckets into per-version recent rates and plot series."""
    recent: dict[str, VersionRates] = {}
    series: dict[str, list[tuple[float, float, float | None]]] = {}
    unreachable = 0
    recent_buckets = [p for p in points if p.t > now - RECENT_SECONDS]
    seconds = max(len(recent_buckets), 1) * BUCKET_SECONDS
    for point in recent_buckets:
        unreachable += point.unreachable
        for version, rates in point.versions.items():
            recent.setdefault(version, VersionRates(seconds=seconds)).add(rates.__dict__)
    for point in points:
        for version, rates in point.versions.items():
            ratio = rates.urgent_ratio if rates.tasks else None
            series.setdefault(version, []).append((now - point.t, rates.rps, ratio))
    total = sum(r.requests for r in recent.values())
    lines = []
    for version in sorted(set(series) | set(recent)):
        rates = recent.get(version, VersionRates(seconds=seconds))
        lines.append(
            VersionLine(
                version=version,
                rps=rates.rps,
                share=rates.requests / total if total else 0.0,
                error_rate=rates.error_rate,
                urgent_ratio=rates.urgent_ratio,
                requests=rates.requests,
                series=tuple(series.get(version, ())),
            )
        )
    return TrafficViewModel(running, target, tuple(lines), unreachable)


def render_text(model: TrafficViewModel) -> str:
    """Per-version numbers over the last few seconds, as words."""
    state = "running" if model.running else "stopped"
    lines = [f"Traffic {state}" + (f" -> {model.target}" if model.target else "")]
    recent = [v for v in model.versions if v.requests]
    if not recent:
        lines.append("  no answers in the last few seconds")
    for line in recent:
        lines.append(
            f"  {line.version}: {line.rps:.1f} req/s ({line.share:.0%} of traffic), "
            f"errors {line.error_rate:.1%}, urgent_ratio {line.urgent_ratio:.3f}"
        )
    if model.unreachable:
        lines.append(f"  unanswered requests: {model.unreachable}")
    return "\n".join(lines)


def _plot(model: TrafficViewModel, field: int, title: str, y_max: float, fmt: str) -> str:
    width, height, left, right, top, bottom = 360, 130, 40, 50, 18, 18
    inner_w, inner_h = width - left - right, height - top - bottom

    def x(ago: float) -> float:
        return left + inner_w * (1 - min(ago, model.window_seconds) / model.window_seconds)

    def y(value: float) -> float:
        return top + inner_h * (1 - min(value, y_max) / y_max if y_max else 1)

    parts = [
        f'<svg class="rl-plot" role="img" aria-label="{html.escape(title)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="12" font-size="11">{html.escape(title)}</text>',
        f'<line x1="{left}" y1="{top + inner_h}" x2="{left + inner_w}" y2="{top + inner_h}" '
        'stroke="currentColor" stroke-width="0.5"/>',
        f'<text x="2" y="{top + 8}" font-size="9">{fmt.format(y_max)}</text>',
        f'<text x="2" y="{top + inner_h}" font-size="9">0</text>',
        f'<text x="{left}" y="{height - 4}" font-size="9">-{model.window_seconds:g}s</text>',
        f'<text x="{left + inner_w - 20}" y="{height - 4}" font-size="9">now</text>',
    ]
    for index, line in enumerate(model.versions):
        values = [(s[0], s[field]) for s in line.series]
        points = [(x(ago), y(value)) for ago, value in values if value is not None]
        if not points:
            continue
        dash = _DASHES[index % len(_DASHES)]
        coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(
            f'<polyline data-version="{html.escape(line.version)}" points="{coords}" fill="none" '
            f'stroke="currentColor" stroke-width="1.5" stroke-dasharray="{dash}"/>'
        )
        last_x, last_y = points[-1]
        parts.append(
            f'<text x="{last_x + 3:.1f}" y="{last_y + 3:.1f}" font-size="10">'
            f"{html.escape(line.version)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(model: TrafficViewModel) -> str:
    """Two plots (requests/s, urgent_ratio) and the per-version table with the same numbers."""
    peak = max((s[1] for v in model.versions for s in v.series), default=1.0)
    ratio_peak = max(
        (s[2] for v in model.versions for s in v.series if s[2] is not None), default=0.0
    )
    plots = _plot(model, 1, "requests per second by version", max(peak, 1.0), "{:.0f}") + _plot(
        model, 2, "urgent_ratio by version", max(0.1, round(ratio_peak + 0.05, 1)), "{:.1f}"
    )
    rows = "".join(
        f"<tr><td>{html.escape(v.version)}</td><td>{v.rps:.1f}</td><td>{v.share:.0%}</td>"
        f"<td>{v.error_rate:.1%}</td><td>{v.urgent_ratio:.3f}</td></tr>"
        for v in model.versions
        if v.requests
    )
    state = "running" if model.running else "stopped"
    return (
        '<div class="rl-traffic-view">'
        f'<p class="rl-traffic-state">Traffic {state}'
        + (f" &rarr; {html.escape(model.target)}" if model.target else "")
        + f"</p><div>{plots}</div>"
        '<table class="rl-traffic-table" style="border-spacing: 14px 2px">'
        "<tr><th>version</th><th>req/s</th><th>share</th>"
        f"<th>errors</th><th>urgent_ratio</th></tr>{rows}</table>"
        + ("" if rows else "<p>no answers in the last few seconds</p>")
        + "</div>"
    )


class TrafficWidget(LiveWidget):
    """ipywidgets traffic view with start/stop buttons for the lab's background traffic."""

    def __init__(self, session: Any, *, rps: float = 10.0, interval: float = 2.0) -> None:
        self.session = session
        self.rps = rps
        super().__init__(title="Traffic to the agent", buttons=("start", "stop"), interval=interval)

    def model(self) -> TrafficViewModel:
        return traffic_model(self.session.traffic_series_path(), self.session.traffic())

    def render(self) -> tuple[str, str]:
        model = self.model()
        return render_html(model), render_text(model)

    def on_button(self, name: str) -> str:
        if name == "start":
            return "traffic started: " + self.session.start_traffic(rps=self.rps).describe()
        stopped = self.session.stop_traffic()
        return "traffic stopped" if stopped else "no traffic was running"


def traffic_model(series: Path, process: Any, now: float | None = None) -> TrafficViewModel:
    """The model from a series file and the running process (or None)."""
    now = time.time() if now is None else now
    points = read_series(series, since=now - WINDOW_SECONDS, bucket=BUCKET_SECONDS)
    target = process.describe() if process is not None else ""
    return build_traffic_model(points, running=process is not None, target=target, now=now)
