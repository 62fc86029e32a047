"""`python -m agent serve|check`: run one agent version, or judge a running agent's `/stats`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from agent.check import EXIT_UNREACHABLE, run_check
from agent.template import TemplateError, available_versions, load_template

__all__ = ["build_parser", "main"]


def _env_port() -> int:
    raw = os.environ.get("PORT", "8080")
    try:
        return int(raw)
    except ValueError:
        raise SystemExit(f"PORT must be a number, got {raw!r}") from None


def build_parser() -> argparse.ArgumentParser:
    """The `serve` and `check` subcommands; serve's defaults come from the environment."""
    parser = argparse.ArgumentParser(prog="python -m agent", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the agent over HTTP (uvicorn)")
    serve.add_argument(
        "--version",
        default=os.environ.get("AGENT_VERSION", "v1"),
        help=f"agent version, one of {', '.join(available_versions())} "
        "(default: $AGENT_VERSION or v1)",
    )
    serve.add_argument("--host", default="0.0.0.0", help="bind address (default 0.0.0.0)")
    serve.add_argument("--port", type=int, default=None, help="port (default: $PORT or 8080)")
    serve.add_argument("--log-level", default="info", help="uvicorn log level (default info)")
    check = commands.add_parser("check", help="judge a running agent's /stats; exit 0/1/2")
    check.add_argument("--url", required=True, help="agent base URL (or its /stats URL)")
    check.add_argument("--max-error-rate", type=float, required=True, help="e.g. 0.01")
    check.add_argument("--max-urgent-ratio", type=float, default=None, help="e.g. 0.2")
    check.add_argument(
        "--min-requests", type=int, default=0, help="fail when the window has fewer requests"
    )
    check.add_argument("--timeout", type=float, default=5.0, help="HTTP timeout in seconds")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "check":
        code, line = run_check(
            args.url,
            args.max_error_rate,
            args.max_urgent_ratio,
            min_requests=args.min_requests,
            timeout=args.timeout,
        )
        print(line, flush=True)
        return code
    try:
        load_template(args.version)
    except TemplateError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNREACHABLE
    from agent.server import serve  # uvicorn and FastAPI load only when serving

    serve(
        args.version,
        host=args.host,
        port=args.port if args.port is not None else _env_port(),
        log_level=args.log_level,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
