"""Running the agent under uvicorn: in the foreground (`serve`) or in a thread (tests)."""

from __future__ import annotations

import signal
import socket
import threading
import time
from types import TracebackType

import uvicorn
from fastapi import FastAPI

from agent.app import create_app

__all__ = ["ServerThread", "serve"]


def _config(app: FastAPI, host: str, port: int, log_level: str) -> uvicorn.Config:
    # Our middleware writes the one-line request log, so uvicorn's access log stays off.
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        ws="none",
        lifespan="off",
        timeout_graceful_shutdown=10,
    )


def _drained(signum: int, frame: object) -> None:
    """SIGTERM handler in force once uvicorn has drained: nothing left to do, exit normally."""


def serve(version: str, host: str = "0.0.0.0", port: int = 8080, log_level: str = "info") -> None:
    """Serve one version until SIGINT/SIGTERM; in-flight requests finish, then it returns.

    uvicorn restores the previous handlers after shutting down and re-delivers the signal;
    with `_drained` installed, a drained SIGTERM ends in exit code 0 rather than 143.
    """
    app = create_app(version)
    previous = signal.signal(signal.SIGTERM, _drained)
    try:
        uvicorn.Server(_config(app, host, port, log_level)).run()
    finally:
        signal.signal(signal.SIGTERM, previous)


class ServerThread:
    """Serve an app on a free loopback port in a background thread; use as a context manager.

    `with ServerThread(create_app("v3")) as server: httpx.get(server.url + "/stats")`
    """

    def __init__(self, app: FastAPI, host: str = "127.0.0.1") -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this; without it keep-alive requests stall ~40 ms.
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket.bind((host, 0))
        self.host = host
        self.port: int = self._socket.getsockname()[1]
        self._server = uvicorn.Server(_config(app, host, self.port, "warning"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:54321."""
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> ServerThread:
        """Start serving and wait until uvicorn accepts connections."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"agent server on {self.url} did not start")
            time.sleep(0.01)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit, wait for the thread and release the socket."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
