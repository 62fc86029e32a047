"""Store create/get/update semantics: metadata stamping, conflicts, generation, status split."""

from __future__ import annotations

import pytest

from clusters.embedded.clock import Clock, parse_timestamp
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError
from clusters.embedded.store import Store

NAMESPACES = find_plural("", "v1", "namespaces")
CONFIGMAPS = find_plural("", "v1", "configmaps")
PODS = find_plural("", "v1", "pods")
DEPLOYMENTS = find_plural("apps", "v1", "deployments")
ROLLOUTS = find_plural("argoproj.io", "v1alpha1", "rollouts")
TEMPLATES = find_plural("argoproj.io", "v1alpha1", "analysistemplates")
CLUSTER_TEMPLATES = find_plural("argoproj.io", "v1alpha1", "clusteranalysistemplates")


@pytest.fixture
def store():
    store = Store(None, Clock())
    store.create(NAMESPACES, {"metadata": {"name": "demo"}})
    yield store
    store.close()


def rollout(name="ro1", replicas=5):
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Rollout",
        "metadata": {"name": name, "namespace": "demo"},
        "spec": {"replicas": replicas},
    }


def error_of(call, *args, **kwargs) -> ApiError:
    with pytest.raises(ApiError) as caught:
        call(*args, **kwargs)
    return caught.value


def test_create_stamps_server_owned_metadata(store):
    created = store.create(ROLLOUTS, rollout())
    meta = created["metadata"]
    assert len(meta["uid"]) == 36
    assert meta["generation"] == 1
    assert meta["creationTimestamp"].endswith("Z")
    parse_timestamp(meta["creationTimestamp"])
    assert int(meta["resourceVersion"]) > 0
    assert isinstance(meta["resourceVersion"], str)
    assert store.get(ROLLOUTS, "demo", "ro1") == created


def test_resource_versions_increase_across_kinds(store):
    first = store.create(ROLLOUTS, rollout("a"))
    second = store.create(CONFIGMAPS, {"metadata": {"name": "c", "namespace": "demo"}})
    third = store.create(ROLLOUTS, rollout("b"))
    rvs = [int(o["metadata"]["resourceVersion"]) for o in (first, second, third)]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3
    assert store.resource_version == str(rvs[-1])


def test_returned_objects_are_copies(store):
    created = store.create(ROLLOUTS, rollout())
    created["spec"]["replicas"] = 99
    fetched = store.get(ROLLOUTS, "demo", "ro1")
    fetched["spec"]["replicas"] = 42
    assert store.get(ROLLOUTS, "demo", "ro1")["spec"]["replicas"] == 5


def test_generate_name_appends_five_characters(store):
    obj = {"metadata": {"generateName": "web-", "namespace": "demo"}, "spec": {}}
    names = {store.create(PODS, obj)["metadata"]["name"] for _ in range(5)}
    assert len(names) == 5
    assert all(n.startswith("web-") and len(n) == 9 for n in names)


def test_create_without_name_is_invalid(store):
    error = error_of(store.create, CONFIGMAPS, {"metadata": {"namespace": "demo"}})
    assert error.code == 422
    assert "name or generateName is required" in error.status["message"]


def test_duplicate_create_is_409_already_exists(store):
    store.create(ROLLOUTS, rollout())
    error = error_of(store.create, ROLLOUTS, rollout())
    assert (error.code, error.reason) == (409, "AlreadyExists")
    assert error.status["message"] == 'rollouts.argoproj.io "ro1" already exists'


def test_create_in_missing_namespace_is_404(store):
    obj = {"metadata": {"name": "c", "namespace": "nope"}}
    error = error_of(store.create, CONFIGMAPS, obj)
    assert error.code == 404
    assert error.status["message"] == 'namespaces "nope" not found'


def test_cluster_scoped_objects_drop_namespace(store):
    created = store.create(CLUSTER_TEMPLATES, {"metadata": {"name": "cat", "namespace": "x"}})
    assert "namespace" not in created["metadata"]
    assert store.get(CLUSTER_TEMPLATES, None, "cat")["metadata"]["name"] == "cat"


def test_namespace_create_defaults_phase_and_label(store):
    ns = store.get(NAMESPACES, None, "demo")
    assert ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"]["kubernetes.io/metadata.name"] == "demo"


def test_dry_run_create_stores_nothing(store):
    echoed = store.create(ROLLOUTS, rollout(), dry_run=True)
    assert echoed["metadata"]["name"] == "ro1"
    assert "resourceVersion" not in echoed["metadata"]
    assert error_of(store.get, ROLLOUTS, "demo", "ro1").code == 404


def test_get_missing_is_404_with_plural_and_group(store):
    error = error_of(store.get, ROLLOUTS, "demo", "nope")
    assert error.status["message"] == 'rollouts.argoproj.io "nope" not found'


def test_stale_resource_version_is_409_conflict(store):
    created = store.create(ROLLOUTS, rollout())
    created["spec"]["replicas"] = 3
    store.update(ROLLOUTS, created)
    created["spec"]["replicas"] = 4
    error = error_of(store.update, ROLLOUTS, created)
    assert (error.code, error.reason) == (409, "Conflict")
    assert "the object has been modified" in error.status["message"]


def test_update_without_resource_version_is_unconditional(store):
    created = store.create(ROLLOUTS, rollout())
    created["metadata"].pop("resourceVersion")
    created["spec"]["replicas"] = 2
    assert store.update(ROLLOUTS, created)["spec"]["replicas"] == 2


def test_generation_bumps_only_on_spec_change(store):
    created = store.create(ROLLOUTS, rollout())
    labelled = {**created, "metadata": {**created["metadata"], "labels": {"a": "b"}}}
    after_label = store.update(ROLLOUTS, labelled)
    assert after_label["metadata"]["generation"] == 1
    assert int(after_label["metadata"]["resourceVersion"]) > int(
        created["metadata"]["resourceVersion"]
    )
    after_label["spec"]["replicas"] = 1
    assert store.update(ROLLOUTS, after_label)["metadata"]["generation"] == 2


def test_custom_kind_without_spec_bumps_on_non_metadata_change(store):
    store_obj = {"metadata": {"name": "t", "namespace": "demo"}, "data": {"a": 1}}
    kind = find_plural("argoproj.io", "v1alpha1", "analysistemplates")
    created = store.create(kind, store_obj)
    assert created["metadata"]["generation"] == 1
    created["data"] = {"a": 2}
    assert store.update(kind, created)["metadata"]["generation"] == 2


def test_configmaps_have_no_generation(store):
    created = store.create(CONFIGMAPS, {"metadata": {"name": "c", "namespace": "demo"}})
    assert "generation" not in created["metadata"]


def test_noop_update_keeps_resource_version(store):
    created = store.create(ROLLOUTS, rollout())
    before = store.resource_version
    again = store.update(ROLLOUTS, created)
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert store.resource_version == before


def test_main_update_keeps_status_and_status_update_keeps_spec(store):
    created = store.create(ROLLOUTS, {**rollout(), "status": {"phase": "Ignored"}})
    assert "status" not in created
    created["status"] = {"phase": "Healthy"}
    created["spec"]["replicas"] = 7
    after_status = store.update(ROLLOUTS, created, subresource="status")
    assert after_status["status"] == {"phase": "Healthy"}
    assert after_status["spec"]["replicas"] == 5
    assert after_status["metadata"]["generation"] == 1
    after_status["status"] = {"phase": "Degraded"}
    after_status["spec"]["replicas"] = 2
    after_main = store.update(ROLLOUTS, after_status)
    assert after_main["status"] == {"phase": "Healthy"}
    assert after_main["spec"]["replicas"] == 2


def test_kinds_without_status_subresource_store_status_directly(store):
    kind = TEMPLATES
    created = store.create(
        kind, {"metadata": {"name": "t", "namespace": "demo"}, "status": {"x": 1}}
    )
    assert created["status"] == {"x": 1}


def test_keep_status_lets_controllers_create_with_status(store):
    created = store.create(
        PODS,
        {
            "metadata": {"name": "p", "namespace": "demo"},
            "spec": {},
            "status": {"phase": "Pending"},
        },
        keep_status=True,
    )
    assert created["status"] == {"phase": "Pending"}


def test_update_cannot_change_immutable_metadata(store):
    created = store.create(ROLLOUTS, rollout())
    changed = {
        **created,
        "metadata": {
            **created["metadata"],
            "creationTimestamp": "2000-01-01T00:00:00Z",
            "generation": 40,
        },
    }
    changed["spec"] = {"replicas": 1}
    updated = store.update(ROLLOUTS, changed)
    assert updated["metadata"]["creationTimestamp"] == created["metadata"]["creationTimestamp"]
    assert updated["metadata"]["generation"] == 2


def test_update_with_other_uid_is_a_precondition_conflict(store):
    created = store.create(ROLLOUTS, rollout())
    created["metadata"]["uid"] = "other"
    error = error_of(store.update, ROLLOUTS, created)
    assert error.code == 409
    assert "Precondition failed: UID in precondition: other" in error.status["message"]


def test_update_missing_object_is_404(store):
    assert error_of(store.update, ROLLOUTS, rollout("ghost")).code == 404


def test_dry_run_update_changes_nothing(store):
    created = store.create(ROLLOUTS, rollout())
    created["spec"]["replicas"] = 1
    echoed = store.update(ROLLOUTS, created, dry_run=True)
    assert echoed["spec"]["replicas"] == 1
    assert store.get(ROLLOUTS, "demo", "ro1")["spec"]["replicas"] == 5


def test_old_hook_is_an_atomic_read_modify_write(store):
    store.create(ROLLOUTS, rollout())

    def bump(current):
        current["spec"]["replicas"] += 1
        return current

    for _ in range(3):
        store.update(ROLLOUTS, rollout(), old_hook=bump)
    assert store.get(ROLLOUTS, "demo", "ro1")["spec"]["replicas"] == 8
