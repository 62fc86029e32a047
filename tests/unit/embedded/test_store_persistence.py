"""SQLite write-through: acknowledged writes survive kill -9 and RVs keep increasing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from clusters.embedded.clock import Clock
from clusters.embedded.resources import find_plural
from clusters.embedded.store import Store

NAMESPACES = find_plural("", "v1", "namespaces")
CONFIGMAPS = find_plural("", "v1", "configmaps")
REPO = Path(__file__).resolve().parents[3]

# Writes configmaps forever, printing each acknowledged (name, RV) as soon as create returns.
WRITER = """
import sys
from pathlib import Path
from clusters.embedded.clock import Clock
from clusters.embedded.resources import find_plural
from clusters.embedded.store import Store

store = Store(Path(sys.argv[1]), Clock())
namespaces = find_plural("", "v1", "namespaces")
configmaps = find_plural("", "v1", "configmaps")
store.create(namespaces, {"metadata": {"name": "demo"}})
index = 0
while True:
    meta = {"name": f"c{index}", "namespace": "demo"}
    created = store.create(configmaps, {"metadata": meta, "data": {"i": str(index)}})
    print(created["metadata"]["name"], created["metadata"]["resourceVersion"], flush=True)
    index += 1
"""


def test_acknowledged_writes_survive_kill_9(tmp_path):
    db = tmp_path / "cluster.db"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True, env=env
    )
    acknowledged: list[tuple[str, int]] = []
    try:
        assert writer.stdout is not None
        while len(acknowledged) < 200:
            line = writer.stdout.readline()
            assert line, "writer died before acknowledging 200 writes"
            name, rv = line.split()
            acknowledged.append((name, int(rv)))
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.kill()
        writer.wait(timeout=10)
        if writer.stdout is not None:
            writer.stdout.close()
    assert writer.returncode == -signal.SIGKILL

    store = Store(db, Clock())
    try:
        for name, rv in acknowledged:
            stored = store.get(CONFIGMAPS, "demo", name)
            assert int(stored["metadata"]["resourceVersion"]) == rv
            assert stored["data"] == {"i": name[1:]}
        last_acknowledged = acknowledged[-1][1]
        assert int(store.resource_version) >= last_acknowledged
        after = store.create(CONFIGMAPS, {"metadata": {"name": "after", "namespace": "demo"}})
        stored_rvs = [
            int(item["metadata"]["resourceVersion"])
            for item in store.list(CONFIGMAPS, None).items
            if item["metadata"]["name"] != "after"
        ]
        assert int(after["metadata"]["resourceVersion"]) > max(stored_rvs)
        assert int(after["metadata"]["resourceVersion"]) > last_acknowledged
    finally:
        store.close()


def test_updates_and_deletes_persist_and_rv_continues(tmp_path):
    db = tmp_path / "cluster.db"
    first = Store(db, Clock())
    first.create(NAMESPACES, {"metadata": {"name": "demo"}})
    kept = first.create(CONFIGMAPS, {"metadata": {"name": "kept", "namespace": "demo"}})
    first.create(CONFIGMAPS, {"metadata": {"name": "gone", "namespace": "demo"}})
    kept["data"] = {"v": "2"}
    kept = first.update(CONFIGMAPS, kept)
    deleted = first.delete(CONFIGMAPS, "demo", "gone")
    last_rv = int(deleted["metadata"]["resourceVersion"])
    first.close()

    second = Store(db, Clock())
    try:
        assert second.resource_version == str(last_rv)
        assert [o["metadata"]["name"] for o in second.list(CONFIGMAPS, "demo").items] == ["kept"]
        assert second.get(CONFIGMAPS, "demo", "kept") == kept
        # History does not survive a restart: resuming from before it is 410, from now works.
        stale = second.watch(CONFIGMAPS, "demo", resource_version=str(last_rv - 1))
        assert stale.next_event(0)["object"]["code"] == 410
        fresh = second.watch(CONFIGMAPS, "demo", resource_version=str(last_rv))
        second.create(CONFIGMAPS, {"metadata": {"name": "new", "namespace": "demo"}})
        event = fresh.next_event(0)
        assert event["type"] == "ADDED"
        assert int(event["object"]["metadata"]["resourceVersion"]) == last_rv + 1
    finally:
        second.close()


def test_owner_index_is_rebuilt_on_restart(tmp_path):
    db = tmp_path / "cluster.db"
    first = Store(db, Clock())
    first.create(NAMESPACES, {"metadata": {"name": "demo"}})
    owner = first.create(CONFIGMAPS, {"metadata": {"name": "owner", "namespace": "demo"}})
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": owner["metadata"]["uid"],
    }
    first.create(
        CONFIGMAPS, {"metadata": {"name": "dep", "namespace": "demo", "ownerReferences": [ref]}}
    )
    first.close()
    second = Store(db, Clock())
    try:
        second.delete(CONFIGMAPS, "demo", "owner")
        assert second.list(CONFIGMAPS, "demo").items == []
    finally:
        second.close()
