"""PATCH bodies applied to a live object: JSON merge patch (RFC 7386), JSON patch
(RFC 6902) and strategic merge patch (built-ins only), with the apiserver's status codes.

Server-side apply bodies are handled by `ssa.server_side_apply`; `apply_patch` forwards them
there when given a field manager. Every malformed patch ends as a 4xx `ApiError`.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from clusters.embedded import status
from clusters.embedded.resources import ResourceType
from clusters.embedded.smp import strategic_merge
from clusters.embedded.status import ApiError

__all__ = [
    "APPLY_PATCH",
    "JSON_PATCH",
    "MERGE_PATCH",
    "STRATEGIC_MERGE_PATCH",
    "PatchError",
    "accepted_patch_types",
    "apply_json_patch",
    "apply_patch",
    "decode_json",
    "json_merge_patch",
    "unprocessable",
]

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


class PatchError(ApiError):
    """A patch that cannot be applied (the `ApiError` carries the Status to answer)."""


def unprocessable(detail: str) -> PatchError:
    """422 as the apiserver answers a patch that does not apply. The apiserver's message has
    no detail; we append the patch library's reason, so kubectl prints `The request is
    invalid: the server rejected our request ...: unable to remove nonexistent key: x: ...`."""
    message = f"the server rejected our request due to an error in our request: {detail}"
    return PatchError(status.status_body(422, "Invalid", message))


def _bad_request(message: str) -> PatchError:
    return PatchError(status.bad_request(message).status)


def accepted_patch_types(rt: ResourceType) -> list[str]:
    """The patch media types a kind accepts, as 415 answers list them."""
    types = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]
    if rt.builtin:
        types.insert(2, STRATEGIC_MERGE_PATCH)
    return types


def decode_json(body: bytes | str) -> Any:
    """Parse a JSON patch body, or raise 400 with the decoder's complaint."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        return json.loads(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise _bad_request(f"error decoding patch: {error}") from None


# --- JSON merge patch -------------------------------------------------------------------


def json_merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, `null` deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = json_merge_patch(result.get(key), value)
    return result


# --- JSON patch -------------------------------------------------------------------------


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise unprocessable(f"invalid JSON pointer: {path!r}")
    if path == "":
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _index(container: list[Any], token: str, path: str, *, for_insert: bool) -> int:
    if token == "-" and for_insert:
        return len(container)
    if not token.isdigit() or (token != "0" and token.startswith("0")):
        raise unprocessable(f"invalid array index {token!r} in path: {path}")
    index = int(token)
    limit = len(container) if for_insert else len(container) - 1
    if index > limit:
        raise unprocessable(f"index out of range: {index} in path: {path}")
    return index


def _parent(doc: Any, tokens: list[str], op: str, path: str) -> Any:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, path, for_insert=False)]
        else:
            raise unprocessable(f'{op} operation does not apply: doc is missing path: "{path}"')
    if not isinstance(node, dict | list):
        raise unprocessable(f'{op} operation does not apply: doc is missing path: "{path}"')
    return node


def _get(doc: Any, path: str, op: str) -> Any:
    node = doc
    for token in _pointer(path):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, path, for_insert=False)]
        else:
            raise unprocessable(f"{op} operation does not apply: doc is missing path: {path}")
    return node


def _add(doc: Any, path: str, value: Any, op: str = "add") -> Any:
    tokens = _pointer(path)
    if not tokens:
        return copy.deepcopy(value)
    parent = _parent(doc, tokens, op, path)
    if isinstance(parent, list):
        parent.insert(_index(parent, tokens[-1], path, for_insert=True), copy.deepcopy(value))
    else:
        parent[tokens[-1]] = copy.deepcopy(value)
    return doc


def _remove(doc: Any, path: str, op: str = "remove") -> Any:
    tokens = _pointer(path)
    if not tokens:
        raise unprocessable(f"{op} operation does not apply: cannot remove the whole document")
    parent = _parent(doc, tokens, op, path)
    if isinstance(parent, list):
        del parent[_index(parent, tokens[-1], path, for_insert=False)]
    elif tokens[-1] in parent:
        del parent[tokens[-1]]
    else:
        raise unprocessable(f"unable to remove nonexistent key: {tokens[-1]}: missing value")
    return doc


def _replace(doc: Any, path: str, value: Any) -> Any:
    tokens = _pointer(path)
    if not tokens:
        return copy.deepcopy(value)
    parent = _parent(doc, tokens, "replace", path)
    if isinstance(parent, list):
        parent[_index(parent, tokens[-1], path, for_insert=False)] = copy.deepcopy(value)
    elif tokens[-1] in parent:
        parent[tokens[-1]] = copy.deepcopy(value)
    else:
        raise unprocessable(
            f"replace operation does not apply: doc is missing key: {path}: missing value"
        )
    return doc


def _operation(doc: Any, operation: Any) -> Any:
    if not isinstance(operation, dict):
        raise _bad_request("json: cannot unmarshal a non-object into a JSON patch operation")
    op = operation.get("op")
    path = operation.get("path")
    if not isinstance(path, str):
        raise unprocessable(f"{op} operation does not apply: missing or invalid path")
    if op in ("add", "replace", "test") and "value" not in operation:
        raise unprocessable(f"{op} operation does not apply: missing value")
    if op == "add":
        return _add(doc, path, operation["value"])
    if op == "remove":
        return _remove(doc, path)
    if op == "replace":
        return _replace(doc, path, operation["value"])
    if op in ("move", "copy"):
        source = operation.get("from")
        if not isinstance(source, str):
            raise unprocessable(f"{op} operation does not apply: missing or invalid from path")
        try:
            value = _get(doc, source, op)
        except PatchError:
            raise unprocessable(
                f"{op} operation does not apply: doc is missing from path: {source}: missing value"
            ) from None
        if op == "move":
            if isinstance(path, str) and isinstance(source, str) and path.startswith(source + "/"):
                raise unprocessable(
                    f"move operation does not apply: cannot move {source} into its own child"
                )
            doc = _remove(doc, source, "move")
        return _add(doc, path, value, op)
    if op == "test":
        if _get(doc, path, "test") != operation["value"]:
            raise unprocessable(f"testing value {path} failed: test failed")
        return doc
    raise unprocessable(f"Unexpected kind: {op}")


def apply_json_patch(document: Any, operations: Any) -> Any:
    """RFC 6902 on a copy of `document`; a failing operation raises 422."""
    if not isinstance(operations, list):
        raise _bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    doc = copy.deepcopy(document)
    for operation in operations:
        doc = _operation(doc, operation)
    return doc


# --- dispatch ---------------------------------------------------------------------------


def apply_patch(
    rt: ResourceType,
    live: dict[str, Any],
    body: bytes,
    content_type: str,
    *,
    manager: str | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """The object `live` becomes after a PATCH with this body (the input is not modified).

    Answers 415 for SMP on custom resources and for unknown patch types. Apply patches
    (`application/apply-patch+yaml`) need `manager` and go to `ssa.server_side_apply`.
    """
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == APPLY_PATCH:
        from clusters.embedded.ssa import decode_apply_body, server_side_apply

        if not manager:
            raise _bad_request(
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is '
                "required for apply patch"
            )
        return server_side_apply(rt, live, decode_apply_body(body), manager=manager, force=force)
    if media_type not in accepted_patch_types(rt):
        raise PatchError(status.unsupported_media_type("", accepted_patch_types(rt)).status)
    patch = decode_json(body)
    if media_type == JSON_PATCH:
        result = apply_json_patch(live, patch)
    elif not isinstance(patch, dict):
        raise _bad_request("invalid JSON document: a patch must be a JSON object")
    elif media_type == MERGE_PATCH:
        result = json_merge_patch(live, patch)
    else:
        result = strategic_merge(rt, live, patch)
    if not isinstance(result, dict):
        raise unprocessable("the patched document is not an object")
    return result
