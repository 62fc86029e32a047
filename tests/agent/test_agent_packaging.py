"""The agent image and package: built from the Dockerfile, with only the agent's dependencies."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AGENT = ROOT / "agent"
# Import name -> distribution name, where they differ.
DISTRIBUTION = {"yaml": "pyyaml", "prometheus_client": "prometheus-client"}


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _third_party_imports() -> set[str]:
    found: set[str] = set()
    for path in AGENT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return {n for n in found if n not in sys.stdlib_module_names and n not in {"agent"}}


def _requirements() -> set[str]:
    lines = (AGENT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    return {_normalise(line) for line in lines if line.strip() and not line.startswith("#")}


def test_requirements_cover_every_third_party_import():
    imported = {_normalise(DISTRIBUTION.get(name, name)) for name in _third_party_imports()}
    # starlette and pydantic come with fastapi; the agent uses them only through it.
    imported -= {"starlette", "pydantic"}
    assert imported <= _requirements(), imported - _requirements()


def test_every_requirement_is_pinned_in_constraints():
    pinned = {
        _normalise(line.split("==")[0])
        for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line
    }
    assert _requirements() <= pinned


def test_dockerfile_selects_version_by_build_arg_and_runs_unprivileged():
    text = (AGENT / "Dockerfile").read_text(encoding="utf-8")
    instructions = [line.split()[0] for line in text.splitlines() if line and line[0].isalpha()]
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    assert re.search(r"^ARG AGENT_VERSION=v1$", text, re.M)
    assert re.search(r"AGENT_VERSION=\$\{AGENT_VERSION\}", text)
    assert re.search(r"^USER \d+:\d+$", text, re.M)
    assert "HEALTHCHECK" not in instructions
    assert instructions.index("USER") > instructions.index("RUN")
    assert "kind backend" in text
    # Entrypoint + default command, so a Job's `args: [check, ...]` replaces only the command.
    assert re.search(r'^ENTRYPOINT \["python", "-m", "agent"\]$', text, re.M)
    assert re.search(r'^CMD \["serve"\]$', text, re.M)
    assert "--requirement /tmp/deps/requirements.txt" in text


def test_check_and_traffic_do_not_load_the_web_server():
    code = (
        "import sys, agent.check, agent.traffic, agent.mix; "
        "print(sorted({'fastapi', 'uvicorn'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert result.stdout.strip() == "[]"
