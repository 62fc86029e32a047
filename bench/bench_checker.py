"""Print how fast the checker grades submission bundles: one core in-process, and a batch.

Run: `.venv/bin/python bench/bench_checker.py [--bundles 500] [--jobs 4]`. Bundles are generated
from the canary-analysis solution/starter with recorded-shape snapshots and timelines
(`checker.scenarios`). Figures depend on the machine, printed first; the baseline is the
static-only grading of the same bundles (no snapshot/timeline rules).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

from checker import (
    GradeRequest,
    Learner,
    grade,
    grade_batch,
    grade_bundle,
    load_manifests,
    load_rubric,
    read_bundle,
    write_bundle,
)
from checker.scenarios import ROLLBACK_PATHS, WRONG_PATHS, canary_timeline, settled_snapshot

LAB = Path(__file__).resolve().parents[1] / "labs" / "canary-analysis"


def make_bundles(folder: Path, count: int) -> list[Path]:
    """A generated class of `count` bundles (solutions, starters, every timeline path)."""
    solution = {p.name: p.read_bytes() for p in (LAB / "solution").glob("*.yaml")}
    starter = {p.name: p.read_bytes() for p in (LAB / "starter").glob("*.yaml")}
    paths = ROLLBACK_PATHS + WRONG_PATHS
    return [
        write_bundle(
            folder / f"learner-{i:04d}.zip",
            lab="canary-analysis",
            learner=Learner(id=str(i), name=f"Learner {i}"),
            manifests=starter if i % 7 == 0 else solution,
            snapshot=settled_snapshot(),
            timeline=canary_timeline(paths[i % len(paths)]),
        )
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bundles", type=int, default=500)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    print(f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()}")
    print(f"python: {platform.python_version()}  bundles: {args.bundles}  jobs: {args.jobs}")
    rubric = load_rubric(LAB)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        bundles = make_bundles(folder / "in", args.bundles)
        print(f"generate: {args.bundles / (time.perf_counter() - started):8.1f} bundles/s")

        started = time.perf_counter()
        for path in bundles:
            bundle = read_bundle(path)
            grade(
                GradeRequest(
                    rubric=rubric, mode="static", manifests=load_manifests(bundle.manifests)
                )
            )
        static_rate = args.bundles / (time.perf_counter() - started)
        print(f"baseline, static rules only, one core: {static_rate:8.1f} bundles/s")

        started = time.perf_counter()
        for path in bundles:
            grade_bundle(rubric, path)
        one_core = args.bundles / (time.perf_counter() - started)
        print(
            f"full offline grading, one core:        {one_core:8.1f} bundles/s "
            f"({one_core / static_rate:.2f}x baseline)"
        )

        summary = grade_batch(LAB, bundles, folder / "out", jobs=args.jobs, timeout=30)
        batch_rate = args.bundles / summary.seconds
        print(
            f"batch, {args.jobs} processes (with reports):   {batch_rate:8.1f} bundles/s "
            f"({summary.seconds:.2f}s, {len(summary.error_rows)} error rows)"
        )


if __name__ == "__main__":
    main()
