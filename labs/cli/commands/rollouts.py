"""`rollout-lab rollouts <verb>`: the `kubectl argo rollouts` verbs the chapter teaches.

get rollout, promote [--full], abort, retry rollout, undo [--to-revision], restart [--in],
set image, pause, status [--watch] [--timeout], version — same arguments, output lines and
requests as the upstream plugin (v1.9.1), on every backend. `labs.cli.argo_plugin` builds
the `kubectl argo rollouts` front end from the same parsers and handlers.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clusters.backend import BackendUnavailable, current_backend, default_state_dir
from clusters.rollouts_client import (
    UPSTREAM_VERSION,
    Connection,
    InvalidArguments,
    RolloutActionError,
    abort,
    connect,
    fetch_rollout_info,
    parse_duration,
    pause,
    promote,
    render_rollout,
    restart,
    retry,
    rollout_status,
    set_image,
    undo,
    watch_rollout,
)

__all__ = ["add_connection_options", "add_verbs", "register", "run_verb", "version_text"]

_SUPPRESS = argparse.SUPPRESS


def version_text(short: bool = False) -> str:
    """What `version` prints: that this is Rollout Lab's implementation, and of what."""
    from labs.cli import _version

    if short:
        return f"kubectl-argo-rollouts: {UPSTREAM_VERSION}+rollout-lab.{_version()}\n"
    return (
        f"kubectl-argo-rollouts: {UPSTREAM_VERSION}+rollout-lab.{_version()}\n"
        f"  Implementation: Rollout Lab's compatible plugin (Python), not the upstream binary\n"
        f"  Mirrors: argo-rollouts {UPSTREAM_VERSION} kubectl plugin (same requests and output)\n"
        f"  Verbs: get rollout, promote, abort, retry rollout, undo, restart, set image, "
        f"pause, status, version\n"
        f"  Upstream binary: put kubectl-argo-rollouts from the Argo Rollouts release on PATH "
        f"and it is used instead\n"
    )


def _flag(text: str) -> bool:
    """Cobra-style boolean values for `--watch=false`."""
    lowered = text.strip().lower()
    if lowered in ("1", "t", "true", "yes"):
        return True
    if lowered in ("0", "f", "false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean value {text!r}")


def add_connection_options(parser: argparse.ArgumentParser, *, suppress: bool = False) -> None:
    """--kubeconfig, --context, -n/--namespace (kubectl's meaning)."""
    default = _SUPPRESS if suppress else None
    parser.add_argument("--kubeconfig", default=default, help="path to the kubeconfig file")
    parser.add_argument("--context", default=default, help="kubeconfig context to use")
    parser.add_argument("-n", "--namespace", default=default, help="namespace of the rollout")


def add_verbs(verbs: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:
    """One sub-parser per plugin verb; `parent` carries the connection options."""

    def verb(name: str, help_text: str, handler: Callable[..., int], **kw: object):  # type: ignore[no-untyped-def]
        sub = verbs.add_parser(name, help=help_text, parents=[parent], **kw)  # type: ignore[arg-type]
        sub.set_defaults(verb_handler=handler)
        return sub

    get = verb("get", "show a rollout as a tree (get rollout NAME)", _get)
    get.add_argument("kind", choices=["rollout", "ro", "rollouts", "experiment", "exp"])
    get.add_argument("name")
    get.add_argument("-w", "--watch", action="store_true", help="watch live updates")
    get.add_argument("--no-color", action="store_true", help="do not colorize output")
    get.add_argument("--timeout-seconds", type=int, default=0, help="stop watching after N s")

    promote_parser = verb("promote", "promote a paused rollout", _promote)
    promote_parser.add_argument("name")
    promote_parser.add_argument(
        "--full", action="store_true", help="skip remaining steps, pauses and analysis"
    )
    promote_parser.add_argument(
        "-c", "--skip-current-step", action="store_true", help="deprecated: use without flags"
    )
    promote_parser.add_argument(
        "-a", "--skip-all-steps", action="store_true", help="deprecated: use --full"
    )

    for name, text, handler in (
        ("abort", "abort a rollout (back to the stable version)", _abort),
        ("pause", "pause a rollout (spec.paused: true)", _pause),
    ):
        verb(name, text, handler).add_argument("names", nargs="+", metavar="NAME")

    retry_parser = verb("retry", "retry an aborted rollout (retry rollout NAME)", _retry)
    retry_parser.add_argument("kind", choices=["rollout", "ro", "rollouts", "experiment", "exp"])
    retry_parser.add_argument("names", nargs="+", metavar="NAME")

    undo_parser = verb("undo", "roll back to the previous (or a given) revision", _undo)
    undo_parser.add_argument("name")
    undo_parser.add_argument("--to-revision", type=int, default=0, help="0 = previous revision")

    restart_parser = verb("restart", "restart the pods of a rollout", _restart)
    restart_parser.add_argument("name")
    restart_parser.add_argument("-i", "--in", dest="in_", default="", help="e.g. 30s, 5m")

    set_parser = verb("set", "set image NAME CONTAINER=IMAGE", _set)
    set_parser.add_argument("what", choices=["image"])
    set_parser.add_argument("name")
    set_parser.add_argument("assignment", metavar="CONTAINER=IMAGE")

    status_parser = verb("status", "show (and watch) a rollout's status", _status)
    status_parser.add_argument("name")
    status_parser.add_argument(
        "-w", "--watch", type=_flag, nargs="?", const=True, default=True, help="default true"
    )
    status_parser.add_argument("-t", "--timeout", default="0", help="e.g. 60s; 0 = forever")

    version_parser = verb("version", "print the plugin version", _version_verb)
    version_parser.add_argument("--short", action="store_true")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `rollout-lab rollouts <verb>` to the CLI."""
    common = argparse.ArgumentParser(add_help=False)
    add_connection_options(common)
    common.add_argument(
        "--state-dir", type=Path, default=None, help="lab state dir (default ~/.rollout-lab)"
    )
    parser = subparsers.add_parser(
        "rollouts", help="promote, abort, undo, get ... a Rollout (as kubectl argo rollouts)"
    )
    verbs = parser.add_subparsers(dest="rollouts_verb", metavar="VERB")
    add_verbs(verbs, common)
    parser.set_defaults(handler=lambda args: run_verb(args, prefer_lab=True), help_parser=parser)


@dataclass(frozen=True)
class _Target:
    kubeconfig: str | None
    context: str | None
    namespace: str | None


def _lab_target(state_dir: Path | None) -> _Target | None:
    """The cluster `rollout-lab up` recorded, if any (kubeconfig, context, lab namespace)."""
    try:
        backend = current_backend(Path(state_dir) if state_dir else default_state_dir())
    except (BackendUnavailable, OSError, ValueError, TypeError):
        return None
    if backend is None or not Path(backend.kubeconfig).exists():
        return None
    return _Target(str(backend.kubeconfig), backend.context, backend.namespace)


def _connect(args: argparse.Namespace, prefer_lab: bool) -> Connection:
    """--kubeconfig wins; else (rollout-lab) the recorded lab cluster, else kubectl's rules;
    the plugin uses the lab cluster only when there is no $KUBECONFIG nor ~/.kube/config."""
    kubeconfig = getattr(args, "kubeconfig", None)
    context = getattr(args, "context", None)
    namespace = getattr(args, "namespace", None)
    if not kubeconfig:
        user_config = (
            bool(os.environ.get("KUBECONFIG")) or Path("~/.kube/config").expanduser().exists()
        )
        lab = (
            _lab_target(getattr(args, "state_dir", None)) if prefer_lab or not user_config else None
        )
        if lab is not None and not context:
            return connect(lab.kubeconfig, lab.context, namespace or lab.namespace)
    return connect(kubeconfig, context, namespace)


def run_verb(args: argparse.Namespace, *, prefer_lab: bool) -> int:
    """Run the chosen verb; errors print as `Error: <message>` (like the plugin), exit 1."""
    handler = getattr(args, "verb_handler", None)
    if handler is None:
        help_parser = getattr(args, "help_parser", None)
        if help_parser is not None:
            help_parser.print_help()
        return 0
    if handler is _version_verb:
        return _version_verb(None, args)
    conn: Connection | None = None
    try:
        conn = _connect(args, prefer_lab)
        return int(handler(conn, args))
    except RolloutActionError as error:
        print(f"Error: {error}", file=sys.stderr)
        return error.exit_code
    finally:
        sys.stdout.flush()
        if conn is not None:
            conn.api.close()


# -- verb handlers (connection, parsed args) -> exit code -------------------------------------


def _use_color(args: argparse.Namespace) -> bool:
    if args.no_color or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return sys.stdout.isatty()


def _get(conn: Connection, args: argparse.Namespace) -> int:
    if args.kind in ("experiment", "exp"):
        raise InvalidArguments("get experiment is not supported by Rollout Lab's plugin")
    if args.watch:
        watch_rollout(
            conn.api,
            conn.namespace,
            args.name,
            sys.stdout,
            timeout=args.timeout_seconds or None,
            color=_use_color(args),
        )
        return 0
    info = fetch_rollout_info(conn.api, conn.namespace, args.name)
    sys.stdout.write(render_rollout(info, datetime.now(UTC), color=_use_color(args)))
    return 0


def _promote(conn: Connection, args: argparse.Namespace) -> int:
    if args.skip_current_step:
        print(
            "Flag --skip-current-step has been deprecated, use without the flag instead "
            "ex: promote ROLLOUT_NAME",
            file=sys.stderr,
        )
    if args.skip_all_steps:
        print("Flag --skip-all-steps has been deprecated, use --full instead", file=sys.stderr)
    result = promote(
        conn.api,
        conn.namespace,
        args.name,
        full=args.full,
        skip_current_step=args.skip_current_step,
        skip_all_steps=args.skip_all_steps,
    )
    print(result.message)
    return 0


def _abort(conn: Connection, args: argparse.Namespace) -> int:
    for name in args.names:
        print(abort(conn.api, conn.namespace, name).message)
    return 0


def _pause(conn: Connection, args: argparse.Namespace) -> int:
    for name in args.names:
        print(pause(conn.api, conn.namespace, name).message)
    return 0


def _retry(conn: Connection, args: argparse.Namespace) -> int:
    if args.kind in ("experiment", "exp"):
        raise InvalidArguments("retry experiment is not supported by Rollout Lab's plugin")
    for name in args.names:
        print(retry(conn.api, conn.namespace, name).message)
    return 0


def _undo(conn: Connection, args: argparse.Namespace) -> int:
    print(undo(conn.api, conn.namespace, args.name, to_revision=args.to_revision).message)
    return 0


def _restart(conn: Connection, args: argparse.Namespace) -> int:
    print(restart(conn.api, conn.namespace, args.name, in_=args.in_ or None).message)
    return 0


def _set(conn: Connection, args: argparse.Namespace) -> int:
    parts = args.assignment.split("=")
    if len(parts) != 2:
        raise InvalidArguments(f"expected CONTAINER=IMAGE, got {args.assignment!r}")
    print(set_image(conn.api, conn.namespace, args.name, parts[0], parts[1]).message)
    return 0


def _status(conn: Connection, args: argparse.Namespace) -> int:
    timeout = parse_duration(args.timeout)
    outcome = rollout_status(
        conn.api, conn.namespace, args.name, sys.stdout, watch=args.watch, timeout=timeout or None
    )
    if outcome.error is not None:
        print(f"Error: {outcome.error}", file=sys.stderr)
    return outcome.exit_code


def _version_verb(_conn: Connection | None, args: argparse.Namespace) -> int:
    sys.stdout.write(version_text(short=args.short))
    return 0
