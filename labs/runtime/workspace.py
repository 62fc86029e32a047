"""The learner's workspace: `workspace/<lab>/`, made from the lab's starter files.

Learners edit these real files (in JupyterLab's editor) and apply them; progress lives next to
them in `.progress/`, and the checker's own files (`.rollout-lab/`: timeline, hint ladder) too,
so `rollout-lab check <lab> --dir workspace/<lab>` and the notebook see the same work.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from labs.catalog import LABS_ROOT, find_lab

__all__ = [
    "CHECKER_STATE",
    "PROGRESS_DIR",
    "Workspace",
    "workspace_root",
]

PROGRESS_DIR = ".progress"
CHECKER_STATE = ".rollout-lab"  # the folder `rollout-lab check --dir` keeps its state in


def workspace_root() -> Path:
    """`$ROLLOUT_LAB_WORKSPACE`, else `workspace/` in the source tree (gitignored)."""
    configured = os.environ.get("ROLLOUT_LAB_WORKSPACE")
    if configured:
        return Path(configured).expanduser().resolve()
    return LABS_ROOT.parent / "workspace"


@dataclass(frozen=True)
class Workspace:
    """One lab's working folder; `ensure()` copies starter files that are not there yet."""

    lab_id: str
    path: Path
    lab_dir: Path

    @classmethod
    def for_lab(
        cls, lab_id: str, root: Path | None = None, labs_root: Path = LABS_ROOT
    ) -> Workspace:
        lab_dir = find_lab(lab_id, labs_root)
        return cls(lab_id, (root or workspace_root()) / lab_id, lab_dir)

    @property
    def progress_dir(self) -> Path:
        return self.path / PROGRESS_DIR

    @property
    def checker_dir(self) -> Path:
        return self.path / CHECKER_STATE

    @property
    def starter_dir(self) -> Path:
        return self.lab_dir / "starter"

    @property
    def solution_dir(self) -> Path:
        return self.lab_dir / "solution"

    def starter_files(self) -> list[Path]:
        """Starter files, relative to `starter/`, sorted."""
        if not self.starter_dir.is_dir():
            return []
        return sorted(
            p.relative_to(self.starter_dir)
            for p in self.starter_dir.rglob("*")
            if p.is_file() and not p.is_symlink()
        )

    def ensure(self) -> list[Path]:
        """Create the folder and copy each missing starter file; returns the files copied."""
        self.path.mkdir(parents=True, exist_ok=True)
        self.progress_dir.mkdir(exist_ok=True)
        copied = []
        for relative in self.starter_files():
            target = self.path / relative
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(self.starter_dir / relative, target)
                copied.append(target)
        return copied

    def manifest_files(self) -> list[Path]:
        """The learner's YAML files (not the runtime's or checker's state folders)."""
        if not self.path.is_dir():
            return []
        return sorted(
            p
            for p in self.path.rglob("*")
            if p.suffix.lower() in (".yaml", ".yml")
            and p.is_file()
            and not {PROGRESS_DIR, CHECKER_STATE} & set(p.relative_to(self.path).parts)
        )

    def reset_files(self) -> Path | None:
        """Put the starter files back; edited files are kept in `.progress/reset-<time>/`.

        The timeline of the previous attempt is archived there too, so the next attempt is
        graded on its own actions; progress history and the hint ladder stay.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        self.progress_dir.mkdir(exist_ok=True)
        archive = self.progress_dir / f"reset-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        moved = False
        for path in self.manifest_files():
            target = archive / path.relative_to(self.path)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(path), target)
            moved = True
        timeline = self.checker_dir / "timeline.jsonl"
        if timeline.is_file():
            archive.mkdir(parents=True, exist_ok=True)
            shutil.move(str(timeline), archive / "timeline.jsonl")
            moved = True
        self.ensure()
        return archive if moved else None

    def use_solution(self) -> list[Path]:
        """Overwrite the workspace files with the reference solution (the solve path)."""
        self.path.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        if not self.solution_dir.is_dir():
            return written
        for source in sorted(self.solution_dir.rglob("*")):
            if source.is_file() and not source.is_symlink():
                target = self.path / source.relative_to(self.solution_dir)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                written.append(target)
        return written
