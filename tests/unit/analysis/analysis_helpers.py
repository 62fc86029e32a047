"""Helpers for the analysis controller tests: a scripted HTTP server and a controller driver.

The HTTP server is real (127.0.0.1, an ephemeral port) so the web and prometheus providers
make real requests; each response comes from a script the test writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from clusters.embedded.analysis.controller import ANALYSIS_RUNS, AnalysisRunController
from clusters.embedded.clock import Clock
from clusters.embedded.resources import find_plural
from clusters.embedded.status import ApiError
from clusters.embedded.store import Store

NAMESPACES = find_plural("", "v1", "namespaces")
Reply = tuple[int, str | bytes]


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (a timeout test) is expected; do not print its broken pipe."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None


class ScriptedServer:
    """Answers each request with the next scripted reply (the last one repeats)."""

    def __init__(self) -> None:
        self.replies: list[Reply] = [(200, "{}")]
        self.requests: list[dict[str, Any]] = []
        self.handler: Callable[[dict[str, Any]], Reply] | None = None
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "body": self.rfile.read(length) if length else b"",
                    "at": time.monotonic(),
                }
                status, body = server.next_reply(request)
                payload = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def script(self, *replies: Reply | dict[str, Any]) -> None:
        """Queue replies; a dict is a 200 JSON body."""
        with self._lock:
            self.replies = [(200, json.dumps(r)) if isinstance(r, dict) else r for r in replies]

    def next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.handler is not None:
                return self.handler(request)
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]


@contextlib.contextmanager
def serving() -> Iterator[ScriptedServer]:
    """A started ScriptedServer, shut down afterwards."""
    server = ScriptedServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def new_store(clock: Clock, namespace: str = "lab") -> Store:
    store = Store(None, clock)
    store.create(NAMESPACES, {"metadata": {"name": namespace}})
    return store


def analysis_run(
    metrics: list[dict[str, Any]], name: str = "run", namespace: str = "lab", **spec: Any
) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisRun",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"metrics": metrics, **spec},
    }


def web_metric(url: str, name: str = "sr", **fields: Any) -> dict[str, Any]:
    provider = {"web": {"url": url, "jsonPath": "{$.v}"}}
    return {"name": name, "provider": provider, **fields}


class Driver:
    """Runs the real controller (watches, timers) on a store until a run completes."""

    def __init__(self, time_scale: float) -> None:
        self.clock = Clock(time_scale)
        self.store = new_store(self.clock)

    def run(
        self,
        run: dict[str, Any],
        *,
        timeout: float = 15.0,
        during: Callable[[Driver, float], None] | None = None,
        until: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Create `run`, let the controller work until it completes (or `until`), return it.

        With `until`, a run that disappears (TTL) also ends the wait; `{}` is returned then.

        `during(driver, cluster_seconds_since_create)` is called every poll (e.g. to terminate).
        """
        return asyncio.run(self._run(run, timeout, during, until))

    async def _run(self, run, timeout, during, until) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        controller = AnalysisRunController(self.store, self.clock)
        await controller.start()
        try:
            name, namespace = run["metadata"]["name"], run["metadata"]["namespace"]
            self.store.create(ANALYSIS_RUNS, run)
            started = time.monotonic()
            done = until or (
                lambda r: (
                    (r.get("status") or {}).get("phase")
                    in ("Successful", "Failed", "Error", "Inconclusive")
                )
            )
            while time.monotonic() - started < timeout:
                current = self._get(namespace, name)
                if (current is not None and done(current)) or (current is None and until):
                    await asyncio.sleep(0.05)  # let a follow-up pass (events) finish
                    return self._get(namespace, name) or {}
                if during is not None:
                    during(self, (time.monotonic() - started) * self.clock.time_scale)
                await asyncio.sleep(0.01)
            raise AssertionError(
                f"run did not finish: {self.store.get(ANALYSIS_RUNS, namespace, name)}"
            )
        finally:
            await controller.stop()

    def _get(self, namespace: str, name: str) -> dict[str, Any] | None:
        try:
            return self.store.get(ANALYSIS_RUNS, namespace, name)
        except ApiError as error:
            if error.code == 404:
                return None
            raise

    def events(self, namespace: str = "lab") -> list[tuple[str, str, str]]:
        events = self.store.list(find_plural("", "v1", "events"), namespace).items
        return [(e["type"], e["reason"], e["message"]) for e in events]
