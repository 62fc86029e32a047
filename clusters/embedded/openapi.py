"""OpenAPI v3 documents per served group-version (`/openapi/v3/<gv>`): real upstream schemas
for built-ins, our schemas for the Argo kinds, and for every kind the operations kubectl
looks for (a PATCH tagged `x-kubernetes-group-version-kind` declaring `fieldValidation`).

Strategic merge patch is deliberately not advertised in PATCH request bodies, so kubectl
computes client-side apply patches from its compiled-in types (see the API spec, §4).
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from clusters.embedded.resources import ResourceType, by_group_version, group_versions
from clusters.embedded.schemas.argo import ARGO_KINDS, argo_schema
from clusters.embedded.schemas.k8s import definition_name, k8s_definitions, k8s_version, ref_name

__all__ = ["document_key", "openapi_documents", "schema_name"]

_META = "io.k8s.apimachinery.pkg.apis.meta.v1."
_STATUS = _META + "Status"
_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)


def document_key(group_version: str) -> str:
    """`v1` -> `api/v1`; `apps/v1` -> `apis/apps/v1`."""
    return f"apis/{group_version}" if "/" in group_version else f"api/{group_version}"


def schema_name(rt: ResourceType) -> str:
    """The components.schemas name of a kind (`io.argoproj.v1alpha1.Rollout` for CRs)."""
    if rt.builtin:
        name = definition_name(rt.group, rt.version, rt.kind)
        if name:
            return name
    reversed_group = ".".join(reversed(rt.group.split(".")))
    return f"{reversed_group}.{rt.version}.{rt.kind}"


# --- schema conversion (JSON schema 2020-12 -> OpenAPI 3.0) ------------------------------


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _convert(node: Any, refs: set[str]) -> Any:
    """Upstream definition node to OpenAPI 3.0: single types, allOf-wrapped references."""
    if isinstance(node, list):
        return [_convert(item, refs) for item in node]
    if not isinstance(node, dict):
        return node
    if "oneOf" in node:  # IntOrString / Quantity
        variants = {t for sub in node["oneOf"] for t in _types(sub)}
        out: dict[str, Any] = {"type": "string"}
        if "integer" in variants:
            out["format"] = "int-or-string"
        return {**{k: v for k, v in node.items() if k not in ("oneOf",)}, **out}
    out = {}
    for key, value in node.items():
        if key == "$ref":
            name = ref_name(value)
            refs.add(name)
            out["allOf"] = [_ref(name)]
        elif key == "type":
            types = _types(node)
            if types:
                out["type"] = types[0]
        elif key in ("properties", "patternProperties"):
            out[key] = {name: _convert(sub, refs) for name, sub in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _convert(value, refs)
        elif key == "enum":
            out[key] = [item for item in value if item is not None]
        else:
            out[key] = copy.deepcopy(value)
    return out


def _types(node: dict[str, Any]) -> list[str]:
    declared = node.get("type", [])
    declared = [declared] if isinstance(declared, str) else declared
    return [name for name in declared if name != "null"]


def _closure(roots: list[str]) -> dict[str, dict[str, Any]]:
    """Converted upstream definitions reachable from `roots`, sorted by name."""
    definitions = k8s_definitions()
    done: dict[str, dict[str, Any]] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in done or name not in definitions:
            continue
        refs: set[str] = set()
        done[name] = _convert(definitions[name], refs)
        pending.extend(sorted(refs - set(done)))
    return {name: done[name] for name in sorted(done)}


def _custom_schema(rt: ResourceType) -> dict[str, Any]:
    schema = argo_schema(rt.kind)
    schema["properties"]["metadata"] = {
        "allOf": [_ref(_META + "ObjectMeta")],
        "description": "Standard object's metadata.",
    }
    schema["x-kubernetes-group-version-kind"] = [
        {"group": rt.group, "kind": rt.kind, "version": rt.version}
    ]
    return schema


def _list_schema(rt: ResourceType) -> dict[str, Any]:
    return {
        "type": "object",
        "description": f"{rt.list_kind} is a list of {rt.kind}",
        "required": ["items"],
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"allOf": [_ref(_META + "ListMeta")]},
            "items": {"type": "array", "items": _ref(schema_name(rt))},
        },
        "x-kubernetes-group-version-kind": [
            {"group": rt.group, "kind": rt.list_kind, "version": rt.version}
        ],
    }


# --- paths ------------------------------------------------------------------------------


def _param(name: str, where: str = "query", kind: str = "string") -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": where, "schema": {"type": kind}}
    if where == "path":
        param["required"] = True
    return param


def _response(name: str, codes: tuple[str, ...] = ("200",)) -> dict[str, Any]:
    content = {"application/json": {"schema": _ref(name)}}
    responses: dict[str, Any] = {code: {"description": "OK", "content": content} for code in codes}
    responses["401"] = {"description": "Unauthorized"}
    return responses


def _operation(
    rt: ResourceType,
    action: str,
    params: list[dict[str, Any]],
    response: str,
    codes: tuple[str, ...] = ("200",),
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "description": f"{action} {rt.kind}",
        "operationId": f"{action}{rt.kind}",
        "tags": [rt.group_version.replace("/", "_").replace(".", "_")],
        "parameters": params,
        "responses": _response(response, codes),
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": rt.group,
            "kind": rt.kind,
            "version": rt.version,
        },
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


def _paths(rt: ResourceType) -> dict[str, Any]:
    prefix = rt.url_prefix + ("/namespaces/{namespace}" if rt.namespaced else "")
    collection = f"{prefix}/{rt.plural}"
    scope = [_param("namespace", "path")] if rt.namespaced else []
    item_params = [_param("name", "path"), *scope]
    write = [_param("dryRun"), _param("fieldManager"), _param("fieldValidation")]
    name = schema_name(rt)
    object_body = {"content": {"application/json": {"schema": _ref(name)}}, "required": True}
    patch_body = {
        "content": {media: {"schema": {"type": "object"}} for media in _PATCH_TYPES},
        "required": True,
    }
    item: dict[str, Any] = {"parameters": item_params}
    listing: dict[str, Any] = {"parameters": scope}
    if "get" in rt.verbs:
        item["get"] = _operation(rt, "get", [], name)
    if "list" in rt.verbs:
        selectors = [
            _param("labelSelector"),
            _param("fieldSelector"),
            _param("watch", kind="boolean"),
        ]
        listing["get"] = _operation(rt, "list", selectors, name + "List")
    if "create" in rt.verbs:
        listing["post"] = _operation(rt, "post", write, name, ("200", "201"), object_body)
    if "update" in rt.verbs:
        item["put"] = _operation(rt, "put", write, name, ("200", "201"), object_body)
    if "patch" in rt.verbs:
        params = [*write, _param("force", kind="boolean")]
        item["patch"] = _operation(rt, "patch", params, name, ("200", "201"), patch_body)
    if "delete" in rt.verbs:
        item["delete"] = _operation(
            rt, "delete", [_param("dryRun"), _param("propagationPolicy")], _STATUS
        )
    return {collection: listing, f"{collection}/{{name}}": item}


def _document(group_version: str) -> dict[str, Any]:
    resources = by_group_version(group_version)
    paths: dict[str, Any] = {}
    roots = [_STATUS, _META + "ListMeta", _META + "ObjectMeta"]
    custom: dict[str, Any] = {}
    for rt in resources:
        paths.update(_paths(rt))
        if rt.builtin or rt.kind not in ARGO_KINDS:
            roots.append(schema_name(rt))
            roots.append(schema_name(rt) + "List")
        else:
            custom[schema_name(rt)] = _custom_schema(rt)
            custom[schema_name(rt) + "List"] = _list_schema(rt)
    schemas = {**_closure(roots), **custom}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": k8s_version()},
        "paths": {path: paths[path] for path in sorted(paths)},
        "components": {"schemas": {name: schemas[name] for name in sorted(schemas)}},
    }


@cache
def _documents() -> dict[str, dict[str, Any]]:
    return {document_key(gv): _document(gv) for gv in group_versions()}


def openapi_documents() -> dict[str, dict[str, Any]]:
    """Every served group-version's OpenAPI 3.0 document, keyed `api/v1`, `apis/apps/v1`, ...
    Building is deterministic, so a hash of the serialized document is stable."""
    return copy.deepcopy(_documents())
