"""The lab catalog: one folder per lab under `labs/`, each with a `lab.yaml` rubric."""

from __future__ import annotations

from pathlib import Path

__all__ = ["COURSE_ORDER", "LABS_ROOT", "LabNotFound", "find_lab", "lab_ids"]

LABS_ROOT = Path(__file__).resolve().parent
# The chapter's order; labs not listed here (an instructor's own) follow, alphabetically.
COURSE_ORDER = (
    "all-or-nothing",
    "canary-by-hand",
    "canary-analysis",
    "blue-green",
    "rollback-drill",
    "choose-a-strategy",
)


class LabNotFound(LookupError):
    """No lab folder with that id; the message lists the labs that exist."""


def lab_ids(root: Path = LABS_ROOT) -> list[str]:
    """Ids of every lab folder (a folder holding lab.yaml), in course order."""
    found = {p.parent.name for p in root.glob("*/lab.yaml")}
    ordered = [lab for lab in COURSE_ORDER if lab in found]
    return ordered + sorted(found - set(ordered))


def find_lab(lab_id: str, root: Path = LABS_ROOT) -> Path:
    """The folder of lab `lab_id`; LabNotFound when there is none."""
    if lab_id in lab_ids(root):
        return root / lab_id
    known = ", ".join(lab_ids(root)) or "none"
    raise LabNotFound(f"no lab {lab_id!r}; labs available: {known}")
