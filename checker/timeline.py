"""The exercise timeline: ordered Rollout status changes, AnalysisRun phases and Events.

A recorder watches the lab namespace through the `kubernetes` client while the learner works,
so actions that the final state hides (an abort followed by a revert) stay visible.
File format: JSON Lines; the first line is a header, each further line one entry.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.views import RolloutView, dig, template_images

__all__ = [
    "WORKDIR_TIMELINE",
    "Timeline",
    "TimelineEntry",
    "TimelineError",
    "TimelineRecorder",
    "rollout_entry_data",
]

_HEADER = "rollout-lab.timeline/v1"
# Where a lab's recorder writes, relative to the learner's work folder; check/submit read it.
WORKDIR_TIMELINE = ".rollout-lab/timeline.jsonl"
_MAX_ENTRIES = 20_000
_MAX_LINE = 200_000
_STATUS_KEYS = (
    "phase",
    "message",
    "abort",
    "abortedAt",
    "currentStepIndex",
    "stableRS",
    "currentPodHash",
    "pauseConditions",
    "controllerPause",
    "promoteFull",
    "canary",
    "blueGreen",
    "observedGeneration",
)


class TimelineError(Exception):
    """A timeline file that cannot be read."""


@dataclass(frozen=True)
class TimelineEntry:
    """One observation at wall-clock time `t` (seconds): type rollout|analysisrun|event|probe."""

    t: float
    type: str
    name: str
    data: dict[str, Any]

    def rollout(self) -> RolloutView:
        """This entry as a Rollout view (entries of type `rollout` store a trimmed object)."""
        return RolloutView(self.data)


@dataclass
class Timeline:
    """Entries in time order plus the header (namespace, start time, lab time-scale)."""

    namespace: str = ""
    started_at: float = 0.0
    time_scale: float = 1.0
    entries: list[TimelineEntry] = field(default_factory=list)

    def of_type(self, kind: str, name: str | None = None) -> list[TimelineEntry]:
        return [e for e in self.entries if e.type == kind and (name is None or e.name == name)]

    def rollout_states(self, name: str) -> list[tuple[float, RolloutView]]:
        return [(e.t, e.rollout()) for e in self.of_type("rollout", name)]

    def events(self, *reasons: str) -> list[TimelineEntry]:
        return [e for e in self.of_type("event") if not reasons or e.data.get("reason") in reasons]

    def to_jsonl(self) -> str:
        header = {
            "schema": _HEADER,
            "namespace": self.namespace,
            "started_at": self.started_at,
            "time_scale": self.time_scale,
        }
        lines = [json.dumps(header, sort_keys=True)]
        for e in self.entries:
            lines.append(
                json.dumps(
                    {"t": e.t, "type": e.type, "name": e.name, "data": e.data}, sort_keys=True
                )
            )
        return "\n".join(lines) + "\n"

    @classmethod
    def from_jsonl(cls, text: str) -> Timeline:
        """Parse a timeline file; TimelineError with the line number when it is malformed."""
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise TimelineError("timeline is empty (no header line)")
        if len(lines) > _MAX_ENTRIES + 1:
            raise TimelineError(
                f"timeline has {len(lines) - 1} entries; the limit is {_MAX_ENTRIES}"
            )
        header = _json_line(lines[0], 1)
        if not isinstance(header, dict) or header.get("schema") != _HEADER:
            raise TimelineError(f"line 1: not a {_HEADER} header")
        timeline = cls(
            namespace=str(header.get("namespace") or ""),
            started_at=_number(header.get("started_at", 0.0), 1),
            time_scale=_number(header.get("time_scale", 1.0), 1) or 1.0,
        )
        for number, line in enumerate(lines[1:], start=2):
            raw = _json_line(line, number)
            if not isinstance(raw, dict) or not isinstance(raw.get("data"), dict):
                raise TimelineError(f"line {number}: entry needs t, type, name and a data object")
            timeline.entries.append(
                TimelineEntry(
                    _number(raw.get("t"), number),
                    str(raw.get("type") or ""),
                    str(raw.get("name") or ""),
                    raw["data"],
                )
            )
        timeline.entries.sort(key=lambda e: e.t)
        return timeline


def _json_line(line: str, number: int) -> Any:
    if len(line) > _MAX_LINE:
        raise TimelineError(f"line {number}: longer than {_MAX_LINE} characters")
    try:
        return json.loads(line)
    except (json.JSONDecodeError, RecursionError) as error:
        raise TimelineError(f"line {number}: not JSON ({error})") from error


def _number(value: Any, line: int) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TimelineError(f"line {line}: time must be a number of seconds")
    return float(value)


def rollout_entry_data(obj: dict[str, Any]) -> dict[str, Any]:
    """Trim a Rollout to what timeline rules read: identity, template images, status."""
    raw_status = obj.get("status")
    status: dict[str, Any] = raw_status if isinstance(raw_status, dict) else {}
    containers = [{"name": "", "image": image} for image in template_images(obj)]
    kept_status = {k: status[k] for k in _STATUS_KEYS if k in status}
    kept_status["conditions"] = [
        {k: c.get(k) for k in ("type", "status", "reason", "message")}
        for c in status.get("conditions") or []
        if isinstance(c, dict)
    ]
    return {
        "metadata": {
            "name": dig(obj, "metadata", "name"),
            "generation": dig(obj, "metadata", "generation"),
            "annotations": {
                k: v
                for k, v in (dig(obj, "metadata", "annotations") or {}).items()
                if k == "rollout.argoproj.io/revision"
            },
        },
        "spec": {"template": {"spec": {"containers": containers}}},
        "status": kept_status,
    }


def _event_data(obj: dict[str, Any]) -> dict[str, Any]:
    involved = obj.get("involvedObject") or obj.get("regarding") or {}
    return {
        "reason": obj.get("reason"),
        "message": obj.get("message") or obj.get("note"),
        "eventType": obj.get("type"),
        "involvedKind": involved.get("kind"),
        "involvedName": involved.get("name"),
        "count": obj.get("count"),
    }


def _analysisrun_data(obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "phase": dig(obj, "status", "phase"),
        "message": dig(obj, "status", "message"),
        "labels": dig(obj, "metadata", "labels") or {},
        "rollout": next(
            (
                o.get("name")
                for o in dig(obj, "metadata", "ownerReferences") or []
                if isinstance(o, dict) and o.get("kind") == "Rollout"
            ),
            None,
        ),
    }


_Stream = Callable[[str, threading.Event], Iterable[tuple[str, dict[str, Any]]]]


class TimelineRecorder:
    """Record rollouts, analysisruns and events of a namespace from watch streams, until stopped.

    With `path`, every entry is also appended to that JSONL file as it happens, so the work
    survives a restarted notebook kernel and `rollout-lab check/submit` can read it.
    `stream(kind, stop)` yields `(watch_type, object_dict)`; by default it is a `kubernetes`
    watch over the namespace (tests pass their own). Unchanged states (and re-listed
    events) are not repeated.
    """

    def __init__(
        self,
        namespace: str,
        *,
        api_client: Any = None,
        stream: _Stream | None = None,
        clock: Callable[[], float] = time.time,
        time_scale: float = 1.0,
        path: Path | None = None,
    ) -> None:
        self.timeline = Timeline(namespace=namespace, started_at=clock(), time_scale=time_scale)
        self.path = path
        if path is not None:
            self._open_file(path)
        self._stream = stream or _kubernetes_stream(api_client, namespace)
        self._clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last: dict[tuple[str, str], dict[str, Any]] = {}

    def record(self, kind: str, obj: dict[str, Any]) -> None:
        """Add one observed object (also usable directly, e.g. by a lab's probe widget)."""
        if kind == "rollouts":
            entry_type, data = "rollout", rollout_entry_data(obj)
        elif kind == "analysisruns":
            entry_type, data = "analysisrun", _analysisrun_data(obj)
        elif kind == "events":
            entry_type, data = "event", _event_data(obj)
        else:
            entry_type, data = kind, dict(obj)
        name = str(dig(obj, "metadata", "name") or obj.get("name") or "")
        with self._lock:
            key = (entry_type, name)
            if self._last.get(key) == data:
                return
            self._last[key] = data
            entry = TimelineEntry(self._clock(), entry_type, name, data)
            self.timeline.entries.append(entry)
            if self.path is not None:
                line = {"t": entry.t, "type": entry.type, "name": entry.name, "data": entry.data}
                with self.path.open("a", encoding="utf-8") as handle:
                    handle.write(json.dumps(line, sort_keys=True) + "\n")

    def _open_file(self, path: Path) -> None:
        """Continue an existing timeline file (a restarted kernel), else start one."""
        try:
            previous = Timeline.from_jsonl(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, TimelineError):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(self.timeline.to_jsonl(), encoding="utf-8")
            return
        if previous.namespace == self.timeline.namespace:
            self.timeline = previous
        else:
            path.write_text(self.timeline.to_jsonl(), encoding="utf-8")

    def start(self) -> None:
        for kind in ("rollouts", "analysisruns", "events"):
            thread = threading.Thread(target=self._pump, args=(kind,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _pump(self, kind: str) -> None:
        for watch_type, obj in self._stream(kind, self._stop):
            if self._stop.is_set():
                return
            if watch_type in ("ADDED", "MODIFIED") and isinstance(obj, dict):
                self.record(kind, obj)

    def stop(self, timeout: float = 5.0) -> Timeline:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        return self.timeline


def _kubernetes_stream(api_client: Any, namespace: str) -> _Stream:
    def stream(kind: str, stop: threading.Event) -> Iterator[tuple[str, dict[str, Any]]]:
        from kubernetes import client, watch

        if kind == "events":
            lister: Any = client.CoreV1Api(api_client).list_namespaced_event
            args: tuple[Any, ...] = (namespace,)
        else:
            lister = client.CustomObjectsApi(api_client).list_namespaced_custom_object
            args = ("argoproj.io", "v1alpha1", namespace, kind)
        resource_version: str | None = None
        while not stop.is_set():
            watcher = watch.Watch()
            options: dict[str, Any] = {"timeout_seconds": 1}
            if resource_version:
                options["resource_version"] = resource_version
            try:
                for event in watcher.stream(lister, *args, **options):
                    resource_version = watcher.resource_version
                    obj = event.get("object")
                    if not isinstance(obj, dict):
                        obj = api_client.sanitize_for_serialization(obj) if api_client else {}
                    yield str(event.get("type")), obj
                    if stop.is_set():
                        watcher.stop()
                        return
            except client.exceptions.ApiException as error:
                if error.status == 410:  # history expired: list again from scratch
                    resource_version = None
                else:
                    stop.wait(1.0)
            except Exception:  # connection dropped or cluster restarting: retry until stopped
                stop.wait(1.0)

    return stream
