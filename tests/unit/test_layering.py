"""Rooms import one way: labs -> checker -> clusters; agent imports none of them (labs may use
its traffic generator); nobody imports the CLI."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ROOMS = ["agent", "clusters", "checker", "labs"]
ALLOWED = {
    "agent": set(),
    "clusters": {"clusters"},
    "checker": {"checker", "clusters"},
    "labs": {"labs", "checker", "clusters", "agent"},  # agent is a leaf: its traffic tool
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("room", ROOMS)
def test_imports_go_one_way(room):
    offenders = []
    for path in (ROOT / room).rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in ROOMS and top not in ALLOWED[room] | {room}:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
            if name.startswith("labs.cli") and not str(path.relative_to(ROOT)).startswith(
                "labs/cli"
            ):
                offenders.append(f"{path.relative_to(ROOT)} imports the CLI ({name})")
    assert not offenders, "\n".join(offenders)
