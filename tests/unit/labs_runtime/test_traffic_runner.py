"""The background traffic process: series lines, buckets, start/stop through the state file."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from agent.app import create_app
from agent.server import ServerThread
from labs.runtime.traffic import read_series, running_traffic, start_traffic, stop_traffic
from labs.runtime.traffic_worker import tick_line


def test_tick_line_is_the_difference_between_snapshots():
    before = {"v1": (10, 0, 40, 3)}
    after = {"v1": (14, 0, 58, 4), "v3": (2, 0, 10, 3)}
    line = tick_line(before, after, 1, 123.4567)
    assert line == {
        "t": 123.457,
        "versions": {
            "v1": {"requests": 4, "errors": 0, "tasks": 18, "urgent": 1},
            "v3": {"requests": 2, "errors": 0, "tasks": 10, "urgent": 3},
        },
        "unreachable": 1,
    }
    assert tick_line(after, after, 0, 1.0)["versions"] == {}


def test_read_series_buckets_rates_per_version(tmp_path: Path):
    series = tmp_path / "traffic.jsonl"
    lines = [
        {"t": 100.5, "versions": {"v1": {"requests": 6, "errors": 0, "tasks": 30, "urgent": 2}}},
        {"t": 101.5, "versions": {"v1": {"requests": 4, "errors": 1, "tasks": 10, "urgent": 0}}},
        {"t": 102.5, "versions": {"v4": {"requests": 2, "errors": 1, "tasks": 5, "urgent": 0}}},
    ]
    series.write_text("\n".join(json.dumps(x) for x in lines) + "\ngarbage\n")
    points = read_series(series, bucket=2.0)
    assert [p.t for p in points] == [102.0, 104.0]
    first = points[0].versions["v1"]
    assert (first.requests, first.errors, first.rps) == (10, 1, 5.0)
    assert first.urgent_ratio == 2 / 40
    assert points[1].versions["v4"].error_rate == 0.5
    assert read_series(series, since=102.0, bucket=2.0)[0].versions.keys() == {"v4"}
    assert read_series(tmp_path / "missing.jsonl") == []


def test_a_stale_state_file_is_not_a_running_process(tmp_path: Path):
    state = tmp_path / "traffic.json"
    record = {"pid": os.getpid(), "target": "http://x", "rps": 1, "series": "s"}
    state.write_text(json.dumps(record))
    assert running_traffic(tmp_path) is None  # our pid is alive but is no traffic worker
    assert not state.exists()
    assert stop_traffic(tmp_path) is None


def test_start_then_stop_from_another_caller(tmp_path: Path):
    series = tmp_path / "ws" / ".progress" / "traffic.jsonl"
    with ServerThread(create_app("v3")) as server:
        process = start_traffic(server.url, series, rps=20, lab="demo", state_dir=tmp_path)
        try:
            # Another caller (the CLI, a restarted kernel) finds it through the state file.
            found = running_traffic(tmp_path)
            assert found is not None and found.pid == process.pid and found.lab == "demo"
            deadline = time.monotonic() + 20
            points = []
            while time.monotonic() < deadline and not points:
                points = [p for p in read_series(series) if "v3" in p.versions]
                time.sleep(0.2)
            assert points, "the traffic process wrote no answers"
            assert points[0].versions["v3"].urgent_ratio > 0.15  # v3 is the urgent-heavy one
        finally:
            stopped = stop_traffic(tmp_path)
    assert stopped is not None and stopped.pid == process.pid
    assert running_traffic(tmp_path) is None
    assert not (tmp_path / "traffic.json").exists()
