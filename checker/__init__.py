"""Grading: pure functions over manifests, cluster snapshots and timelines -> results.

Inputs (each usable alone): the learner's manifest files (`load_manifest_dir`), a cluster
snapshot (`take_snapshot` live through the kubernetes client, or from a bundle) and a timeline
(`TimelineRecorder`). A lab's rubric (`load_rubric`) names rules; `grade` runs them into a
`LabResult`, which every report renders.
"""

from checker.batch import BatchSummary, grade_batch
from checker.bundle import Bundle, BundleError, grade_bundle, read_bundle, write_bundle
from checker.engine import CHECKER_VERSION, GradeRequest, grade
from checker.manifests import ManifestSet, load_manifest_dir, load_manifests
from checker.report_csv import check_pass_rates, gradebook_csv, long_csv
from checker.report_files import gradescope_json, junit_xml, result_json
from checker.report_terminal import print_result
from checker.results import CheckResult, LabResult, Learner, Outcome, Status, Visibility
from checker.rubric import Rubric, RubricError, load_rubric, parse_rubric, scaffolding_hashes
from checker.rules import RULES
from checker.snapshot import Snapshot, SnapshotError, take_snapshot
from checker.timeline import Timeline, TimelineError, TimelineRecorder

__all__ = [
    "CHECKER_VERSION",
    "RULES",
    "BatchSummary",
    "Bundle",
    "BundleError",
    "CheckResult",
    "GradeRequest",
    "LabResult",
    "Learner",
    "ManifestSet",
    "Outcome",
    "Rubric",
    "RubricError",
    "Snapshot",
    "SnapshotError",
    "Status",
    "Timeline",
    "TimelineError",
    "TimelineRecorder",
    "Visibility",
    "check_pass_rates",
    "grade",
    "grade_batch",
    "grade_bundle",
    "gradebook_csv",
    "gradescope_json",
    "junit_xml",
    "load_manifest_dir",
    "load_manifests",
    "load_rubric",
    "long_csv",
    "parse_rubric",
    "print_result",
    "read_bundle",
    "result_json",
    "scaffolding_hashes",
    "take_snapshot",
    "write_bundle",
]
