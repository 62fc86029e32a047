"""The resource types the embedded API server serves: one registry used by the store,
the HTTP routes, discovery, OpenAPI, tables and validation, so they never disagree."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ALL_VERBS",
    "RESOURCES",
    "ResourceType",
    "Subresource",
    "by_group_version",
    "find_kind",
    "find_plural",
    "group_versions",
]

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True)
class Subresource:
    """A subresource row such as `rollouts/status` or `deployments/scale`."""

    name: str
    verbs: tuple[str, ...] = ("get", "patch", "update")
    # The kind it answers with; `None` means the parent kind (status) or none (log: text).
    group: str | None = None
    version: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class ResourceType:
    """One served resource (a group/version/kind and its REST shape)."""

    group: str  # "" for the core group
    version: str
    kind: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[Subresource, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    # Built-in kinds accept strategic merge patch; custom resources answer it with 415.
    builtin: bool = True
    # Where the `scale` subresource reads the selector (rollouts keep it in status).
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def singular(self) -> str:
        return self.kind.lower()

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def url_prefix(self) -> str:
        """`/api/v1` or `/apis/{group}/{version}`."""
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    @property
    def qualified_name(self) -> str:
        """`rollouts.argoproj.io` or `pods` — the name kubectl prints in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def kind_with_group(self) -> str:
        """`Rollout.argoproj.io`, `Deployment.apps`, `Pod` — as apiserver error messages say."""
        return f"{self.kind}.{self.group}" if self.group else self.kind

    def subresource(self, name: str) -> Subresource | None:
        return next((sub for sub in self.subresources if sub.name == name), None)


_STATUS = Subresource("status")
_SCALE = Subresource("scale", group="autoscaling", version="v1", kind="Scale")
_LOG = Subresource("log", verbs=("get",), group="", version="v1", kind="Pod")
_ARGO = "argoproj.io"
_ARGO_V = "v1alpha1"

RESOURCES: tuple[ResourceType, ...] = (
    ResourceType(
        "",
        "v1",
        "Namespace",
        "namespaces",
        False,
        ("ns",),
        (),
        (_STATUS,),
        verbs=("create", "delete", "get", "list", "patch", "update", "watch"),
    ),
    ResourceType("", "v1", "Node", "nodes", False, ("no",), (), (_STATUS,)),
    ResourceType("", "v1", "Pod", "pods", True, ("po",), ("all",), (_STATUS, _LOG)),
    ResourceType("", "v1", "Service", "services", True, ("svc",), ("all",), (_STATUS,)),
    ResourceType("", "v1", "Endpoints", "endpoints", True, ("ep",)),
    ResourceType("", "v1", "Event", "events", True, ("ev",)),
    ResourceType("", "v1", "ConfigMap", "configmaps", True, ("cm",)),
    ResourceType("", "v1", "Secret", "secrets", True),
    ResourceType(
        "apps", "v1", "Deployment", "deployments", True, ("deploy",), ("all",), (_STATUS, _SCALE)
    ),
    ResourceType(
        "apps", "v1", "ReplicaSet", "replicasets", True, ("rs",), ("all",), (_STATUS, _SCALE)
    ),
    ResourceType("batch", "v1", "Job", "jobs", True, (), ("all",), (_STATUS,)),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        ("crd", "crds"),
        (),
        (_STATUS,),
        verbs=("get", "list", "watch"),
    ),
    ResourceType(
        _ARGO,
        _ARGO_V,
        "Rollout",
        "rollouts",
        True,
        ("ro",),
        (),
        (_STATUS, _SCALE),
        builtin=False,
        extra={
            "scale.spec": ".spec.replicas",
            "scale.status": ".status.HPAReplicas",
            "scale.selector": ".status.selector",
        },
    ),
    ResourceType(
        _ARGO, _ARGO_V, "AnalysisTemplate", "analysistemplates", True, ("at",), builtin=False
    ),
    ResourceType(
        _ARGO,
        _ARGO_V,
        "ClusterAnalysisTemplate",
        "clusteranalysistemplates",
        False,
        ("cat",),
        builtin=False,
    ),
    # Upstream's AnalysisRun CRD has no status subresource: status is an ordinary field.
    ResourceType(
        _ARGO, _ARGO_V, "AnalysisRun", "analysisruns", True, ("ar",), (), (), builtin=False
    ),
    ResourceType(
        _ARGO, _ARGO_V, "Experiment", "experiments", True, ("exp",), (), (_STATUS,), builtin=False
    ),
)


def group_versions() -> list[str]:
    """Served group-versions in discovery order (core first)."""
    seen: list[str] = []
    for resource in RESOURCES:
        if resource.group_version not in seen:
            seen.append(resource.group_version)
    return seen


def by_group_version(group_version: str) -> list[ResourceType]:
    return [r for r in RESOURCES if r.group_version == group_version]


def find_plural(group: str, version: str, plural: str) -> ResourceType | None:
    """Look a resource up by its URL parts."""
    return next(
        (r for r in RESOURCES if (r.group, r.version, r.plural) == (group, version, plural)),
        None,
    )


def find_kind(api_version: str, kind: str) -> ResourceType | None:
    """Look a resource up by an object's apiVersion and kind."""
    return next((r for r in RESOURCES if (r.api_version, r.kind) == (api_version, kind)), None)
