"""Hostile and broken inputs: each gives a clear, specific message, no crash, within 2 s."""

from __future__ import annotations

import io
import json
import os
import stat
import time
import zipfile
from pathlib import Path

import pytest

from checker import (
    GradeRequest,
    Learner,
    Status,
    grade,
    grade_bundle,
    gradescope_json,
    load_manifest_dir,
    load_manifests,
    load_rubric,
    result_json,
    write_bundle,
)
from checker.scenarios import canary_timeline, settled_snapshot

LAB = Path(__file__).resolve().parents[3] / "labs" / "canary-analysis"
RUBRIC = load_rubric(LAB)
SOLUTION = {p.name: p.read_bytes() for p in (LAB / "solution").glob("*.yaml")}
LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)

# (name, rollout.yaml content, words expected in the first failing check's message)
MANIFESTS: list[tuple[str, bytes | str, str]] = [
    ("billion-laughs", LAUGHS, "alias"),
    ("ten-megabytes", b"a: b\n" * 2_100_000, "MB"),
    ("ten-megabyte-line", b"a: " + b"x" * 10_000_000, "MB"),
    ("binary-nul", bytes(range(256)) * 4, "binary"),
    ("png-header", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("utf16-bom", "\ufeffkind: Rollout\n".encode("utf-16"), "binary"),
    ("latin1", "metadata:\n  name: caf\xe9\n".encode("latin-1"), "UTF-8"),
    ("cp1252-quotes", b"kind: \x93Rollout\x94\n", "UTF-8"),
    ("duplicate-keys", "kind: Rollout\nkind: Deployment\n", "duplicate key"),
    ("tab-indent", "spec:\n\treplicas: 3\n", "tab"),
    ("deep-flow", "[" * 100_000, "nesting"),
    (
        "deep-block",
        "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
        "nesting",
    ),
    ("recursive-alias", "&a [*a]", "nesting"),
    ("python-object", "!!python/object/apply:os.system ['echo hi']", "unsupported YAML tag"),
    ("python-name", "kind: !!python/name:os.system\n", "unsupported YAML tag"),
    ("binary-tag", "kind: !!binary aGVsbG8=\n", "unsupported YAML tag"),
    ("custom-tag", "kind: !Ref agent\n", "unsupported YAML tag"),
    ("too-many-documents", "---\na: 1\n" * 150, "documents"),
    ("too-many-aliases", "a: &a 1\nb: [" + ",".join(["*a"] * 200) + "]\n", "aliases"),
    ("too-many-values", "[" + "1," * 110_000 + "1]", "values"),
    ("scalar-document", "just some words\n", "not a Kubernetes object"),
    ("list-document", "- a\n- b\n", "not a Kubernetes object"),
    ("list-kind-junk", "kind: List\nitems: [1, 2]\n", "not an object"),
    ("unclosed-quote", 'kind: "Rollout\n', "YAML syntax"),
    ("unclosed-bracket", "spec: {replicas: [1, 2\n", "YAML syntax"),
    ("control-char", "kind: Roll\x07out\n", "YAML syntax"),
    ("nul-after-start", "kind: Rollout\n" * 700 + "a: \x00\n", "YAML syntax"),
    ("mapping-key", "? {a: 1}\n: b\n", "key is itself"),
    ("merge-non-mapping", "x: &x 1\ny:\n  <<: *x\n", "merge key"),
    ("huge-integer", "spec:\n  replicas: " + "9" * 100 + "\n", "integer"),
]

# Objects that parse but are nonsense: no crash, and the rollout checks fail with a message.
NONSENSE: list[tuple[str, str, str]] = [
    ("empty-file", "", "no Rollout"),
    ("only-comments", "# nothing here\n", "no Rollout"),
    ("only-separators", "---\n---\n", "no Rollout"),
    ("wrong-kind", "apiVersion: v1\nkind: Pod\nmetadata: {name: agent}\n", "no Rollout"),
    ("missing-kind", "apiVersion: v1\nmetadata: {name: agent}\n", "no Rollout"),
    (
        "spec-string",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: agent}\nspec: hi\n",
        "",
    ),
    (
        "spec-null",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: agent}\nspec:\n",
        "",
    ),
    ("metadata-list", "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: [a]\n", ""),
    (
        "steps-string",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: agent}\n"
        "spec: {strategy: {canary: {steps: lots}}}\n",
        "no steps",
    ),
    (
        "steps-ints",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: agent}\n"
        "spec: {strategy: {canary: {steps: [1, 2]}}}\n",
        "not a mapping",
    ),
    (
        "weight-string",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: agent}\n"
        "spec: {strategy: {canary: {steps: [{setWeight: '20'}]}}}\n",
        "setWeight",
    ),
    (
        "weight-infinite",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: agent}\n"
        "spec: {strategy: {canary: {steps: [{setWeight: .inf}]}}}\n",
        "setWeight",
    ),
    (
        "replicas-negative",
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: agent}\n"
        "spec: {replicas: -1}\n",
        "-1",
    ),
    ("api-version-int", "apiVersion: 1\nkind: Rollout\nmetadata: {name: agent}\n", ""),
]


def _grade_with(rollout: bytes | str):
    files = dict(SOLUTION)
    files["rollout.yaml"] = rollout
    return grade(GradeRequest(rubric=RUBRIC, mode="static", manifests=load_manifests(files)))


def _assert_renders(result) -> None:
    json.loads(result_json(result))
    json.loads(gradescope_json(result))


@pytest.mark.parametrize(("name", "content", "words"), MANIFESTS, ids=[m[0] for m in MANIFESTS])
def test_hostile_manifest_fails_the_file_check_with_a_clear_message(name, content, words):
    started = time.monotonic()
    result = _grade_with(content)
    elapsed = time.monotonic() - started
    parse = next(c for c in result.checks if c.id == "files-parse")
    assert parse.status is Status.FAILED
    assert parse.observed.startswith("rollout.yaml")
    assert words in parse.observed, parse.observed
    assert result.score < result.max_score
    _assert_renders(result)
    assert elapsed < 2.0, f"{name} took {elapsed:.2f}s"


@pytest.mark.parametrize(("name", "content", "words"), NONSENSE, ids=[m[0] for m in NONSENSE])
def test_nonsense_objects_fail_rollout_checks_without_crashing(name, content, words):
    started = time.monotonic()
    result = _grade_with(content)
    assert time.monotonic() - started < 2.0
    assert not any(c.status is Status.ERROR for c in result.checks), [
        (c.id, c.observed) for c in result.checks if c.status is Status.ERROR
    ]
    failing = [c for c in result.checks if c.status is Status.FAILED]
    assert failing, "a nonsense Rollout must not pass"
    assert all(c.observed for c in failing)
    if words:
        assert any(words in c.observed for c in failing), [(c.id, c.observed) for c in failing]
    _assert_renders(result)


def test_crlf_and_utf8_bom_are_not_hostile():
    text = (LAB / "solution" / "rollout.yaml").read_text(encoding="utf-8")
    for variant in (text.replace("\n", "\r\n").encode(), b"\xef\xbb\xbf" + text.encode()):
        result = _grade_with(variant)
        assert result.score == result.max_score


def test_links_pipes_and_folders_in_the_manifest_dir_are_skipped_without_blocking(tmp_path):
    for name, data in SOLUTION.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "passwd.yaml").symlink_to("/etc/passwd")
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "folder.yaml").mkdir()
    started = time.monotonic()
    manifests = load_manifest_dir(tmp_path)
    assert time.monotonic() - started < 2.0
    messages = {p.file: p.message for p in manifests.problems}
    assert set(messages) == {"passwd.yaml", "pipe.yaml", "folder.yaml"}
    assert all("not a regular file" in m for m in messages.values())
    assert len(manifests.objects) == 4


# ---- bundles ---------------------------------------------------------------------------------


def _good_bundle(path: Path) -> Path:
    return write_bundle(
        path,
        lab="canary-analysis",
        learner=Learner(id="7", name="Grace"),
        manifests=SOLUTION,
        snapshot=settled_snapshot(),
        timeline=canary_timeline("abort_then_undo"),
    )


def _zip(entries: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


HEADER = json.dumps({"format": "rollout-lab.bundle/v1", "lab": "canary-analysis"}).encode()


def _symlink_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("manifests/link.yaml")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _with_duplicate() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("bundle.json", HEADER)
        with pytest.warns(UserWarning):
            archive.writestr("bundle.json", HEADER)
    return buffer.getvalue()


BUNDLES: list[tuple[str, object, str]] = [
    ("not-a-zip", b"hello, I am a bundle", "not a zip"),
    ("empty-file", b"", "not a zip"),
    (
        "traversal",
        lambda: _zip([("bundle.json", HEADER), ("../../etc/evil.yaml", b"a: 1")]),
        "unsafe path",
    ),
    (
        "absolute-path",
        lambda: _zip([("bundle.json", HEADER), ("/etc/evil.yaml", b"a: 1")]),
        "unsafe path",
    ),
    (
        "backslash-path",
        lambda: _zip([("bundle.json", HEADER), ("..\\evil.yaml", b"a")]),
        "unsafe path",
    ),
    ("drive-path", lambda: _zip([("bundle.json", HEADER), ("C:/evil.yaml", b"a")]), "unsafe path"),
    (
        "symlink-entry",
        lambda: _zip([("bundle.json", HEADER), (_symlink_entry(), b"/etc/passwd")]),
        "symbolic link",
    ),
    (
        "zip-bomb",
        lambda: _zip([("bundle.json", HEADER), ("manifests/a.yaml", b"0" * 40_000_000)]),
        "bytes",
    ),
    (
        "too-many-entries",
        lambda: _zip([("bundle.json", HEADER)] + [(f"m/{i}", b"") for i in range(300)]),
        "entries",
    ),
    ("no-header", lambda: _zip([("manifests/a.yaml", b"a: 1")]), "bundle.json is missing"),
    ("header-not-json", lambda: _zip([("bundle.json", b"{nope")]), "not valid UTF-8 JSON"),
    ("header-deep-json", lambda: _zip([("bundle.json", b"[" * 100_000)]), "not valid UTF-8 JSON"),
    ("header-wrong-format", lambda: _zip([("bundle.json", b'{"format": "x"}')]), "header"),
    ("duplicate-entries", _with_duplicate, "two entries"),
    (
        "truncated",
        lambda: _zip([("bundle.json", HEADER), ("manifests/a.yaml", b"a: 1" * 1000)])[:-40],
        "zip",
    ),
    (
        "other-lab",
        lambda: _zip(
            [
                (
                    "bundle.json",
                    json.dumps({"format": "rollout-lab.bundle/v1", "lab": "blue-green"}).encode(),
                )
            ]
        ),
        "not 'canary-analysis'",
    ),
]


@pytest.mark.parametrize(("name", "content", "words"), BUNDLES, ids=[b[0] for b in BUNDLES])
def test_hostile_bundle_becomes_an_error_row(tmp_path, name, content, words):
    path = tmp_path / f"{name}.zip"
    path.write_bytes(content() if callable(content) else content)
    started = time.monotonic()
    result = grade_bundle(RUBRIC, path)
    assert time.monotonic() - started < 2.0
    if name == "many-heavy-manifests":  # readable bundle, unreadable files: the file check fails
        parse = next(c for c in result.checks if c.id == "files-parse")
        assert parse.status is Status.FAILED and words in parse.observed
        return
    assert result.errors and words in result.errors[0], result.errors
    assert all(c.status is Status.ERROR for c in result.checks)
    assert result.score == 0 and not result.gradable
    _assert_renders(result)


def test_bundle_that_is_a_fifo_is_refused_without_blocking(tmp_path):
    path = tmp_path / "pipe.zip"
    os.mkfifo(path)
    started = time.monotonic()
    result = grade_bundle(RUBRIC, path)
    assert time.monotonic() - started < 2.0
    assert "not a regular file" in result.errors[0]


@pytest.mark.parametrize(
    ("entry", "data", "words"),
    [
        ("snapshot.json", b"not json", "snapshot.json is not valid"),
        (
            "snapshot.json",
            b'{"schema": "rollout-lab.snapshot/v1", "objects": {"secrets": []}}',
            "unexpected entry",
        ),
        ("timeline.jsonl", b'{"schema": "rollout-lab.timeline/v1"}\n{"t": "soon"}\n', "line 2"),
        ("timeline.jsonl", b"\xff\xfe", "timeline.jsonl"),
    ],
)
def test_corrupt_parts_make_the_submission_ungradable_not_failed(tmp_path, entry, data, words):
    good = _good_bundle(tmp_path / "good.zip")
    entries = []
    with zipfile.ZipFile(good) as archive:
        for info in archive.infolist():
            entries.append((info.filename, data if info.filename == entry else archive.read(info)))
    path = tmp_path / "partly-broken.zip"
    path.write_bytes(_zip(entries))
    result = grade_bundle(RUBRIC, path)
    assert any(words in e for e in result.errors), result.errors
    assert not result.gradable
    family = "state" if entry == "snapshot.json" else "timeline"
    assert all(c.status is Status.ERROR for c in result.checks if c.family == family)
    assert all(c.status is Status.PASSED for c in result.checks if c.family == "manifest")


def test_inputs_counted_here_exceed_fifty():
    assert len(MANIFESTS) + len(NONSENSE) + len(BUNDLES) + 2 >= 50
