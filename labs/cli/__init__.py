"""The `rollout-lab` command line.

Each module in `labs.cli.commands` adds one command group through `register(subparsers)`,
so command groups can grow independently. Nothing imports this package.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

__all__ = ["build_parser", "main"]


def _version() -> str:
    try:
        return version("rollout-lab")
    except PackageNotFoundError:  # running from a source tree without install
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every command module found in `labs.cli.commands`."""
    parser = argparse.ArgumentParser(
        prog="rollout-lab",
        description=(
            "Rollout Lab: learn progressive delivery (canary, blue-green, analysis, rollback) "
            "with Argo Rollouts on an embedded or a real Kubernetes cluster."
        ),
    )
    parser.add_argument("--version", action="version", version=f"rollout-lab {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    from labs.cli import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return int(handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
