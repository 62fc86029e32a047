"""Request-level checks shared by every write route: query options, type meta, names, admission.

These run before the schema modules and the store see an object, so malformed requests fail
with the apiserver's 400/422 messages and nothing unsafe (a `..` name, a wrong kind) is stored.
"""

from __future__ import annotations

import re
from typing import Any

from clusters.embedded import validation
from clusters.embedded.allocators import allocate_service
from clusters.embedded.api_messages import ApiRequest, ServerContext
from clusters.embedded.resources import ResourceType
from clusters.embedded.status import bad_request, invalid

__all__ = [
    "admit",
    "check_identity",
    "check_new_name",
    "check_type_meta",
    "dry_run",
    "field_validation",
    "prepare_service",
]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SUBDOMAIN_HELP = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_LABEL_HELP = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex "
    "used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)


def dry_run(request: ApiRequest, options: dict[str, Any] | None = None) -> bool:
    """`dryRun=All` from the query (or a DeleteOptions body); other values are a 400."""
    values = [request.param("dryRun")] if "dryRun" in request.query else []
    body_value = (options or {}).get("dryRun")
    if isinstance(body_value, list):
        values.extend(str(v) for v in body_value)
    elif body_value is not None:
        raise bad_request("DeleteOptions.dryRun must be a list of strings")
    for value in values:
        if value not in ("All", ""):
            raise bad_request(f'invalid dryRun value "{value}": the only supported value is "All"')
    return "All" in values


def field_validation(request: ApiRequest) -> str:
    """The `fieldValidation` directive (checked by `validation.admit`); default Warn."""
    return request.param("fieldValidation") or "Warn"


def check_type_meta(resource: ResourceType, obj: dict[str, Any]) -> None:
    """apiVersion/kind must match the URL's resource; missing ones are filled in."""
    api_version = obj.get("apiVersion")
    kind = obj.get("kind")
    if api_version not in (None, "") and api_version != resource.api_version:
        raise bad_request(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({resource.api_version})"
        )
    if kind not in (None, "") and kind != resource.kind:
        raise bad_request(
            f"the kind in the data ({kind}) does not match the expected kind ({resource.kind})"
        )
    obj["apiVersion"] = resource.api_version
    obj["kind"] = resource.kind
    metadata = obj.setdefault("metadata", {})
    if not isinstance(metadata, dict):
        raise bad_request("metadata must be an object")


def _name_causes(resource: ResourceType, name: Any, field: str) -> list[dict[str, str]]:
    if not isinstance(name, str):
        return [{"reason": "FieldValueInvalid", "field": field, "message": "must be a string"}]
    label_only = resource.plural == "namespaces"
    pattern, help_text = (_LABEL, _LABEL_HELP) if label_only else (_SUBDOMAIN, _SUBDOMAIN_HELP)
    limit = 63 if label_only else 253
    if len(name) > limit:
        return [
            {
                "reason": "FieldValueTooLong",
                "field": field,
                "message": f"Too long: may not be more than {limit} bytes",
            }
        ]
    if not pattern.match(name):
        return [
            {
                "reason": "FieldValueInvalid",
                "field": field,
                "message": f'Invalid value: "{name}": {help_text}',
            }
        ]
    return []


def check_new_name(resource: ResourceType, obj: dict[str, Any]) -> None:
    """422 for a missing or malformed `metadata.name` / `generateName` on create."""
    metadata = obj["metadata"]
    name = metadata.get("name")
    generate = metadata.get("generateName")
    if name in (None, "") and generate in (None, ""):
        raise invalid(
            resource,
            "",
            [
                {
                    "reason": "FieldValueRequired",
                    "field": "metadata.name",
                    "message": "Required value: name or generateName is required",
                }
            ],
        )
    causes = []
    if name not in (None, ""):
        causes += _name_causes(resource, name, "metadata.name")
    elif not isinstance(generate, str) or not _SUBDOMAIN.match(generate.rstrip("-") or "x"):
        causes += _name_causes(resource, generate, "metadata.generateName")
    if causes:
        raise invalid(resource, name if isinstance(name, str) else "", causes)


def check_identity(
    resource: ResourceType, obj: dict[str, Any], namespace: str | None, name: str | None
) -> None:
    """Body name/namespace must agree with the URL; an absent namespace is taken from it."""
    metadata = obj["metadata"]
    if resource.namespaced:
        body_namespace = metadata.get("namespace")
        if body_namespace not in (None, "") and body_namespace != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on the "
                "request"
            )
        metadata["namespace"] = namespace
    else:
        metadata.pop("namespace", None)
    if name is not None:
        body_name = metadata.get("name")
        if body_name in (None, ""):
            metadata["name"] = name
        elif body_name != name:
            raise bad_request(
                f"the name of the object ({body_name}) does not match the name on the URL ({name})"
            )


def admit(
    context: ServerContext,
    request: ApiRequest,
    resource: ResourceType,
    obj: dict[str, Any],
    operation: str,
    old: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Run schema admission (defaulting, field validation); returns (object, warnings)."""
    try:
        result = validation.admit(
            resource,
            obj,
            field_validation=field_validation(request),
            operation=operation,
            old=old,
        )
    except RecursionError:
        raise bad_request("the object is nested too deeply to validate") from None
    return result.obj, list(result.warnings)


def prepare_service(
    context: ServerContext,
    resource: ResourceType,
    obj: dict[str, Any],
    old: dict[str, Any] | None,
) -> None:
    """Allocate cluster IP and node ports for Services (caller holds ALLOCATION_LOCK)."""
    if resource.kind != "Service" or resource.group:
        return
    existing = context.store.list(resource, None).items
    allocate_service(resource, obj, existing, old)
