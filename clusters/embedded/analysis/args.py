"""Resolve `{{args.NAME}}` placeholders in metrics as upstream does (fasttemplate over JSON).

Each metric is serialised to JSON, every `{{ tag }}` is replaced by the JSON-escaped value of
`args.<trimmed tag>`, and the text is decoded again. Any argument without a value fails the
whole resolution (even an unused one); an unknown tag fails with `failed to resolve {{tag}}`.
Secret-backed arguments get a placeholder for validation and their real value (read from a
Secret in the run's namespace) only when measuring.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

__all__ = [
    "SECRET_PLACEHOLDER",
    "ArgError",
    "redact",
    "resolve_metric",
    "resolve_metrics_with_secrets",
    "resolve_metrics_without_secrets",
    "secret_value",
]

SECRET_PLACEHOLDER = "temp-for-secret"
_OPEN, _CLOSE = "{{", "}}"

SecretLookup = Callable[[str, str], str]


class ArgError(ValueError):
    """Arguments could not be substituted; the text is upstream's error message."""


def _substitute(template: str, values: dict[str, str]) -> str:
    out: list[str] = []
    position = 0
    unresolved: str | None = None
    while True:
        start = template.find(_OPEN, position)
        if start < 0:
            out.append(template[position:])
            break
        out.append(template[position:start])
        end = template.find(_CLOSE, start + len(_OPEN))
        if end < 0:
            raise ArgError(
                f'Cannot find end tag="{_CLOSE}" in the template={json.dumps(template)} '
                f"starting from {json.dumps(template[start + len(_OPEN) :])}"
            )
        tag = template[start + len(_OPEN) : end]
        cleaned = tag.strip()
        if cleaned in values:
            out.append(values[cleaned])
        else:
            unresolved = f"failed to resolve {{{{{tag}}}}}"
        position = end + len(_CLOSE)
    if unresolved is not None:
        raise ArgError(unresolved)
    return "".join(out)


def resolve_metric(metric: dict[str, Any], args: list[dict[str, Any]]) -> dict[str, Any]:
    """The metric with every placeholder replaced; ArgError as upstream's ResolveMetricArgs."""
    values: dict[str, str] = {}
    for arg in args:
        value = arg.get("value")
        if value is None:
            raise ArgError(f'argument "{arg.get("name", "")}" was not supplied')
        values[f"args.{arg.get('name', '')}"] = json.dumps(str(value), ensure_ascii=False)[1:-1]
    text = _substitute(json.dumps(metric, ensure_ascii=False), values)
    try:
        resolved = json.loads(text)
    except ValueError as error:
        raise ArgError(str(error)) from None
    return resolved if isinstance(resolved, dict) else {}


def _is_secret(arg: dict[str, Any]) -> bool:
    return bool((arg.get("valueFrom") or {}).get("secretKeyRef"))


def resolve_metrics_without_secrets(
    metrics: list[dict[str, Any]], args: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Resolve with a placeholder for secret args (validation and scheduling only)."""
    plain = []
    for arg in args:
        if _is_secret(arg):
            plain.append({"name": arg.get("name", ""), "value": SECRET_PLACEHOLDER})
        else:
            plain.append(arg)
    return [resolve_metric(metric, plain) for metric in metrics]


def secret_value(secret: dict[str, Any], name: str, key: str) -> str:
    """The decoded `data[key]` of a Secret (or `stringData[key]`), ArgError when absent."""
    data = secret.get("data") or {}
    if key in data:
        try:
            return base64.b64decode(str(data[key]), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return str(data[key])
    string_data = secret.get("stringData") or {}
    if key in string_data:
        return str(string_data[key])
    raise ArgError(f"key '{key}' does not exist in secret '{name}'")


def resolve_metrics_with_secrets(
    metrics: list[dict[str, Any]], args: list[dict[str, Any]], lookup: SecretLookup
) -> tuple[list[dict[str, Any]], list[str]]:
    """Resolve with real secret values; also return those values for redaction."""
    resolved_args = []
    secrets: list[str] = []
    for arg in args:
        if _is_secret(arg):
            ref = arg["valueFrom"]["secretKeyRef"]
            value = lookup(str(ref.get("name", "")), str(ref.get("key", "")))
            if value not in secrets:
                secrets.append(value)
            resolved_args.append({"name": arg.get("name", ""), "value": value})
        else:
            resolved_args.append(arg)
    return [resolve_metric(metric, resolved_args) for metric in metrics], secrets


def redact(message: str, secrets: list[str]) -> str:
    """Replace each secret value in a measurement message with `*****`."""
    for secret in secrets:
        if secret:
            message = message.replace(secret, "*****")
    return message
