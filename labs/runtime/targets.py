"""Where lab traffic goes: a Service of the lab, reached from this machine.

A NodePort Service is reached on 127.0.0.1:<nodePort> (the embedded proxy and the kind port
mappings both publish it there). A ClusterIP Service on the embedded cluster is reached through
the proxy address its resolver file publishes. When the lab has no Service that spreads over
every version's pods, `ensure_traffic_service` adds one (`agent-traffic`, a NodePort over the
workload's selector), so the traffic view sees the canary split the replicas make.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labs.runtime.cluster import LabCluster

__all__ = [
    "TRAFFIC_SERVICE",
    "TargetNotFound",
    "TrafficTarget",
    "ensure_traffic_service",
    "service_target",
]

TRAFFIC_SERVICE = "agent-traffic"
_HASH_LABEL = "rollouts-pod-template-hash"
_MANAGED_LABEL = "rollout-lab/traffic"


class TargetNotFound(LookupError):
    """The lab has nothing to send traffic to yet; the message says what to apply first."""


@dataclass(frozen=True)
class TrafficTarget:
    """A URL on this machine that reaches Service `service` in `namespace`."""

    url: str
    namespace: str
    service: str


def _core(cluster: LabCluster) -> Any:
    from kubernetes import client

    return client.CoreV1Api(cluster.api_client())


def _read_service(cluster: LabCluster, namespace: str, name: str) -> dict[str, Any] | None:
    from kubernetes import client

    try:
        return dict(
            cluster.api_client().sanitize_for_serialization(
                _core(cluster).read_namespaced_service(name, namespace)
            )
        )
    except client.ApiException as error:
        if error.status == 404:
            return None
        raise


def service_target(cluster: LabCluster, namespace: str, name: str) -> TrafficTarget:
    """The local URL of Service `name`: its NodePort, else (embedded) its proxy address."""
    service = _read_service(cluster, namespace, name)
    if service is None:
        raise TargetNotFound(f'Service "{name}" is not in namespace {namespace}; apply it first')
    ports = (service.get("spec") or {}).get("ports") or []
    if not ports:
        raise TargetNotFound(f'Service "{name}" has no ports')
    node_port = ports[0].get("nodePort")
    if node_port:
        return TrafficTarget(f"http://127.0.0.1:{node_port}", namespace, name)
    from clusters.embedded.dns import Resolver

    resolver = Resolver.in_state_dir(cluster.kubeconfig.parent)
    address = resolver.resolve(f"{name}.{namespace}", ports[0].get("port"), namespace)
    if address is None:
        raise TargetNotFound(
            f'Service "{name}" has no NodePort and is not reachable from this machine; '
            "send traffic to a NodePort Service"
        )
    return TrafficTarget(f"http://{address[0]}:{address[1]}", namespace, name)


def _workload(cluster: LabCluster, namespace: str) -> dict[str, Any] | None:
    """The lab's Rollout (else Deployment): the thing whose pods traffic should reach."""
    from kubernetes import client

    api = cluster.api_client()
    custom = client.CustomObjectsApi(api)
    rollouts = custom.list_namespaced_custom_object(
        "argoproj.io", "v1alpha1", namespace, "rollouts"
    )
    items = rollouts.get("items") if isinstance(rollouts, dict) else None
    items = items or []
    if items:
        return dict(items[0])
    deployments = client.AppsV1Api(api).list_namespaced_deployment(namespace)
    if deployments.items:
        return dict(api.sanitize_for_serialization(deployments.items[0]))
    return None


def _container_port(workload: dict[str, Any]) -> Any:
    containers = ((workload.get("spec") or {}).get("template") or {}).get("spec", {}).get(
        "containers"
    ) or [{}]
    ports = containers[0].get("ports") or [{}]
    return ports[0].get("name") or ports[0].get("containerPort") or 8080


def ensure_traffic_service(cluster: LabCluster, namespace: str) -> TrafficTarget:
    """A NodePort Service over every pod of the lab's workload (created when missing).

    An existing NodePort Service that is not pinned to one ReplicaSet is used as it is.
    """
    workload = _workload(cluster, namespace)
    if workload is None:
        raise TargetNotFound(
            f"no Rollout or Deployment in namespace {namespace} yet; apply your manifests first"
        )
    selector = dict(((workload.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
    core = _core(cluster)
    for service in core.list_namespaced_service(namespace).items:
        spec = service.spec
        pinned = _HASH_LABEL in (spec.selector or {})
        if spec.type == "NodePort" and not pinned and spec.selector == selector:
            return service_target(cluster, namespace, service.metadata.name)
    if _read_service(cluster, namespace, TRAFFIC_SERVICE) is None:
        _create_traffic_service(cluster, namespace, selector, _container_port(workload))
    return service_target(cluster, namespace, TRAFFIC_SERVICE)


# The kind backend publishes only these node ports on 127.0.0.1; other backends choose freely.
KIND_NODE_PORTS = (30080, 30081, 30082)


def _create_traffic_service(
    cluster: LabCluster, namespace: str, selector: dict[str, Any], target_port: Any
) -> None:
    """Create `agent-traffic`; on kind, on the first of the published node ports still free."""
    from kubernetes import client

    choices: tuple[int | None, ...] = KIND_NODE_PORTS if cluster.backend == "kind" else (None,)
    for index, node_port in enumerate(choices):
        port: dict[str, Any] = {"name": "http", "port": 8080, "targetPort": target_port}
        if node_port is not None:
            port["nodePort"] = node_port
        body = {
            "metadata": {"name": TRAFFIC_SERVICE, "labels": {_MANAGED_LABEL: "true"}},
            "spec": {"type": "NodePort", "selector": selector, "ports": [port]},
        }
        try:
            _core(cluster).create_namespaced_service(namespace, body)
            return
        except client.ApiException as error:
            # 422 "provided port is already allocated": another lab holds it; try the next.
            if error.status != 422 or index == len(choices) - 1:
                raise
