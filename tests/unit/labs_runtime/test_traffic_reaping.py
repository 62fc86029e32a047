"""The traffic worker's Popen is never dropped while the worker runs (Popen.__del__ would warn
"subprocess is still running"): it is reaped when stopped here or when another caller ended it."""

from __future__ import annotations

import gc
import os
import signal
import time
import warnings
from pathlib import Path

from labs.runtime import traffic
from labs.runtime.traffic import running_traffic, start_traffic, stop_traffic

UNREACHABLE = "http://127.0.0.1:9"  # the worker counts unreachable requests; no server needed


def _resource_warnings_on_collect() -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_stopping_reaps_the_worker_without_a_resource_warning(tmp_path: Path):
    process = start_traffic(UNREACHABLE, tmp_path / "series.jsonl", rps=2, state_dir=tmp_path)
    child = traffic._CHILDREN[process.pid]
    assert child.poll() is None
    stopped = stop_traffic(tmp_path)
    assert stopped is not None and stopped.pid == process.pid
    assert process.pid not in traffic._CHILDREN
    assert child.returncode is not None  # waited for: no zombie, nothing left to warn about
    del child
    assert _resource_warnings_on_collect() == []


def test_a_worker_ended_by_another_caller_is_reaped_and_forgotten(tmp_path: Path):
    process = start_traffic(UNREACHABLE, tmp_path / "series.jsonl", rps=2, state_dir=tmp_path)
    assert running_traffic(tmp_path) is not None
    os.kill(process.pid, signal.SIGTERM)  # what `rollout-lab traffic stop` does from elsewhere
    deadline = time.monotonic() + 10
    while running_traffic(tmp_path) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running_traffic(tmp_path) is None
    assert process.pid not in traffic._CHILDREN  # reaped, not kept as a zombie handle
    assert not (tmp_path / "traffic.json").exists()
    assert _resource_warnings_on_collect() == []
    assert stop_traffic(tmp_path) is None
