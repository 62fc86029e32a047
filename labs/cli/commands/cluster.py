"""`rollout-lab up | down | status | doctor | images`: get a cluster, inspect it, drop it.

`up --backend auto` uses kind when a Docker daemon answers and the embedded cluster
otherwise, and prints which and why. `down`/`status` act on what the last `up` recorded in
the state dir, so they need no flags.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clusters.backend import (
    BACKENDS,
    BackendOptions,
    BackendUnavailable,
    choose_backend,
    clear_backend_record,
    create_backend,
    default_state_dir,
    read_backend_record,
    write_backend_record,
)
from clusters.doctor import run_doctor
from clusters.existing import ExistingClusterError
from clusters.existing_api import ClusterApiError
from clusters.kind.config import DEFAULT_NODE_PORTS
from clusters.kind.docker import probe_docker
from clusters.kind.failures import explain_error
from clusters.kind.images import (
    ImageError,
    agent_image,
    build_agent_image,
    default_agent_dir,
    push_agent_images,
)
from clusters.kind.pins import AGENT_VERSIONS
from clusters.progress import ConsoleProgress, StepFailed
from clusters.runner import CommandError, Runner, SubprocessRunner

__all__ = ["register"]

# Tests replace this to drive the commands without real tools.
RUNNER: Runner = SubprocessRunner()


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the cluster commands to the `rollout-lab` parser."""
    up = subparsers.add_parser("up", help="start (or reuse) the lab cluster")
    _state_dir_option(up)
    up.add_argument(
        "--backend",
        choices=["auto", *sorted(BACKENDS)],
        default="auto",
        help="auto: kind when a Docker daemon answers, else embedded (default)",
    )
    up.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="speed up pauses and analysis intervals (embedded backend only)",
    )
    up.add_argument(
        "--namespace",
        help="lab namespace (default rollout-lab; existing: required unless --learner)",
    )
    kind = up.add_argument_group("kind backend")
    kind.add_argument("--cluster-name", default="rollout-lab", help="kind cluster name")
    kind.add_argument("--kind-binary", help="use this kind binary instead of PATH / the cache")
    kind.add_argument("--agent-dir", type=Path, help="folder with the agent Dockerfile")
    kind.add_argument(
        "--retain",
        action="store_true",
        help="keep a cluster whose creation failed, for `kind export logs`",
    )
    existing = up.add_argument_group("existing backend")
    existing.add_argument("--context", help="kube-context of the cluster to use")
    existing.add_argument("--kubeconfig", type=Path, help="kubeconfig file (default $KUBECONFIG)")
    existing.add_argument("--learner", help="learner id; the namespace becomes student-ID")
    existing.add_argument(
        "--install-rollouts",
        action="store_true",
        help="install Argo Rollouts if missing (needs cluster-admin)",
    )
    existing.add_argument("--image-registry", help="pull agent images from this registry")
    up.set_defaults(handler=_up)

    down = subparsers.add_parser("down", help="delete the lab cluster (existing: the namespace)")
    _state_dir_option(down)
    down.set_defaults(handler=_down)

    status = subparsers.add_parser("status", help="is the lab cluster up, and how to reach it")
    _state_dir_option(status)
    status.set_defaults(handler=_status)

    doctor = subparsers.add_parser("doctor", help="check this machine for the kind backend")
    _state_dir_option(doctor)
    doctor.set_defaults(handler=_doctor)

    images = subparsers.add_parser("images", help="build or push the agent images (v1..v5)")
    images_sub = images.add_subparsers(dest="images_command", metavar="IMAGES_COMMAND")
    build = images_sub.add_parser("build", help="build rollout-lab/task-agent:v1..v5 locally")
    push = images_sub.add_parser("push", help="build, tag and push the images to a registry")
    push.add_argument("--registry", required=True, help="e.g. registry.example.edu:5000/course")
    for sub in (build, push):
        sub.add_argument("--agent-dir", type=Path, help="folder with the agent Dockerfile")
        sub.add_argument(
            "--versions",
            default=",".join(AGENT_VERSIONS),
            help="comma-separated versions (default all)",
        )
    build.set_defaults(handler=_images_build)
    push.set_defaults(handler=_images_push)
    images.set_defaults(handler=lambda _args: images.print_help() or 0)


def _state_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="where the lab keeps its state (default $ROLLOUT_LAB_HOME or ~/.rollout-lab)",
    )


def _state_dir(args: argparse.Namespace) -> Path:
    return Path(args.state_dir).expanduser() if args.state_dir else default_state_dir()


def _error(text: str) -> None:
    print(f"error: {text}", file=sys.stderr)


def _explain(error: BaseException) -> None:
    """Print the failure catalogue's reading of `error`, when it recognises it."""
    diagnosis = explain_error(error)
    if diagnosis is not None:
        print(f"  what happened: {diagnosis.title}", file=sys.stderr)
        print(f"  what to do:    {diagnosis.fix}", file=sys.stderr)


def _up(args: argparse.Namespace) -> int:
    state_dir = _state_dir(args)
    docker = probe_docker(RUNNER) if args.backend == "auto" else None
    choice = choose_backend(args.backend, docker)
    print(f"backend: {choice.name} ({choice.reason})")
    if choice.name != "embedded" and args.time_scale != 1.0:
        print(
            f"note: --time-scale applies to the embedded backend only; {choice.name} runs "
            "in real time"
        )
    options = BackendOptions(
        state_dir=state_dir,
        time_scale=args.time_scale,
        namespace=args.namespace,
        cluster_name=args.cluster_name,
        kind_binary=args.kind_binary,
        agent_dir=args.agent_dir,
        retain_on_failure=args.retain,
        context=args.context,
        kubeconfig=args.kubeconfig,
        learner=args.learner,
        install_rollouts=args.install_rollouts,
        image_registry=args.image_registry,
        runner=RUNNER,
    )
    try:
        backend = create_backend(choice.name, options)
    except (BackendUnavailable, ExistingClusterError, ImageError) as error:
        _error(str(error))
        return 2
    # Recorded before `up` so that `down` can clean up after a half-finished `up`, too.
    write_backend_record(choice.name, options)
    try:
        info = backend.up(ConsoleProgress())
    except StepFailed as failure:
        _report_failure(failure)
        print(
            "  (`rollout-lab down` removes what was set up; `status` shows what is there)",
            file=sys.stderr,
        )
        return 1
    print(f"cluster ready ({info.backend}): {info.api_url or 'API URL unknown'}")
    print(f"  namespace:  {info.namespace}")
    print(f"  context:    {info.context}")
    print(f"  kubeconfig: {info.kubeconfig}")
    print("use it from this shell:")
    print(f"  export KUBECONFIG={info.kubeconfig}")
    print(f"  kubectl -n {info.namespace} get rollouts")
    return 0


def _report_failure(failure: StepFailed) -> None:
    _error(f"`up` stopped at step '{failure.step}'")
    print(f"  {failure.cause}", file=sys.stderr)
    _explain(failure.cause)
    for problem in failure.cleanup_errors:
        print(f"  cleanup problem: {problem}", file=sys.stderr)


def _recorded_backend(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    recorded = read_backend_record(_state_dir(args))
    if recorded is None:
        _error(f"no lab cluster recorded in {_state_dir(args)}; run `rollout-lab up` first")
        return None
    name, options = recorded
    try:
        return create_backend(name, _with_runner(options))
    except (BackendUnavailable, ExistingClusterError, ImageError) as error:
        _error(str(error))
        return None


def _with_runner(options: BackendOptions) -> BackendOptions:
    from dataclasses import replace

    return replace(options, runner=RUNNER)


def _down(args: argparse.Namespace) -> int:
    backend = _recorded_backend(args)
    if backend is None:
        return 2
    try:
        backend.down()
    except (CommandError, ClusterApiError, OSError) as error:
        _error(f"could not tear down the {backend.name} cluster: {error}")
        _explain(error)
        return 1
    clear_backend_record(_state_dir(args))
    print(f"{backend.name} lab cluster is down")
    return 0


def _status(args: argparse.Namespace) -> int:
    backend = _recorded_backend(args)
    if backend is None:
        return 2
    status = backend.status()
    print(status.render())
    return 0 if status.state == "running" else 1


def _doctor(args: argparse.Namespace) -> int:
    report = run_doctor(RUNNER, _state_dir(args), DEFAULT_NODE_PORTS)
    print(report.render())
    return 0 if report.kind_ready else 1


def _versions(args: argparse.Namespace) -> list[str] | None:
    versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    unknown = [v for v in versions if v not in AGENT_VERSIONS]
    if unknown or not versions:
        _error(
            f"unknown version(s) {', '.join(unknown) or '(none)'}; "
            f"choose from {', '.join(AGENT_VERSIONS)}"
        )
        return None
    return versions


def _images_build(args: argparse.Namespace) -> int:
    versions = _versions(args)
    if versions is None:
        return 2
    agent_dir = args.agent_dir or default_agent_dir()
    try:
        for version in versions:
            print(f"built {build_agent_image(RUNNER, version, agent_dir)}")
    except ImageError as error:
        _error(str(error))
        _explain(error)
        return 1
    return 0


def _images_push(args: argparse.Namespace) -> int:
    versions = _versions(args)
    if versions is None:
        return 2
    try:
        agent_image(versions[0], args.registry)  # validates the registry before any build
        pushed = push_agent_images(
            RUNNER, args.registry, args.agent_dir or default_agent_dir(), versions
        )
    except ImageError as error:
        _error(str(error))
        _explain(error)
        return 1
    for ref in pushed:
        print(f"pushed {ref}")
    print(f"learners: rollout-lab up --backend existing --image-registry {args.registry} ...")
    return 0
