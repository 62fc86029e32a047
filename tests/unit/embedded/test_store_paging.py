"""Lists: namespaces, selectors, limit/continue paging that stays consistent, token errors."""

from __future__ import annotations

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
    for ns in ("demo", "other"):
        store.create(NAMESPACES, {"metadata": {"name": ns}})
    yield store
    store.close()


def fill(store, count, namespace="demo"):
    for index in range(count):
        labels = {"parity": "even" if index % 2 == 0 else "odd"}
        meta = {"name": f"c{index:02d}", "namespace": namespace, "labels": labels}
        store.create(CONFIGMAPS, {"metadata": meta})


def names(result):
    return [item["metadata"]["name"] for item in result.items]


def test_list_scopes_by_namespace_and_sorts(store):
    fill(store, 3)
    fill(store, 2, "other")
    assert names(store.list(CONFIGMAPS, "demo")) == ["c00", "c01", "c02"]
    everything = store.list(CONFIGMAPS, None)
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everything.items] == [
        ("demo", "c00"),
        ("demo", "c01"),
        ("demo", "c02"),
        ("other", "c00"),
        ("other", "c01"),
    ]
    assert everything.resource_version == store.resource_version
    assert everything.continue_token is None and everything.remaining is None


def test_list_applies_label_and_field_selectors(store):
    fill(store, 6)
    assert names(store.list(CONFIGMAPS, "demo", label_selector="parity=odd")) == [
        "c01",
        "c03",
        "c05",
    ]
    selected = store.list(
        CONFIGMAPS, None, label_selector="parity in (even)", field_selector="metadata.name!=c00"
    )
    assert names(selected) == ["c02", "c04"]


def test_bad_selectors_are_400(store):
    for kwargs in ({"label_selector": "parity in odd"}, {"field_selector": "data.x=1"}):
        with pytest.raises(ApiError) as caught:
            store.list(CONFIGMAPS, "demo", **kwargs)
        assert caught.value.code == 400


def test_paging_walks_every_item_once_with_remaining_counts(store):
    fill(store, 7)
    first = store.list(CONFIGMAPS, "demo", limit=3)
    assert names(first) == ["c00", "c01", "c02"]
    assert first.remaining == 4 and first.continue_token
    second = store.list(CONFIGMAPS, "demo", limit=3, continue_token=first.continue_token)
    assert names(second) == ["c03", "c04", "c05"]
    assert second.remaining == 1
    third = store.list(CONFIGMAPS, "demo", limit=3, continue_token=second.continue_token)
    assert names(third) == ["c06"]
    assert third.continue_token is None
    assert first.resource_version == second.resource_version == third.resource_version


def test_paging_is_consistent_while_objects_change(store):
    fill(store, 6)
    first = store.list(CONFIGMAPS, "demo", limit=2)
    store.delete(CONFIGMAPS, "demo", "c03")
    store.create(CONFIGMAPS, {"metadata": {"name": "c02a", "namespace": "demo"}})
    changed = store.get(CONFIGMAPS, "demo", "c04")
    changed["data"] = {"new": "yes"}
    store.update(CONFIGMAPS, changed)
    rest = store.list(CONFIGMAPS, "demo", limit=10, continue_token=first.continue_token)
    assert names(rest) == ["c02", "c03", "c04", "c05"]
    assert "data" not in rest.items[2]
    assert rest.resource_version == first.resource_version
    assert names(store.list(CONFIGMAPS, "demo"))[2:4] == ["c02", "c02a"]


def test_paging_with_selector_fills_pages_and_omits_remaining(store):
    fill(store, 10)
    first = store.list(CONFIGMAPS, "demo", label_selector="parity=odd", limit=2)
    assert names(first) == ["c01", "c03"]
    assert first.remaining is None and first.continue_token
    rest = store.list(
        CONFIGMAPS,
        "demo",
        label_selector="parity=odd",
        limit=5,
        continue_token=first.continue_token,
    )
    assert names(rest) == ["c05", "c07", "c09"]


def test_garbled_continue_token_is_400(store):
    for token in ("%%%", "eyJ2IjoieCJ9", "bm90IGpzb24"):
        with pytest.raises(ApiError) as caught:
            store.list(CONFIGMAPS, "demo", continue_token=token)
        assert caught.value.code == 400
        assert caught.value.status["message"].startswith("continue key is not valid")


def test_continue_token_older_than_history_is_410():
    store = Store(None, Clock(), watch_history=3)
    store.create(NAMESPACES, {"metadata": {"name": "demo"}})
    fill(store, 4)
    first = store.list(CONFIGMAPS, "demo", limit=1)
    for index in range(5):
        store.create(CONFIGMAPS, {"metadata": {"name": f"late{index}", "namespace": "demo"}})
    with pytest.raises(ApiError) as caught:
        store.list(CONFIGMAPS, "demo", limit=1, continue_token=first.continue_token)
    assert (caught.value.code, caught.value.reason) == (410, "Expired")


def test_exact_resource_version_list_reads_the_past(store):
    store.create(CONFIGMAPS, {"metadata": {"name": "a", "namespace": "demo"}})
    rv = store.resource_version
    store.create(CONFIGMAPS, {"metadata": {"name": "b", "namespace": "demo"}})
    past = store.list(CONFIGMAPS, "demo", resource_version=rv, resource_version_match="Exact")
    assert names(past) == ["a"] and past.resource_version == rv
    assert names(store.list(CONFIGMAPS, "demo", resource_version="0")) == ["a", "b"]
