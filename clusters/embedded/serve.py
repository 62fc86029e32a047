"""Run the embedded cluster in this process: store, API server over TLS, extra tasks.

`serve()` is what `python -m clusters.embedded serve` runs. It owns the state directory
layout (TLS files, token, kubeconfig, port, pid, store database, server log) and is the seam
where in-process controllers are added: each `extra_tasks` entry is an async callable given
the shared store and clock, started once the server listens and cancelled at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import uvicorn

from clusters.embedded.certs import ensure_tls_files
from clusters.embedded.clock import Clock
from clusters.embedded.kubeconfig import ensure_token, write_kubeconfig
from clusters.embedded.server import ApiServer, create_app
from clusters.embedded.statedir import HOST, read_port, state_files
from clusters.embedded.store import Store

__all__ = ["ExtraTask", "serve"]

ExtraTask = Callable[[Store, Clock], Awaitable[None]]
log = logging.getLogger("clusters.embedded.serve")
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    """uvicorn's server, but a SIGTERM/SIGINT only asks it to exit: uvicorn re-raises the
    signal after shutdown, which would kill the process before the store is closed."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _configure_logging(log_file: Path) -> None:
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def serve(
    state_dir: Path,
    port: int | None = None,
    time_scale: float = 1.0,
    extra_tasks: Sequence[ExtraTask] = (),
    *,
    watch_timeout_max: float = 1800.0,
    configure_logging: bool = True,
) -> None:
    """Serve the API on https://127.0.0.1:<port> until SIGINT/SIGTERM.

    The port is persisted in the state dir so a restart reuses it (the kubeconfig stays valid).
    """
    state_dir = Path(state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    files = state_files(state_dir)
    if configure_logging:
        _configure_logging(files["log"])
    tls = ensure_tls_files(state_dir)
    token = ensure_token(state_dir)
    port = port or read_port(state_dir) or _free_port()
    files["port"].write_text(f"{port}\n")
    api_url = f"https://{HOST}:{port}"
    write_kubeconfig(state_dir, api_url, tls.ca_cert)
    clock = Clock(time_scale)
    store = Store(files["db"], clock, graceful_pod_deletion=True)
    app = create_app(
        store,
        clock,
        state_dir=state_dir,
        token=token,
        server_address=f"{HOST}:{port}",
        watch_timeout_max=watch_timeout_max,
    )
    config = uvicorn.Config(
        app,
        host=HOST,
        port=port,
        ssl_certfile=str(tls.server_cert),
        ssl_keyfile=str(tls.server_key),
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,  # open watches are cut; clients re-watch
        timeout_keep_alive=30,
        server_header=False,
    )
    server = _Server(config)
    files["pid"].write_text(f"{os.getpid()}\n")
    log.info("serving %s (state %s, time scale %s)", api_url, state_dir, time_scale)
    print(
        f"embedded API server on {api_url}; use it with: "
        f"kubectl --kubeconfig {files['kubeconfig']} get pods",
        file=sys.stderr,
        flush=True,
    )
    try:
        asyncio.run(_run(server, app, store, clock, extra_tasks))
    finally:
        store.close()
        with contextlib.suppress(OSError):
            if files["pid"].read_text().strip() == str(os.getpid()):
                files["pid"].unlink()
        log.info("stopped")


async def _run(
    server: uvicorn.Server,
    app: ApiServer,
    store: Store,
    clock: Clock,
    extra_tasks: Sequence[ExtraTask],
) -> None:
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.02)
    # A daemon thread: a stop right after start must not wait for the documents to finish.
    threading.Thread(target=app.warm_caches, name="warm-caches", daemon=True).start()
    tasks: list[asyncio.Future[None]] = [
        asyncio.ensure_future(task(store, clock)) for task in extra_tasks
    ]
    try:
        await serving
    finally:
        for task in tasks:
            task.cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.error("an extra task failed", exc_info=result)
