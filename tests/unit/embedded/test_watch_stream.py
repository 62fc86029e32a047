"""Watch semantics: initial state, resume, 410, watch-list bookmark, selectors, slow watchers."""

from __future__ import annotations

import asyncio
import threading

import pytest

from clusters.embedded.clock import Clock
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError
from clusters.embedded.store import Store

NAMESPACES = find_plural("", "v1", "namespaces")
CONFIGMAPS = find_plural("", "v1", "configmaps")
PODS = find_plural("", "v1", "pods")


@pytest.fixture
def store():
    store = Store(None, Clock())
    store.create(NAMESPACES, {"metadata": {"name": "demo"}})
    yield store
    store.close()


def cm(name, labels=None, data=None):
    meta = {"name": name, "namespace": "demo", "labels": labels or {}}
    return {"metadata": meta, "data": data or {}}


def drain(watcher):
    """Everything queued right now, as (type, name) pairs."""
    events = []
    while (event := watcher.next_event(0)) is not None:
        events.append((event["type"], event["object"]["metadata"].get("name")))
    return events


def test_unset_rv_sends_current_state_then_changes(store):
    store.create(CONFIGMAPS, cm("a"))
    store.create(CONFIGMAPS, cm("b"))
    watcher = store.watch(CONFIGMAPS, "demo")
    assert drain(watcher) == [("ADDED", "a"), ("ADDED", "b")]
    store.update(CONFIGMAPS, cm("a", data={"k": "v"}))
    store.delete(CONFIGMAPS, "demo", "b")
    assert drain(watcher) == [("MODIFIED", "a"), ("DELETED", "b")]


def test_rv_zero_also_starts_with_current_state(store):
    store.create(CONFIGMAPS, cm("a"))
    assert drain(store.watch(CONFIGMAPS, None, resource_version="0")) == [("ADDED", "a")]


def test_resume_from_rv_replays_only_later_changes(store):
    first = store.create(CONFIGMAPS, cm("a"))
    store.create(CONFIGMAPS, cm("b"))
    store.update(CONFIGMAPS, cm("a", data={"x": "1"}))
    watcher = store.watch(CONFIGMAPS, "demo", resource_version=first["metadata"]["resourceVersion"])
    assert drain(watcher) == [("ADDED", "b"), ("MODIFIED", "a")]
    store.create(CONFIGMAPS, cm("c"))
    assert drain(watcher) == [("ADDED", "c")]


def test_deleted_event_carries_last_state_with_new_rv(store):
    created = store.create(CONFIGMAPS, cm("a", data={"k": "v"}))
    watcher = store.watch(
        CONFIGMAPS, "demo", resource_version=created["metadata"]["resourceVersion"]
    )
    store.delete(CONFIGMAPS, "demo", "a")
    event = watcher.next_event(0)
    assert event["type"] == "DELETED"
    assert event["object"]["data"] == {"k": "v"}
    assert int(event["object"]["metadata"]["resourceVersion"]) > int(
        created["metadata"]["resourceVersion"]
    )


def test_too_old_rv_gets_a_410_error_event_then_end():
    store = Store(None, Clock(), watch_history=5)
    store.create(NAMESPACES, {"metadata": {"name": "demo"}})
    for index in range(10):
        store.create(CONFIGMAPS, cm(f"c{index}"))
    watcher = store.watch(CONFIGMAPS, "demo", resource_version="2")
    event = watcher.next_event(0)
    assert event["type"] == "ERROR"
    status = event["object"]
    assert (status["code"], status["reason"], status["kind"]) == (410, "Expired", "Status")
    assert status["message"] == "too old resource version: 2 (6)"
    assert watcher.next_event(0) is None and watcher.ended
    # The oldest still-kept RV works.
    assert len(drain(store.watch(CONFIGMAPS, "demo", resource_version="6"))) == 5


def test_bad_rv_or_selector_is_400_before_streaming(store):
    for kwargs in ({"resource_version": "abc"}, {"label_selector": "a in b"}):
        with pytest.raises(ApiError) as caught:
            store.watch(CONFIGMAPS, "demo", **kwargs)
        assert caught.value.code == 400


def test_send_initial_events_ends_with_annotated_bookmark(store):
    store.create(CONFIGMAPS, cm("a"))
    store.create(CONFIGMAPS, cm("b"))
    watcher = store.watch(
        CONFIGMAPS,
        "demo",
        resource_version="",
        send_initial_events=True,
        allow_bookmarks=True,
        field_selector="metadata.name=b",
    )
    added = watcher.next_event(0)
    assert (added["type"], added["object"]["metadata"]["name"]) == ("ADDED", "b")
    mark = watcher.next_event(0)
    assert mark["type"] == "BOOKMARK"
    assert mark["object"] == {
        "kind": "ConfigMap",
        "apiVersion": "v1",
        "metadata": {
            "resourceVersion": store.resource_version,
            "annotations": {"k8s.io/initial-events-end": "true"},
        },
    }
    store.delete(CONFIGMAPS, "demo", "b")
    assert watcher.next_event(0)["type"] == "DELETED"


def test_send_initial_events_false_with_no_rv_starts_from_now(store):
    store.create(CONFIGMAPS, cm("a"))
    watcher = store.watch(CONFIGMAPS, "demo", send_initial_events=False)
    assert drain(watcher) == []
    store.create(CONFIGMAPS, cm("b"))
    assert drain(watcher) == [("ADDED", "b")]


def test_periodic_bookmarks_carry_the_latest_rv(store):
    watcher = store.watch(
        CONFIGMAPS, "demo", send_initial_events=False, allow_bookmarks=True, bookmark_interval=0.05
    )
    store.create(PODS, {"metadata": {"name": "p", "namespace": "demo"}, "spec": {}})

    async def first_event():
        return await asyncio.wait_for(watcher.__anext__(), 5)

    event = asyncio.run(first_event())
    assert event["type"] == "BOOKMARK"
    assert event["object"]["metadata"]["resourceVersion"] == store.resource_version


def test_selector_moves_send_added_and_deleted(store):
    watcher = store.watch(CONFIGMAPS, "demo", label_selector="app=web")
    store.create(CONFIGMAPS, cm("a", labels={"app": "db"}))
    assert drain(watcher) == []
    moved_in = store.update(CONFIGMAPS, cm("a", labels={"app": "web"}))
    event = watcher.next_event(0)
    assert event["type"] == "ADDED"
    assert event["object"]["metadata"]["resourceVersion"] == moved_in["metadata"]["resourceVersion"]
    store.update(CONFIGMAPS, cm("a", labels={"app": "web"}, data={"k": "v"}))
    assert drain(watcher) == [("MODIFIED", "a")]
    moved_out = store.update(CONFIGMAPS, cm("a", labels={"app": "db"}))
    event = watcher.next_event(0)
    assert event["type"] == "DELETED"
    assert event["object"]["metadata"]["labels"] == {"app": "web"}  # the previous content
    assert (
        event["object"]["metadata"]["resourceVersion"] == moved_out["metadata"]["resourceVersion"]
    )
    store.delete(CONFIGMAPS, "demo", "a")
    assert drain(watcher) == []


def test_namespace_and_name_scoping(store):
    store.create(NAMESPACES, {"metadata": {"name": "other"}})
    watcher = store.watch(CONFIGMAPS, "demo", name="a", send_initial_events=False)
    store.create(CONFIGMAPS, cm("a"))
    store.create(CONFIGMAPS, cm("b"))
    store.create(CONFIGMAPS, {"metadata": {"name": "a", "namespace": "other"}})
    assert drain(watcher) == [("ADDED", "a")]


def test_events_are_independent_copies(store):
    first = store.watch(CONFIGMAPS, "demo", send_initial_events=False)
    second = store.watch(CONFIGMAPS, "demo", send_initial_events=False)
    store.create(CONFIGMAPS, cm("a", data={"k": "v"}))
    event = first.next_event(0)
    event["object"]["data"]["k"] = "mutated"
    assert second.next_event(0)["object"]["data"] == {"k": "v"}
    assert store.get(CONFIGMAPS, "demo", "a")["data"] == {"k": "v"}


def test_slow_watcher_never_blocks_writes_and_is_cut_off():
    store = Store(None, Clock(), watch_queue=100)
    store.create(NAMESPACES, {"metadata": {"name": "demo"}})
    slow = store.watch(CONFIGMAPS, "demo", send_initial_events=False)
    for index in range(10_000):
        store.create(CONFIGMAPS, cm(f"c{index}"))
    assert slow.overflowed and slow.ended
    received = drain(slow)
    assert received == [("ADDED", f"c{index}") for index in range(100)]
    assert slow.next_event(0) is None
    # The client re-watches from the last RV it saw and loses nothing.
    last_rv = store.get(CONFIGMAPS, "demo", "c99")["metadata"]["resourceVersion"]
    resumed = store.watch(CONFIGMAPS, "demo", resource_version=last_rv, max_queue=10)
    assert drain(resumed) == [("ADDED", f"c{index}") for index in range(100, 10_000)]
    store.close()


def test_async_consumer_is_woken_by_writes_from_threads_and_the_loop(store):
    async def scenario():
        watcher = store.watch(CONFIGMAPS, "demo", send_initial_events=False)
        writer = threading.Thread(
            target=lambda: [store.create(CONFIGMAPS, cm(f"t{i}")) for i in range(50)]
        )
        writer.start()
        seen = [(await asyncio.wait_for(watcher.__anext__(), 5)) for _ in range(50)]
        writer.join()

        async def write_later():
            await asyncio.sleep(0.01)
            store.create(CONFIGMAPS, cm("from-loop"))

        task = asyncio.create_task(write_later())
        last = await asyncio.wait_for(watcher.__anext__(), 5)
        await task
        await watcher.close()
        with pytest.raises(StopAsyncIteration):
            await watcher.__anext__()
        return seen, last

    seen, last = asyncio.run(scenario())
    assert [e["object"]["metadata"]["name"] for e in seen] == [f"t{i}" for i in range(50)]
    assert last["object"]["metadata"]["name"] == "from-loop"


def test_async_iteration_ends_when_store_closes():
    store = Store(None, Clock())
    store.create(NAMESPACES, {"metadata": {"name": "demo"}})
    watcher = store.watch(CONFIGMAPS, "demo")

    async def consume():
        return [event async for event in watcher]

    async def scenario():
        task = asyncio.create_task(consume())
        await asyncio.sleep(0.01)
        store.close()
        return await asyncio.wait_for(task, 5)

    assert asyncio.run(scenario()) == []


def test_closed_watcher_gets_no_more_events(store):
    watcher = store.watch(CONFIGMAPS, "demo", send_initial_events=False)
    watcher.close_nowait()
    store.create(CONFIGMAPS, cm("a"))
    assert watcher.next_event(0) is None


def test_concurrent_writers_get_unique_rvs_delivered_in_order(store):
    watcher = store.watch(CONFIGMAPS, "demo", send_initial_events=False, max_queue=5000)

    def writer(prefix):
        for index in range(250):
            store.create(CONFIGMAPS, cm(f"{prefix}-{index}"))

    threads = [threading.Thread(target=writer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rvs = []
    while (event := watcher.next_event(0)) is not None:
        rvs.append(int(event["object"]["metadata"]["resourceVersion"]))
    assert len(rvs) == 1000
    assert rvs == sorted(rvs) and len(set(rvs)) == 1000
    assert rvs[-1] == int(store.resource_version)


def test_blocking_consumer_waits_for_a_write_then_gets_bookmarks(store):
    watcher = store.watch(
        CONFIGMAPS, "demo", send_initial_events=False, allow_bookmarks=True, bookmark_interval=0.2
    )
    timer = threading.Timer(0.05, lambda: store.create(CONFIGMAPS, cm("late")))
    timer.start()
    event = watcher.next_event(timeout=5)
    timer.join()
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "late")
    mark = watcher.next_event(timeout=5)
    assert mark["type"] == "BOOKMARK"
    assert mark["object"]["metadata"]["resourceVersion"] == store.resource_version
