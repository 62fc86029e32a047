"""Text rendering of `get rollout`: the plugin's summary block and its tree table.

Same layout as upstream v1.9.1 — `%-17s` labels, then NAME/KIND/STATUS/AGE/INFO columns
aligned like Go's tabwriter (padding 2) — with a status symbol AND word on every row, so
nothing depends on colour. Colour is optional (ANSI, off by default).
"""

from __future__ import annotations

import re
from datetime import datetime

from clusters.embedded.clock import parse_timestamp
from clusters.embedded.tables_time import human_duration, since
from clusters.rollouts_client.children import AnalysisRunInfo
from clusters.rollouts_client.icons import (
    ICON_BAD,
    ICON_OK,
    ICON_PROGRESSING,
    ICON_UNKNOWN,
    ICON_WAITING,
    ICON_WARNING,
)
from clusters.rollouts_client.view import ImageInfo, ReplicaSetInfo, RolloutInfo

__all__ = ["CLEAR_SCREEN", "render_rollout", "scale_down_delay"]

CLEAR_SCREEN = "\033[H\033[2J\033[0;0H"
ICON_ROLLOUT, ICON_REVISION, ICON_REPLICASET = "⟳", "#", "⧉"
ICON_POD, ICON_JOB, ICON_ANALYSIS = "□", "⊞", "α"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_RED, _GREEN, _YELLOW, _HI_BLUE = 31, 32, 33, 94
_COLOURS = {
    ICON_WAITING: _YELLOW,
    ICON_PROGRESSING: _HI_BLUE,
    ICON_WARNING: _RED,
    ICON_UNKNOWN: _YELLOW,
    ICON_OK: _GREEN,
    ICON_BAD: _RED,
    "canary": _YELLOW,
    "stable": _GREEN,
    "active": _GREEN,
    "preview": _HI_BLUE,
    "Pending": _HI_BLUE,
    "Running": _HI_BLUE,
}


class _Painter:
    """Adds ANSI colour for well-known words when enabled; identity otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, key: str | None = None) -> str:
        code = _COLOURS.get(text if key is None else key)
        if not self.enabled or code is None:
            return text
        return f"\x1b[{code}m{text}\x1b[0m"


def scale_down_delay(deadline: str, now: datetime) -> str:
    """Time left before a ReplicaSet's scale-down deadline, or `passed`."""
    try:
        moment = parse_timestamp(deadline)
    except ValueError:
        return ""
    if moment < now:
        return "passed"
    return human_duration((moment - now).total_seconds())


def _prefixes(is_last: bool, sub_prefix: str) -> tuple[str, str]:
    if is_last:
        return sub_prefix + "└──", sub_prefix + "   "
    return sub_prefix + "├──", sub_prefix + "│  "


def _tabulate(rows: list[list[str]], padding: int = 2) -> list[str]:
    """Go tabwriter: every cell but the last is padded to its column's widest + `padding`."""
    widths: list[int] = []
    for row in rows:
        for index, cell in enumerate(row[:-1]):
            width = len(_ANSI.sub("", cell)) + padding
            if index == len(widths):
                widths.append(width)
            else:
                widths[index] = max(widths[index], width)
    lines = []
    for row in rows:
        cells = [
            cell + " " * (widths[index] - len(_ANSI.sub("", cell)))
            for index, cell in enumerate(row[:-1])
        ]
        lines.append("".join(cells) + row[-1])
    return lines


def _image_text(image: ImageInfo, paint: _Painter) -> str:
    if not image.tags:
        return image.image
    return f"{image.image} ({', '.join(paint(tag) for tag in image.tags)})"


def _summary(info: RolloutInfo, paint: _Painter) -> list[str]:
    def row(label: str, value: object) -> str:
        return f"{label:<17}{value}"

    lines = [
        row("Name:", info.name),
        row("Namespace:", info.namespace),
        row("Status:", f"{paint(info.icon)} {info.status}"),
    ]
    if info.message:
        lines.append(row("Message:", info.message))
    lines.append(row("Strategy:", info.strategy))
    if info.strategy == "Canary":
        lines.append(row("  Step:", info.step))
        lines.append(row("  SetWeight:", info.set_weight))
        lines.append(row("  ActualWeight:", info.actual_weight))
    for index, image in enumerate(info.images()):
        lines.append(row("Images:" if index == 0 else "", _image_text(image, paint)))
    lines.append("Replicas:")
    for label, value in (
        ("  Desired:", info.desired),
        ("  Current:", info.current),
        ("  Updated:", info.updated),
        ("  Ready:", info.ready),
        ("  Available:", info.available),
    ):
        lines.append(row(label, value))
    return lines


def _replicaset_rows(
    rs: ReplicaSetInfo, prefix: str, sub: str, now: datetime, paint: _Painter
) -> list[list[str]]:
    columns = [paint(tag) for tag in rs.tags]
    name = paint(rs.name, rs.tags[-1]) if rs.tags else rs.name
    if rs.scale_down_deadline:
        columns.append(f"delay:{scale_down_delay(rs.scale_down_deadline, now)}")
    rows = [
        [
            f"{prefix}{ICON_REPLICASET} {name}",
            "ReplicaSet",
            f"{paint(rs.icon)} {rs.status}",
            since(rs.created, now),
            ",".join(columns),
        ]
    ]
    for index, pod in enumerate(rs.pods):
        pod_prefix, _ = _prefixes(index == len(rs.pods) - 1, sub)
        extra = [f"ready:{pod.ready}"] + ([f"restarts:{pod.restarts}"] if pod.restarts else [])
        rows.append(
            [
                f"{pod_prefix}{ICON_POD} {pod.name}",
                "Pod",
                f"{paint(pod.icon)} {pod.status}",
                since(pod.created, now),
                ",".join(extra),
            ]
        )
    return rows


def _analysis_rows(
    run: AnalysisRunInfo, prefix: str, sub: str, now: datetime, paint: _Painter
) -> list[list[str]]:
    tallies = [
        f"{paint(icon)} {count}"
        for icon, count in (
            (ICON_OK, run.successful),
            (ICON_BAD, run.failed),
            (ICON_UNKNOWN, run.inconclusive),
            (ICON_WARNING, run.error),
        )
        if count > 0
    ]
    rows = [
        [
            f"{prefix}{ICON_ANALYSIS} {paint(run.name, run.status)}",
            "AnalysisRun",
            f"{paint(run.icon)} {run.status}",
            since(run.created, now),
            ",".join(tallies),
        ]
    ]
    for index, job in enumerate(run.jobs):
        job_prefix, _ = _prefixes(index == len(run.jobs) - 1, sub)
        rows.append(
            [
                f"{job_prefix}{ICON_JOB} {paint(job.name, job.status)}",
                "Job",
                f"{paint(job.icon)} {job.status}",
                since(job.created, now),
                "",
            ]
        )
    return rows


def _tree_rows(info: RolloutInfo, now: datetime, paint: _Painter) -> list[list[str]]:
    rows = [
        ["NAME", "KIND", "STATUS", "AGE", "INFO"],
        [
            f"{ICON_ROLLOUT} {info.name}",
            "Rollout",
            f"{paint(info.icon)} {info.status}",
            since(info.created, now),
            "",
        ],
    ]
    revisions = info.revisions()
    for position, revision in enumerate(revisions):
        prefix, sub = _prefixes(position == len(revisions) - 1, "")
        rows.append([f"{prefix}{ICON_REVISION} revision:{revision}", "", " ", "", ""])
        replicasets, runs = info.replicasets_of(revision), info.analysis_runs_of(revision)
        total, current = len(replicasets) + len(runs), 0
        for rs in replicasets:
            child_prefix, child_sub = _prefixes(current == total - 1, sub)
            rows.extend(_replicaset_rows(rs, child_prefix, child_sub, now, paint))
            current += 1
        for run in runs:
            child_prefix, child_sub = _prefixes(current == total - 1, sub)
            rows.extend(_analysis_rows(run, child_prefix, child_sub, now, paint))
            current += 1
    return rows


def render_rollout(info: RolloutInfo, now: datetime, *, color: bool = False) -> str:
    """The full `get rollout` text (summary, blank line, tree), ending with a newline."""
    paint = _Painter(color)
    lines = [*_summary(info, paint), "", *_tabulate(_tree_rows(info, now, paint))]
    return "\n".join(lines) + "\n"
