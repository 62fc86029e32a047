"""The `prometheus` metric provider: an instant query over real HTTP, as v1.9.1 runs it.

`POST <address>/api/v1/query` with a form body (`query`, `time`), retried as GET when the
server answers 403/405/501 (client_golang's fallback). The response's vector, matrix or
scalar becomes `result` ([]float64 or float64) and `value` (`[0.99,NaN]`, or the bare number).
Errors carry client_golang's texts (`server_error: server error: 503`, `bad_data: ...`) and a
Prometheus that does not answer gives Go's transport error: numbers are never invented.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import urlsplit

import httpx

from clusters.embedded.analysis.gojson import decode_json, prometheus_float
from clusters.embedded.analysis.providers import ProviderContext, ProviderError, mark_error
from clusters.embedded.analysis.providers.httperrors import go_transport_error
from clusters.embedded.analysis.providers.web import http_client
from clusters.embedded.rollouts.expr import Float64Slice, evaluate_result

__all__ = ["ADDRESS_ENV", "DEFAULT_TIMEOUT_SECONDS", "PrometheusProvider", "is_url"]

ADDRESS_ENV = "ARGO_ROLLOUTS_PROMETHEUS_ADDRESS"
DEFAULT_TIMEOUT_SECONDS = 30
RESOLVED_QUERY_KEY = "ResolvedPrometheusQuery"
_FALLBACK_CODES = (403, 405, 501)
_API_ERROR_CODES = (400, 422)


class _QueryError(Exception):
    """An error client_golang would return from Query (its text is the message)."""


def is_url(text: str) -> bool:
    """Go's check: url.Parse succeeds and both scheme and host are present."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return bool(parts.scheme) and bool(parts.netloc)


def _sample(pair: Any) -> float:
    if not isinstance(pair, list) or len(pair) != 2:
        raise _QueryError("bad_response: sample is not a [time, value] pair")
    try:
        return float(str(pair[1]))
    except ValueError:
        raise _QueryError(
            f'bad_response: strconv.ParseFloat: parsing "{pair[1]}": invalid syntax'
        ) from None


class PrometheusProvider:
    """Upstream's Prometheus provider (instant queries; no range queries, no sigv4)."""

    def __init__(self, metric: dict[str, Any], context: ProviderContext, namespace: str) -> None:
        self.prom = (metric.get("provider") or {}).get("prometheus") or {}
        self.context = context
        self.namespace = namespace
        address = str(self.prom.get("address") or "")
        if address:
            if not is_url(address):
                raise ProviderError("prometheus address is not is url format")
        elif os.environ.get(ADDRESS_ENV):
            address = os.environ[ADDRESS_ENV]
            if not is_url(address):
                raise ProviderError("prometheus address is not is url format")
        else:
            raise ProviderError("prometheus address is not configured")
        oauth = ((self.prom.get("authentication") or {}).get("oauth2")) or {}
        if oauth.get("tokenUrl") and not (oauth.get("clientId") and oauth.get("clientSecret")):
            raise ProviderError("missing mandatory parameter in metric for OAuth2 setup")
        self.address = address.rstrip("/")
        timeout = self.prom.get("timeout")
        if timeout is not None and int(timeout) < 0:
            raise ProviderError("prometheus timeout should not be negative")
        self.timeout = DEFAULT_TIMEOUT_SECONDS if timeout is None else int(timeout)

    def metadata(self, metric: dict[str, Any]) -> dict[str, str] | None:
        query = str(self.prom.get("query") or "")
        return {RESOLVED_QUERY_KEY: query} if query else {}

    async def run(self, run: dict[str, Any], metric: dict[str, Any]) -> dict[str, Any]:
        clock = self.context.clock
        measurement: dict[str, Any] = {"startedAt": clock.stamp()}
        if self.prom.get("rangeQuery"):
            message = "rangeQuery is not supported by the embedded cluster's prometheus provider"
            return mark_error(measurement, message, clock)
        try:
            data, warnings = await asyncio.wait_for(self._query(), self.timeout or None)
        except TimeoutError:
            url = f"{self.address}/api/v1/query"
            message = f'Post "{url}": context deadline exceeded'
            return mark_error(measurement, message, clock)
        except _QueryError as error:
            return mark_error(measurement, str(error), clock)
        try:
            result, value = _decode_result(data)
        except _QueryError as error:
            return mark_error(measurement, str(error), clock)
        phase, message = evaluate_result(
            result,
            str(metric.get("successCondition") or ""),
            str(metric.get("failureCondition") or ""),
        )
        if phase == "Error":
            return mark_error(measurement, message, clock)
        measurement["value"] = value
        if warnings:
            measurement["metadata"] = {"warnings": ", ".join(f'"{w}"' for w in warnings)}
        measurement["phase"] = phase
        measurement["finishedAt"] = clock.stamp()
        return measurement

    async def _query(self) -> tuple[Any, list[str]]:
        url = f"{self.address}/api/v1/query"
        now = self.context.clock.now().timestamp()
        form = {"query": str(self.prom.get("query") or ""), "time": prometheus_float(now)}
        headers = {
            str(h.get("key", "")): str(h.get("value", "")) for h in self.prom.get("headers") or []
        }
        basic = ((self.prom.get("authentication") or {}).get("basicAuth")) or {}
        auth: httpx.BasicAuth | None = None
        if basic.get("username"):
            auth = httpx.BasicAuth(str(basic["username"]), str(basic.get("password", "")))
        async with http_client(
            self.context, self.namespace, insecure=bool(self.prom.get("insecure"))
        ) as client:
            try:
                options: dict[str, Any] = {"headers": headers}
                if auth is not None:
                    options["auth"] = auth
                response = await client.post(url, data=form, **options)
                if response.status_code in _FALLBACK_CODES:
                    response = await client.get(url, params=form, **options)
            except httpx.HTTPError as error:
                method = getattr(getattr(error, "request", None), "method", "POST")
                raise _QueryError(go_transport_error(str(method), url, error)) from None
        return _api_response(response)

    async def resume(
        self, run: dict[str, Any], metric: dict[str, Any], measurement: dict[str, Any]
    ) -> dict[str, Any]:
        return measurement

    async def terminate(
        self, run: dict[str, Any], metric: dict[str, Any], measurement: dict[str, Any]
    ) -> dict[str, Any]:
        return measurement

    def garbage_collect(self, run: dict[str, Any], metric: dict[str, Any], limit: int) -> None:
        return None


def _api_response(response: httpx.Response) -> tuple[Any, list[str]]:
    """client_golang's apiClientImpl.Do: status code rules, envelope, API errors, warnings."""
    code = response.status_code
    if code // 100 != 2 and code not in _API_ERROR_CODES:
        if code // 100 == 4:
            raise _QueryError(f"client_error: client error: {code}")
        if code // 100 == 5:
            raise _QueryError(f"server_error: server error: {code}")
        raise _QueryError(f"bad_response: bad response code {code}")
    envelope: Any = {}
    if code != 204:
        try:
            envelope = decode_json(response.content)
        except ValueError as error:
            raise _QueryError(f"bad_response: {error}") from None
    if not isinstance(envelope, dict):
        raise _QueryError("bad_response: json: cannot unmarshal into apiResponse")
    if code in _API_ERROR_CODES and envelope.get("status") == "success":
        raise _QueryError("bad_response: inconsistent body for response code")
    if envelope.get("status") == "error":
        raise _QueryError(f"{envelope.get('errorType', '')}: {envelope.get('error', '')}")
    warnings = [str(w) for w in envelope.get("warnings") or []]
    return envelope.get("data"), warnings


def _decode_result(data: Any) -> tuple[Any, str]:
    """(`result` for the conditions, measurement `value`) from the query's data block."""
    if not isinstance(data, dict):
        raise _QueryError("Prometheus metric type not supported")
    kind, result = data.get("resultType"), data.get("result")
    if kind == "scalar":
        number = _sample(result)
        return number, prometheus_float(number)
    if kind == "vector":
        values = [_sample(item.get("value")) for item in result or [] if isinstance(item, dict)]
    elif kind == "matrix":
        values = [
            _sample(pair)
            for series in result or []
            if isinstance(series, dict)
            for pair in series.get("values") or []
        ]
    else:
        raise _QueryError("Prometheus metric type not supported")
    text = "[" + ",".join(prometheus_float(v) for v in values) + "]"
    return Float64Slice(values), text
