"""Deletion: finalizers, the three propagation policies, owner chains, namespace cascade."""

from __future__ import annotations

import time

import pytest

from clusters.embedded.clock import Clock, parse_timestamp
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError
from clusters.embedded.store import Store

NAMESPACES = find_plural("", "v1", "namespaces")
CONFIGMAPS = find_plural("", "v1", "configmaps")
PODS = find_plural("", "v1", "pods")
DEPLOYMENTS = find_plural("apps", "v1", "deployments")
REPLICASETS = find_plural("apps", "v1", "replicasets")
ROLLOUTS = find_plural("argoproj.io", "v1alpha1", "rollouts")
RUNS = find_plural("argoproj.io", "v1alpha1", "analysisruns")
CLUSTER_TEMPLATES = find_plural("argoproj.io", "v1alpha1", "clusteranalysistemplates")
NODES = find_plural("", "v1", "nodes")


@pytest.fixture
def store():
    store = Store(None, Clock())
    store.create(NAMESPACES, {"metadata": {"name": "demo"}})
    yield store
    store.close()


def owned_by(owner):
    return [
        {
            "apiVersion": owner["apiVersion"],
            "kind": owner["kind"],
            "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


def make(store, rt, name, owners=(), spec=None):
    meta = {"name": name, "namespace": "demo"}
    refs = [ref for owner in owners for ref in owned_by(owner)]
    if refs:
        meta["ownerReferences"] = refs
    return store.create(rt, {"metadata": meta, "spec": spec or {}})


def names(store, rt):
    return sorted(o["metadata"]["name"] for o in store.list(rt, "demo").items)


def chain(store):
    """Deployment -> ReplicaSet -> two Pods."""
    deploy = make(store, DEPLOYMENTS, "web")
    rs = make(store, REPLICASETS, "web-1", [deploy])
    pods = [make(store, PODS, f"web-1-{i}", [rs]) for i in range(2)]
    return deploy, rs, pods


def test_delete_without_finalizers_removes_and_bumps_rv(store):
    created = make(store, CONFIGMAPS, "c")
    deleted = store.delete(CONFIGMAPS, "demo", "c")
    assert int(deleted["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    with pytest.raises(ApiError) as caught:
        store.get(CONFIGMAPS, "demo", "c")
    assert caught.value.code == 404


def test_delete_missing_is_404(store):
    with pytest.raises(ApiError) as caught:
        store.delete(CONFIGMAPS, "demo", "nope")
    assert caught.value.status["message"] == 'configmaps "nope" not found'


def test_finalizer_keeps_object_until_update_empties_it(store):
    store.create(
        CONFIGMAPS, {"metadata": {"name": "c", "namespace": "demo", "finalizers": ["x/y"]}}
    )
    pending = store.delete(CONFIGMAPS, "demo", "c", grace_period_seconds=5)
    assert pending["metadata"]["deletionTimestamp"].endswith("Z")
    assert pending["metadata"]["deletionGracePeriodSeconds"] == 0  # grace is for pods only
    live = store.get(CONFIGMAPS, "demo", "c")
    assert live["metadata"]["finalizers"] == ["x/y"]
    live["metadata"]["finalizers"] = ["x/y", "new/one"]
    with pytest.raises(ApiError) as caught:
        store.update(CONFIGMAPS, live)
    assert caught.value.code == 422
    live["metadata"]["finalizers"] = []
    store.update(CONFIGMAPS, live)
    with pytest.raises(ApiError):
        store.get(CONFIGMAPS, "demo", "c")


def test_delete_preconditions(store):
    created = make(store, CONFIGMAPS, "c")
    for preconditions in ({"uid": "other"}, {"resourceVersion": "1"}):
        with pytest.raises(ApiError) as caught:
            store.delete(CONFIGMAPS, "demo", "c", preconditions=preconditions)
        assert caught.value.code == 409
        assert "Precondition failed" in caught.value.status["message"]
    store.delete(CONFIGMAPS, "demo", "c", preconditions={"uid": created["metadata"]["uid"]})
    assert names(store, CONFIGMAPS) == []


def test_dry_run_delete_keeps_object(store):
    make(store, CONFIGMAPS, "c")
    store.delete(CONFIGMAPS, "demo", "c", dry_run=True)
    assert names(store, CONFIGMAPS) == ["c"]


def test_unknown_propagation_policy_is_rejected(store):
    make(store, CONFIGMAPS, "c")
    with pytest.raises(ApiError) as caught:
        store.delete(CONFIGMAPS, "demo", "c", propagation_policy="Sideways")
    assert caught.value.code == 422


@pytest.mark.parametrize("policy", [None, "Background", "Foreground"])
def test_cascading_policies_remove_the_whole_chain(store, policy):
    chain(store)
    store.delete(DEPLOYMENTS, "demo", "web", propagation_policy=policy)
    assert names(store, DEPLOYMENTS) == names(store, REPLICASETS) == names(store, PODS) == []


def test_background_removes_owner_before_dependents(store):
    chain(store)
    watcher = store.watch(PODS, "demo", resource_version=store.resource_version)
    rs_watcher = store.watch(REPLICASETS, "demo", resource_version=store.resource_version)
    store.delete(REPLICASETS, "demo", "web-1", propagation_policy="Background")
    rs_event = rs_watcher.next_event(0)
    pod_events = [watcher.next_event(0), watcher.next_event(0)]
    assert rs_event["type"] == "DELETED"
    assert all(e["type"] == "DELETED" for e in pod_events)
    rs_rv = int(rs_event["object"]["metadata"]["resourceVersion"])
    assert all(int(e["object"]["metadata"]["resourceVersion"]) > rs_rv for e in pod_events)


def test_foreground_removes_dependents_before_owner(store):
    chain(store)
    deploy_watch = store.watch(DEPLOYMENTS, "demo", resource_version=store.resource_version)
    pod_watch = store.watch(PODS, "demo", resource_version=store.resource_version)
    store.delete(DEPLOYMENTS, "demo", "web", propagation_policy="Foreground")
    marked = deploy_watch.next_event(0)
    assert marked["type"] == "MODIFIED"
    assert "foregroundDeletion" in marked["object"]["metadata"]["finalizers"]
    assert marked["object"]["metadata"]["deletionTimestamp"]
    gone = deploy_watch.next_event(0)
    assert gone["type"] == "DELETED"
    pod_rvs = [int(pod_watch.next_event(0)["object"]["metadata"]["resourceVersion"]) for _ in "ab"]
    assert max(pod_rvs) < int(gone["object"]["metadata"]["resourceVersion"])


def test_foreground_waits_for_a_dependent_with_its_own_finalizer(store):
    deploy = make(store, DEPLOYMENTS, "web")
    rs = make(store, REPLICASETS, "web-1", [deploy])
    pod = make(store, PODS, "p", [rs])
    pod["metadata"]["finalizers"] = ["example.com/hold"]
    store.update(PODS, pod)
    store.delete(DEPLOYMENTS, "demo", "web", propagation_policy="Foreground")
    assert names(store, DEPLOYMENTS) == ["web"]
    assert names(store, REPLICASETS) == ["web-1"]
    held = store.get(PODS, "demo", "p")
    assert held["metadata"]["deletionTimestamp"]
    held["metadata"]["finalizers"] = []
    store.update(PODS, held)
    assert names(store, PODS) == names(store, REPLICASETS) == names(store, DEPLOYMENTS) == []


def test_orphan_keeps_dependents_and_strips_owner_refs(store):
    _deploy, rs, _ = chain(store)
    store.delete(DEPLOYMENTS, "demo", "web", propagation_policy="Orphan")
    assert names(store, DEPLOYMENTS) == []
    orphan = store.get(REPLICASETS, "demo", "web-1")
    assert "ownerReferences" not in orphan["metadata"]
    assert names(store, PODS) == ["web-1-0", "web-1-1"]
    pod = store.get(PODS, "demo", "web-1-0")
    assert pod["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"]


def test_dependent_with_another_live_owner_survives(store):
    first = make(store, ROLLOUTS, "a")
    second = make(store, ROLLOUTS, "b")
    shared = make(store, RUNS, "run", [first, second])
    store.delete(ROLLOUTS, "demo", "a")
    kept = store.get(RUNS, "demo", "run")
    assert [r["uid"] for r in kept["metadata"]["ownerReferences"]] == [second["metadata"]["uid"]]
    assert kept["metadata"]["uid"] == shared["metadata"]["uid"]
    store.delete(ROLLOUTS, "demo", "b")
    assert names(store, RUNS) == []


def test_rollout_chain_and_cluster_scoped_owner(store):
    rollout = make(store, ROLLOUTS, "ro")
    rs = make(store, REPLICASETS, "ro-1", [rollout])
    make(store, PODS, "ro-1-a", [rs])
    make(store, RUNS, "ro-run", [rollout])
    store.delete(ROLLOUTS, "demo", "ro")
    assert names(store, REPLICASETS) == names(store, PODS) == names(store, RUNS) == []
    template = store.create(CLUSTER_TEMPLATES, {"metadata": {"name": "cat"}, "spec": {}})
    make(store, RUNS, "from-cluster", [template])
    store.delete(CLUSTER_TEMPLATES, None, "cat")
    assert names(store, RUNS) == []


def test_dependent_created_for_a_vanished_owner_is_collected(store):
    ghost = {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {"name": "gone", "uid": "0000-gone"},
    }
    make(store, PODS, "late", [ghost])
    assert names(store, PODS) == []


def test_namespace_delete_cascades_and_finishes(store):
    chain(store)
    make(store, CONFIGMAPS, "c")
    deleted = store.delete(NAMESPACES, None, "demo", propagation_policy="Background")
    assert deleted["status"]["phase"] == "Terminating"
    assert store.list(NAMESPACES, None).items == []
    for rt in (DEPLOYMENTS, REPLICASETS, PODS, CONFIGMAPS):
        assert store.list(rt, None).items == []


def test_terminating_namespace_refuses_creates_until_content_is_gone(store):
    store.create(
        CONFIGMAPS, {"metadata": {"name": "held", "namespace": "demo", "finalizers": ["a/b"]}}
    )
    store.delete(NAMESPACES, None, "demo")
    ns = store.get(NAMESPACES, None, "demo")
    assert ns["status"]["phase"] == "Terminating"
    with pytest.raises(ApiError) as caught:
        make(store, CONFIGMAPS, "new")
    assert (caught.value.code, caught.value.reason) == (403, "Forbidden")
    assert caught.value.status["message"] == (
        'configmaps "new" is forbidden: unable to create new content in namespace demo '
        "because it is being terminated"
    )
    held = store.get(CONFIGMAPS, "demo", "held")
    held["metadata"]["finalizers"] = []
    store.update(CONFIGMAPS, held)
    assert store.list(NAMESPACES, None).items == []


def test_delete_collection_by_label(store):
    for name, app in (("a", "web"), ("b", "web"), ("c", "db")):
        store.create(
            CONFIGMAPS, {"metadata": {"name": name, "namespace": "demo", "labels": {"app": app}}}
        )
    deleted = store.delete_collection(CONFIGMAPS, "demo", label_selector="app=web")
    assert sorted(o["metadata"]["name"] for o in deleted) == ["a", "b"]
    assert names(store, CONFIGMAPS) == ["c"]
    dry = store.delete_collection(CONFIGMAPS, "demo", dry_run=True)
    assert [o["metadata"]["name"] for o in dry] == ["c"]
    assert names(store, CONFIGMAPS) == ["c"]


@pytest.fixture
def graceful():
    store = Store(None, Clock(), graceful_pod_deletion=True)
    store.create(NAMESPACES, {"metadata": {"name": "demo"}})
    store.create(NODES, {"metadata": {"name": "node-1"}, "spec": {}})
    yield store
    store.close()


def test_graceful_pod_deletion_waits_for_the_kubelet(graceful):
    created = make(graceful, PODS, "p", spec={"nodeName": "node-1"})
    pending = graceful.delete(PODS, "demo", "p")
    meta = pending["metadata"]
    assert meta["deletionGracePeriodSeconds"] == 30
    started = parse_timestamp(created["metadata"]["creationTimestamp"])
    assert (parse_timestamp(meta["deletionTimestamp"]) - started).total_seconds() >= 29
    live = graceful.get(PODS, "demo", "p")
    live["status"] = {"phase": "Running"}
    graceful.update(PODS, live, subresource="status")  # the kubelet reporting does not remove it
    assert names(graceful, PODS) == ["p"]
    graceful.delete(PODS, "demo", "p", grace_period_seconds=0)
    assert names(graceful, PODS) == []


def test_unscheduled_finished_or_nodeless_pods_go_at_once_even_when_graceful(graceful):
    make(graceful, PODS, "unscheduled")
    graceful.delete(PODS, "demo", "unscheduled")
    make(graceful, PODS, "on-a-ghost-node", spec={"nodeName": "no-such-node"})
    graceful.delete(PODS, "demo", "on-a-ghost-node")
    done = make(graceful, PODS, "done", spec={"nodeName": "node-1"})
    done["status"] = {"phase": "Succeeded"}
    graceful.update(PODS, done, subresource="status")
    graceful.delete(PODS, "demo", "done")
    assert names(graceful, PODS) == []


def test_foreground_owner_waits_for_terminating_pods(graceful):
    rs = make(graceful, REPLICASETS, "rs")
    make(graceful, PODS, "p", [rs], spec={"nodeName": "node-1", "terminationGracePeriodSeconds": 5})
    graceful.delete(REPLICASETS, "demo", "rs", propagation_policy="Foreground")
    assert names(graceful, REPLICASETS) == ["rs"]
    assert graceful.get(PODS, "demo", "p")["metadata"]["deletionGracePeriodSeconds"] == 5
    graceful.delete(PODS, "demo", "p", grace_period_seconds=0)
    assert names(graceful, PODS) == names(graceful, REPLICASETS) == []


def test_system_namespaces_may_not_be_deleted(store):
    store.create(NAMESPACES, {"metadata": {"name": "default"}})
    with pytest.raises(ApiError) as caught:
        store.delete(NAMESPACES, None, "default")
    assert caught.value.code == 403
    assert caught.value.status["message"] == (
        'namespaces "default" is forbidden: this namespace may not be deleted'
    )


def test_namespace_waits_for_gracefully_terminating_pods(graceful):
    make(graceful, PODS, "p", spec={"nodeName": "node-1"})
    make(graceful, CONFIGMAPS, "c")
    graceful.delete(NAMESPACES, None, "demo")
    assert names(graceful, CONFIGMAPS) == []
    assert graceful.get(NAMESPACES, None, "demo")["status"]["phase"] == "Terminating"
    graceful.delete(PODS, "demo", "p", grace_period_seconds=0)
    assert graceful.list(NAMESPACES, None).items == []


def test_events_expire_after_their_time_to_live():
    store = Store(None, Clock(), event_ttl=0.2)
    store.create(NAMESPACES, {"metadata": {"name": "demo"}})
    events = find_plural("", "v1", "events")

    def event(name):
        body = {"metadata": {"name": name, "namespace": "demo"}, "involvedObject": {"kind": "Pod"}}
        return store.create(events, body)

    event("old")
    watcher = store.watch(events, "demo", send_initial_events=False)
    time.sleep(0.25)
    event("new")
    assert [e["metadata"]["name"] for e in store.list(events, "demo").items] == ["new"]
    kinds = [watcher.next_event(0)["type"] for _ in range(2)]
    assert sorted(kinds) == ["ADDED", "DELETED"]
    store.close()


def test_recreating_an_object_still_being_deleted_says_so(store):
    store.create(
        CONFIGMAPS, {"metadata": {"name": "c", "namespace": "demo", "finalizers": ["a/b"]}}
    )
    store.delete(CONFIGMAPS, "demo", "c")
    with pytest.raises(ApiError) as caught:
        make(store, CONFIGMAPS, "c")
    assert caught.value.code == 409
    assert caught.value.status["message"] == (
        'object is being deleted: configmaps "c" already exists'
    )
