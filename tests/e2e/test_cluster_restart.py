"""Crash safety: after `kill -9` and a restart on the same state dir, objects, resource
versions, the port, the kubeconfig and watch resume from a pre-crash RV are all intact."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from conftest import raw_client

from clusters.embedded.cluster import ClusterStartError, EmbeddedCluster


def _watch_lines(cluster: EmbeddedCluster, path: str) -> list[dict]:
    with raw_client(cluster) as session, session.stream("GET", path) as response:
        assert response.status_code == 200
        return [json.loads(line) for line in response.iter_lines() if line]


def test_kill_9_then_restart_keeps_objects_rvs_and_watch_resume(tmp_path: Path) -> None:
    first = EmbeddedCluster(tmp_path / "state", workloads=False).start()
    try:
        with raw_client(first) as api:
            assert api.post("/api/v1/namespaces", json={"metadata": {"name": "keep"}}).is_success
            cm_path = "/api/v1/namespaces/keep/configmaps"
            assert api.post(cm_path, json={"metadata": {"name": "one"}, "data": {"a": "1"}})
            later = [
                api.post(
                    cm_path, json={"metadata": {"name": f"n{i}"}, "data": {"i": str(i)}}
                ).json()
                for i in range(3)
            ]
            listed = api.get(cm_path).json()
            # What a watching client last saw before the crash: it resumes from here.
            mark = listed["metadata"]["resourceVersion"]
        kubeconfig = first.kubeconfig_path.read_text()
        url = first.api_url
        assert first.pid is not None
        os.kill(first.pid, signal.SIGKILL)
        first.kill()
    finally:
        first.stop()

    second = EmbeddedCluster(tmp_path / "state", workloads=False).start()
    try:
        assert second.api_url == url
        assert second.kubeconfig_path.read_text() == kubeconfig
        with raw_client(second) as api:
            after = api.get(cm_path).json()
            assert [
                (o["metadata"]["name"], o["metadata"]["uid"], o["metadata"]["resourceVersion"])
                for o in after["items"]
            ] == [
                (o["metadata"]["name"], o["metadata"]["uid"], o["metadata"]["resourceVersion"])
                for o in listed["items"]
            ]
            newer = api.post(cm_path, json={"metadata": {"name": "post-crash"}}).json()
            newest_before = max(int(o["metadata"]["resourceVersion"]) for o in later)
            assert int(newer["metadata"]["resourceVersion"]) > newest_before
        events = _watch_lines(
            second, f"{cm_path}?watch=true&resourceVersion={mark}&timeoutSeconds=1"
        )
        assert [(e["type"], e["object"]["metadata"].get("name")) for e in events] == [
            ("ADDED", "post-crash")
        ]
        assert (
            events[0]["object"]["metadata"]["resourceVersion"]
            == (newer["metadata"]["resourceVersion"])
        )
    finally:
        second.stop()


def test_start_fails_clearly_when_the_server_cannot_start(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "store.db").write_text("this is not a sqlite database")
    with pytest.raises(ClusterStartError) as failure:
        EmbeddedCluster(state, startup_timeout=20, workloads=False).start()
    assert "exited" in str(failure.value)


def test_a_second_server_on_a_running_state_dir_is_refused(tmp_path: Path) -> None:
    with EmbeddedCluster(tmp_path / "state", workloads=False) as running:
        assert running.running and running.pid is not None
        with pytest.raises(ClusterStartError) as failure:
            EmbeddedCluster(tmp_path / "state", workloads=False).start()
        assert f"pid {running.pid}" in str(failure.value)
    assert not running.running
    assert not (tmp_path / "state" / "server.pid").exists()  # clean shutdown removes it
