"""An in-process embedded API server (no TLS, no auth) with a request recorder, per test."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from capture_server import CapturingApp, ServerThread
from kubernetes import client as k8s
from live_api import LiveApi

from clusters.embedded.clock import Clock
from clusters.embedded.server import create_app
from clusters.embedded.store import Store
from clusters.rollouts_client import RolloutsApi


@pytest.fixture
def live() -> Iterator[LiveApi]:
    capture = CapturingApp(create_app(Store(None, Clock()), Clock(), token=None))
    server = ServerThread(capture).start()
    configuration = k8s.Configuration()
    configuration.host = server.url
    api_client = k8s.ApiClient(configuration)
    with httpx.Client(base_url=server.url, timeout=10, trust_env=False) as http:
        yield LiveApi(server.url, capture, http, RolloutsApi(api_client, timeout=10))
    api_client.close()
    server.stop()
