"""Content negotiation for the embedded API server: request bodies in, response shapes out.

Request bodies are decoded defensively (size, nesting and YAML alias limits, strict JSON) so
hostile input always becomes a 4xx `Status`, never a 500. Accept headers decide between plain
JSON, `Table` and aggregated discovery, exactly as kubectl asks for them.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from clusters.embedded.status import ApiError, bad_request, status_body

__all__ = [
    "AGGREGATED_DISCOVERY_TYPE",
    "JSON_PATCH",
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MERGE_PATCH",
    "PATCH_TYPES",
    "SSA_PATCH",
    "STRATEGIC_PATCH",
    "TABLE_TYPE",
    "decode_object",
    "decode_structure",
    "media_type",
    "parse_bool",
    "wants_aggregated_discovery",
    "wants_table",
]

MAX_BODY_BYTES = 3 * 1024 * 1024
# Deeper documents than this are refused before anything walks them recursively.
MAX_DEPTH = 100
# Expanded node budget for one body (guards YAML alias bombs).
_MAX_NODES = 1_000_000

TABLE_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io"
AGGREGATED_DISCOVERY_TYPE = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
SSA_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, SSA_PATCH)

_JSON_TYPES = ("application/json", "")
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", SSA_PATCH)
_PROTOBUF = "application/vnd.kubernetes.protobuf"


def media_type(content_type: str | None) -> str:
    """The bare, lower-cased media type of a Content-Type header (parameters dropped)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _accept_entries(accept: str | None) -> list[dict[str, str]]:
    entries = []
    for part in (accept or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        entry = {"type": fields[0].lower()}
        for field in fields[1:]:
            key, _, value = field.partition("=")
            entry[key.strip().lower()] = value.strip()
        entries.append(entry)
    return entries


def wants_table(accept: str | None) -> bool:
    """True when the first Accept entry we can serve is a meta.k8s.io Table (kubectl get)."""
    for entry in _accept_entries(accept):
        if entry.get("as") == "Table" and entry.get("g") == "meta.k8s.io":
            if entry.get("v") == "v1":
                return True
            continue
        if entry["type"] in ("application/json", "*/*", "application/*"):
            return False
    return False


def wants_aggregated_discovery(accept: str | None) -> bool:
    """True when the client asks for `APIGroupDiscoveryList` v2 before plain JSON."""
    for entry in _accept_entries(accept):
        if entry.get("as") == "APIGroupDiscoveryList" and entry.get("g") == "apidiscovery.k8s.io":
            if entry.get("v") == "v2":
                return True
            continue
        if entry["type"] in ("application/json", "*/*", "application/*"):
            return False
    return False


def parse_bool(value: str | None) -> bool:
    """Query-string booleans as clients send them (`true`, `True`, `1`)."""
    return (value or "").strip().lower() in ("true", "1", "yes")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON number {name}")


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents nested deeper than MAX_DEPTH while composing."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        depth = getattr(self, "_depth", 0) + 1
        if depth > MAX_DEPTH + 1:
            raise yaml.YAMLError(f"nesting deeper than {MAX_DEPTH} levels")
        self._depth = depth
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth = depth - 1


# Timestamps stay strings, as the API stores them (PyYAML would build datetime objects).
_LimitedLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_SCALARS = (str, int, bool, type(None))


def _check_scalar(item: Any) -> None:
    if isinstance(item, float):
        if item != item or item in (float("inf"), float("-inf")):
            raise bad_request("the request body holds a non-finite number (NaN or Infinity)")
    elif not isinstance(item, _SCALARS):
        raise bad_request(f"the request body holds an unsupported value type {type(item).__name__}")


def _check_shape(value: Any) -> None:
    """Refuse bodies nested deeper than MAX_DEPTH or expanding to too many nodes."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > _MAX_NODES:
            raise bad_request("the request body is too large once expanded (YAML aliases?)")
        if isinstance(item, dict | list) and depth > MAX_DEPTH:
            raise bad_request(f"the request body is nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, dict):
            for key, child in item.items():
                if not isinstance(key, str):
                    raise bad_request(f"object keys must be strings, got {key!r}")
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        else:
            _check_scalar(item)


def _protobuf_error() -> ApiError:
    message = (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml. Protobuf request bodies (sent by generator "
        "commands such as `kubectl create namespace`) are not supported by the embedded "
        "cluster; write the object to a manifest and use `kubectl apply -f <file>` instead"
    )
    return ApiError(status_body(415, "UnsupportedMediaType", message))


def decode_structure(body: bytes, content_type: str | None) -> Any:
    """Decode a JSON or YAML body into Python data, turning every failure into a 4xx."""
    kind = media_type(content_type)
    if kind == _PROTOBUF:
        raise _protobuf_error()
    if not body.strip():
        raise bad_request("the request body is empty; expected a JSON or YAML object")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise bad_request(f"the request body is not valid UTF-8: {error}") from None
    if kind in _YAML_TYPES:
        value = _decode_yaml(text)
    elif kind in _JSON_TYPES or kind in (JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH):
        value = _decode_json(text)
    else:
        raise ApiError(
            status_body(
                415,
                "UnsupportedMediaType",
                f"{kind}: the body of the request was in an unknown format - accepted media "
                "types include: application/json, application/yaml",
            )
        )
    _check_shape(value)
    return value


def _decode_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise bad_request(f"the request body is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:
        raise bad_request(f"couldn't decode the request body as JSON: {error}") from None


def _decode_yaml(text: str) -> Any:
    try:
        documents = list(yaml.load_all(text, Loader=_LimitedLoader))
    except RecursionError:
        raise bad_request(f"the request body is nested deeper than {MAX_DEPTH} levels") from None
    except yaml.YAMLError as error:
        raise bad_request(f"couldn't decode the request body as YAML: {error}") from None
    documents = [d for d in documents if d is not None]
    if len(documents) != 1:
        raise bad_request(
            f"the request body must hold exactly one YAML document, found {len(documents)}"
        )
    return documents[0]


def decode_object(body: bytes, content_type: str | None) -> dict[str, Any]:
    """Decode a body that must be one Kubernetes object (a JSON/YAML mapping)."""
    value = decode_structure(body, content_type)
    if not isinstance(value, dict):
        raise bad_request(f"the request body must be a JSON object, got {type(value).__name__}")
    return value
