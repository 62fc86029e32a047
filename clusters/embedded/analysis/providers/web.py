"""The `web` metric provider: one HTTP request per measurement, JSONPath, conditions.

Requests go through the embedded cluster's resolver, so `http://svc.ns.svc.cluster.local/...`
and its short forms reach the Service proxy. Behaviour follows v1.9.1 `webmetric.go`: a body
that is not JSON is Successful without evaluation; only the first JSONPath match counts;
`value` is the Go JSON encoding of the selected value and stays empty when evaluation fails.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from clusters.embedded.analysis.gojson import decode_json, go_json
from clusters.embedded.analysis.jsonpath import JSONPath, JSONPathError
from clusters.embedded.analysis.providers import ProviderContext, ProviderError, mark_error
from clusters.embedded.analysis.providers.httperrors import go_transport_error
from clusters.embedded.rollouts.expr import evaluate_result

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "WebProvider", "http_client"]

DEFAULT_TIMEOUT_SECONDS = 10
_USER_AGENT = "Go-http-client/1.1"


def http_client(
    context: ProviderContext, namespace: str, *, insecure: bool = False
) -> httpx.AsyncClient:
    """An httpx client that resolves Service names the way a pod in `namespace` would."""
    from clusters.embedded.dns import ResolvingTransport

    inner = _Shared(context.http_transport(insecure))
    transport: httpx.AsyncBaseTransport = inner
    if context.resolver is not None:
        transport = ResolvingTransport(context.resolver, namespace, inner)
    return httpx.AsyncClient(transport=transport, follow_redirects=True, trust_env=False)


class _Shared(httpx.AsyncBaseTransport):
    """A shared transport that a short-lived client must not close."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        return None


class WebProvider:
    """Upstream's WebMetric provider."""

    def __init__(self, metric: dict[str, Any], context: ProviderContext, namespace: str) -> None:
        self.web = (metric.get("provider") or {}).get("web") or {}
        self.context = context
        self.namespace = namespace
        oauth = ((self.web.get("authentication") or {}).get("oauth2")) or {}
        if oauth.get("tokenUrl") and not (oauth.get("clientId") and oauth.get("clientSecret")):
            raise ProviderError("missing mandatory parameter in metric for OAuth2 setup")
        try:
            self.json_path = JSONPath(str(self.web.get("jsonPath") or "{$}"))
        except JSONPathError as error:
            raise ProviderError(str(error)) from None
        timeout = int(self.web.get("timeoutSeconds") or 0)
        self.timeout = timeout if timeout > 0 else DEFAULT_TIMEOUT_SECONDS

    def metadata(self, metric: dict[str, Any]) -> dict[str, str] | None:
        return None

    async def run(self, run: dict[str, Any], metric: dict[str, Any]) -> dict[str, Any]:
        clock = self.context.clock
        measurement: dict[str, Any] = {"startedAt": clock.stamp()}
        method = str(self.web.get("method") or "GET")
        url = str(self.web.get("url") or "")
        body_text = str(self.web.get("body") or "")
        json_body = self.web.get("jsonBody")
        if body_text and json_body is not None:
            message = "use either Body or JSONBody; both cannot exists for WebMetric payload"
            return mark_error(measurement, message, clock)
        if (body_text or json_body is not None) and method == "GET":
            message = "Body/JSONBody can only be used with POST or PUT WebMetric Method types"
            return mark_error(measurement, message, clock)
        headers: dict[str, tuple[str, str]] = {"user-agent": ("User-Agent", _USER_AGENT)}
        for header in self.web.get("headers") or []:
            key = str(header.get("key", ""))
            headers[key.lower()] = (key, str(header.get("value", "")))
        content: bytes | None = body_text.encode() if body_text else None
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
            headers["content-type"] = ("Content-Type", "application/json")
        oauth = ((self.web.get("authentication") or {}).get("oauth2")) or {}
        try:
            async with http_client(
                self.context, self.namespace, insecure=bool(self.web.get("insecure"))
            ) as client:
                if oauth.get("tokenUrl"):
                    token = await asyncio.wait_for(self._token(client, oauth), self.timeout)
                    headers["authorization"] = ("Authorization", f"Bearer {token}")
                request = client.build_request(
                    method, url, headers=list(headers.values()), content=content
                )
                response = await asyncio.wait_for(client.send(request), self.timeout)
        except (httpx.HTTPError, TimeoutError, OSError) as error:
            return mark_error(measurement, go_transport_error(method, url, error), clock)
        except ValueError as error:  # a URL httpx cannot even build
            return mark_error(measurement, f'parse "{url}": {error}', clock)
        if not 200 <= response.status_code < 300:
            message = f"received non 2xx response code: {response.status_code}"
            return mark_error(measurement, message, clock)
        return self._assess(measurement, metric, response.content)

    async def _token(self, client: httpx.AsyncClient, oauth: dict[str, Any]) -> str:
        """OAuth2 client-credentials: POST the token URL, read `access_token`."""
        form = {"grant_type": "client_credentials"}
        if oauth.get("scopes"):
            form["scope"] = " ".join(str(s) for s in oauth["scopes"])
        response = await client.post(
            str(oauth["tokenUrl"]),
            data=form,
            auth=(str(oauth["clientId"]), str(oauth["clientSecret"])),
        )
        if not 200 <= response.status_code < 300:
            raise httpx.HTTPStatusError(
                f"oauth2: cannot fetch token: {response.status_code}",
                request=response.request,
                response=response,
            )
        return str(response.json().get("access_token", ""))

    def _assess(
        self, measurement: dict[str, Any], metric: dict[str, Any], body: bytes
    ) -> dict[str, Any]:
        clock = self.context.clock
        try:
            data = decode_json(body)
        except ValueError:
            # v1.9.1: a body that is not JSON is returned as is and counts as Successful.
            measurement.update(
                value=body.decode("utf-8", "replace"), phase="Successful", finishedAt=clock.stamp()
            )
            return measurement
        try:
            results = self.json_path.find_results(data)
        except JSONPathError as error:
            return mark_error(measurement, f"Could not find JSONPath in body: {error}", clock)
        found = [value for values in results for value in values[:1]]
        if not found:
            return mark_error(measurement, "result of web metric produced no value", clock)
        value = found[0]
        phase, message = evaluate_result(
            value,
            str(metric.get("successCondition") or ""),
            str(metric.get("failureCondition") or ""),
        )
        if phase == "Error":
            return mark_error(measurement, message, clock)
        measurement.update(value=go_json(value), phase=phase, finishedAt=clock.stamp())
        return measurement

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
