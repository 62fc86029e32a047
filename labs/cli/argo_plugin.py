"""`kubectl-argo-rollouts`: the `kubectl argo rollouts ...` plugin inside the lab venv.

If the real upstream plugin binary is on PATH (any `kubectl-argo-rollouts` that is not this
console script), it is exec'd with the same arguments. Otherwise Rollout Lab's compatible
implementation handles get rollout, promote, abort, retry, undo, restart, set image, pause,
status and version with upstream's syntax, honouring --kubeconfig, --context,
-n/--namespace and $KUBECONFIG.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

# Every `kubectl argo rollouts` call is a fresh process. Importing `kubernetes` pulls in
# jsonschema, which builds the optional rfc3987-syntax grammar (~1.5 s of CPU) for URI
# format checks this process never makes; marking it absent keeps each call under a second.
if "rfc3987_syntax" not in sys.modules:
    sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]

from labs.cli.commands.rollouts import (
    add_connection_options,
    add_verbs,
    run_verb,
)

__all__ = ["build_parser", "find_upstream_plugin", "main"]

PLUGIN_NAME = "kubectl-argo-rollouts"
# Set before exec'ing another plugin, so a misconfigured PATH can never loop back here.
_EXEC_GUARD = "ROLLOUT_LAB_ARGO_PLUGIN_EXEC"
# `builtin` forces this implementation even when the upstream binary is on PATH.
_MODE = "ROLLOUT_LAB_ARGO_PLUGIN"
_OUR_MARKER = b"labs.cli.argo_plugin"


def _is_ours(path: Path) -> bool:
    """True for this project's console script (it names our module in its first bytes)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return True  # unreadable: never exec it
    return _OUR_MARKER in head


def find_upstream_plugin(path_env: str | None = None) -> str | None:
    """The first `kubectl-argo-rollouts` on PATH that is a real plugin, not this script."""
    for directory in (path_env if path_env is not None else os.environ.get("PATH", "")).split(
        os.pathsep
    ):
        if not directory:
            continue
        candidate = shutil.which(PLUGIN_NAME, path=directory)
        if candidate and not _is_ours(Path(candidate)):
            return candidate
    return None


def build_parser() -> argparse.ArgumentParser:
    """Upstream's command tree: global kubectl flags anywhere, verbs below."""
    common = argparse.ArgumentParser(add_help=False)
    add_connection_options(common, suppress=True)
    parser = argparse.ArgumentParser(
        prog="kubectl argo rollouts",
        description="Manage argo rollouts (Rollout Lab's compatible kubectl plugin).",
        parents=[common],
    )
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")
    add_verbs(verbs, common)
    parser.set_defaults(help_parser=parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Exec the upstream plugin if present; else run our implementation."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if os.environ.get(_MODE) != "builtin" and not os.environ.get(_EXEC_GUARD):
        upstream = find_upstream_plugin()
        if upstream is not None:
            os.environ[_EXEC_GUARD] = "1"
            os.execv(upstream, [upstream, *arguments])
    args = build_parser().parse_args(arguments)
    try:
        return run_verb(args, prefer_lab=False)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
