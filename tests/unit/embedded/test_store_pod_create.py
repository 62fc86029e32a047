"""A new pod starts Pending with its QoS class, as the apiserver's pod strategy sets it."""

from clusters.embedded.clock import Clock
from clusters.embedded.resources import find_plural
from clusters.embedded.store import Store

PODS = find_plural("", "v1", "pods")
NS = find_plural("", "v1", "namespaces")


def _pod(resources=None):
    container = {"name": "c", "image": "rollout-lab/task-agent:v1"}
    if resources:
        container["resources"] = resources
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "lab"},
        "spec": {"containers": [container]},
        "status": {"phase": "Running"},  # clients cannot set status on create
    }


def test_new_pod_is_pending_and_besteffort():
    store = Store(None, Clock())
    store.create(NS, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}})
    created = store.create(PODS, _pod())
    assert created["status"] == {"phase": "Pending", "qosClass": "BestEffort"}


def test_qos_class_follows_requests_and_limits():
    store = Store(None, Clock())
    store.create(NS, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "lab"}})
    equal = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    assert store.create(PODS, _pod(equal))["status"]["qosClass"] == "Guaranteed"
    body = _pod({"requests": {"cpu": "100m"}})
    body["metadata"]["name"] = "q"
    assert store.create(PODS, body)["status"]["qosClass"] == "Burstable"
