"""A tiny HTTP server standing in for a container in the runtime tests.

Env: HOST, PORT (bind), READY ("0" -> /readyz answers 503), HEALTHY_FOR (seconds /healthz
answers 200, then 500), TERM_MARKER (path: on SIGTERM write it and keep running, so only
SIGKILL ends the process), EXIT_AFTER (seconds, then exit with EXIT_CODE). Every path answers
the pod name.
"""

import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STARTED = time.monotonic()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        code, body = 200, os.environ.get("POD_NAME", "?")
        if self.path == "/readyz" and os.environ.get("READY", "1") == "0":
            code = 503
        healthy_for = float(os.environ.get("HEALTHY_FOR", "inf"))
        if self.path == "/healthz" and time.monotonic() - STARTED > healthy_for:
            code = 500
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        os.write(1, f"request {self.path}\n".encode())  # one write: threads do not interleave


def main():
    marker = os.environ.get("TERM_MARKER")
    if marker:

        def note_term(signum, frame):
            with open(marker, "w") as handle:
                handle.write("SIGTERM")

        signal.signal(signal.SIGTERM, note_term)
    if "EXIT_AFTER" in os.environ:
        time.sleep(float(os.environ["EXIT_AFTER"]))
        print("exiting", flush=True)
        sys.exit(int(os.environ.get("EXIT_CODE", "1")))
    host = sys.argv[1] if len(sys.argv) > 1 else "0.0.0.0"
    server = ThreadingHTTPServer((host, int(os.environ["PORT"])), Handler)
    print("listening", server.server_address, flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
