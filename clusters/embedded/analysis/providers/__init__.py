"""Metric providers: each takes (or resumes, or terminates) one measurement of one metric.

A provider is built per measurement from the resolved metric (`new_provider`); a construction
problem (bad jsonPath, missing Prometheus address) raises `ProviderError`, which the controller
records as an Error measurement, as upstream does. Only web, job and prometheus can run here;
the other upstream providers need their vendors' services.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from clusters.embedded.clock import Clock

__all__ = [
    "SUPPORTED_PROVIDERS",
    "Provider",
    "ProviderContext",
    "ProviderError",
    "finished",
    "mark_error",
    "new_provider",
    "provider_type",
]

SUPPORTED_PROVIDERS = ("web", "job", "prometheus")
_ALL_PROVIDERS = (
    "prometheus",
    "kayenta",
    "web",
    "datadog",
    "wavefront",
    "newRelic",
    "job",
    "cloudWatch",
    "graphite",
    "influxdb",
    "skywalking",
    "plugin",
)


class ProviderError(Exception):
    """The provider cannot be built for this metric; str() is upstream's message."""


@dataclass
class ProviderContext:
    """What providers may use: the store (jobs), the clock, in-cluster name resolution."""

    store: Any
    clock: Clock
    resolver: Any = None
    transport: httpx.AsyncBaseTransport | None = None  # tests may inject one
    _pool: dict[bool, httpx.AsyncHTTPTransport] = field(default_factory=dict)

    def http_transport(self, insecure: bool) -> httpx.AsyncBaseTransport:
        """One shared transport per TLS mode (as Go shares its transports): building a TLS
        context per request would cost more than the request."""
        if self.transport is not None:
            return self.transport
        if insecure not in self._pool:
            self._pool[insecure] = httpx.AsyncHTTPTransport(verify=not insecure)
        return self._pool[insecure]

    async def aclose(self) -> None:
        for transport in self._pool.values():
            await transport.aclose()
        self._pool.clear()


class Provider(Protocol):
    """Upstream's metric provider interface, asynchronous where it does I/O."""

    def metadata(self, metric: dict[str, Any]) -> dict[str, str] | None: ...

    async def run(self, run: dict[str, Any], metric: dict[str, Any]) -> dict[str, Any]: ...

    async def resume(
        self, run: dict[str, Any], metric: dict[str, Any], measurement: dict[str, Any]
    ) -> dict[str, Any]: ...

    async def terminate(
        self, run: dict[str, Any], metric: dict[str, Any], measurement: dict[str, Any]
    ) -> dict[str, Any]: ...

    def garbage_collect(self, run: dict[str, Any], metric: dict[str, Any], limit: int) -> None: ...


def mark_error(measurement: dict[str, Any], message: str, clock: Clock) -> dict[str, Any]:
    """Upstream MarkMeasurementError: phase Error, the message, finishedAt if not yet set."""
    out = dict(measurement)
    out["phase"] = "Error"
    out["message"] = message
    out.setdefault("finishedAt", clock.stamp())
    return out


def finished(measurement: dict[str, Any], phase: str, clock: Clock) -> dict[str, Any]:
    """A measurement completed now with `phase`."""
    out = dict(measurement)
    out["phase"] = phase
    out["finishedAt"] = clock.stamp()
    return out


def provider_type(metric: dict[str, Any]) -> str | None:
    """The one provider key set on the metric (validation guarantees one), or None."""
    provider = metric.get("provider") or {}
    for name in _ALL_PROVIDERS:
        if provider.get(name) is not None:
            return name
    return None


def new_provider(metric: dict[str, Any], context: ProviderContext, namespace: str) -> Provider:
    """Build the provider for `metric`; ProviderError when upstream's factory would fail."""
    kind = provider_type(metric)
    if kind == "web":
        from clusters.embedded.analysis.providers.web import WebProvider

        return WebProvider(metric, context, namespace)
    if kind == "prometheus":
        from clusters.embedded.analysis.providers.prometheus import PrometheusProvider

        return PrometheusProvider(metric, context, namespace)
    if kind == "job":
        from clusters.embedded.analysis.providers.job import JobProvider

        return JobProvider(context)
    if kind is None:
        raise ProviderError(f"no valid provider in metric '{metric.get('name', '')}'")
    raise ProviderError(
        f"{kind} metrics are not supported by the embedded cluster (it runs web, job and "
        "prometheus metrics; use the kind backend with a real Argo Rollouts for others)"
    )
