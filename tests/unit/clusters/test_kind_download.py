"""kind binary resolution: PATH version pin, cache re-verification, download + SHA-256."""

import hashlib
import http.server
import os
import threading
import urllib.error
from typing import ClassVar

import pytest

from clusters.kind.download import (
    ChecksumError,
    KindUnavailable,
    ensure_kind,
    kind_asset,
    kind_url,
    parse_kind_version,
    sha256_file,
    urllib_fetch,
    verify_checksum,
)
from clusters.kind.pins import KIND_CHECKSUMS, KIND_VERSION
from clusters.runner import ScriptedRunner

PAYLOAD = b"#!/bin/sh\necho 'kind v0.32.0 go1.24 linux/amd64'\n"
GOOD = hashlib.sha256(PAYLOAD).hexdigest()
ASSET = "kind-linux-amd64"


def no_path(_name):
    return None


def serve(payload):
    fetched = []

    def fetch(url, destination, timeout):
        fetched.append(url)
        destination.write_bytes(payload)

    return fetch, fetched


def test_asset_names_and_url():
    assert kind_asset("Linux", "x86_64") == "kind-linux-amd64"
    assert kind_asset("Darwin", "arm64") == "kind-darwin-arm64"
    assert kind_asset("Linux", "aarch64") == "kind-linux-arm64"
    with pytest.raises(KindUnavailable, match="no binary"):
        kind_asset("Linux", "riscv64")
    assert kind_url(ASSET) == f"https://kind.sigs.k8s.io/dl/{KIND_VERSION}/kind-linux-amd64"
    assert set(KIND_CHECKSUMS) >= {"kind-linux-amd64", "kind-linux-arm64"}
    assert all(len(value) == 64 for value in KIND_CHECKSUMS.values())


def test_checksum_good_bad_missing(tmp_path):
    good = tmp_path / "kind"
    good.write_bytes(PAYLOAD)
    assert sha256_file(good) == GOOD
    verify_checksum(good, GOOD.upper())  # hex case does not matter
    with pytest.raises(ChecksumError, match="expected"):
        verify_checksum(good, "0" * 64)
    with pytest.raises(ChecksumError, match="does not exist"):
        verify_checksum(tmp_path / "absent", GOOD)


def test_download_verified_then_made_executable(tmp_path):
    fetch, fetched = serve(PAYLOAD)
    binary = ensure_kind(
        tmp_path, ScriptedRunner(), checksums={ASSET: GOOD}, asset=ASSET, fetch=fetch, which=no_path
    )
    assert binary.source == "download"
    assert fetched == [kind_url(ASSET)]
    assert binary.path == tmp_path / f"kind-{KIND_VERSION}"
    assert binary.path.read_bytes() == PAYLOAD
    assert os.access(binary.path, os.X_OK)
    assert not (tmp_path / f"kind-{KIND_VERSION}.partial").exists()


def test_tampered_download_is_deleted(tmp_path):
    fetch, _ = serve(b"not kind")
    with pytest.raises(KindUnavailable, match="failed verification and was deleted"):
        ensure_kind(
            tmp_path,
            ScriptedRunner(),
            checksums={ASSET: GOOD},
            asset=ASSET,
            fetch=fetch,
            which=no_path,
        )
    assert list(tmp_path.iterdir()) == []


def test_cached_binary_reverified_and_replaced_when_corrupt(tmp_path):
    cached = tmp_path / f"kind-{KIND_VERSION}"
    cached.write_bytes(PAYLOAD)
    fetch, fetched = serve(PAYLOAD)
    binary = ensure_kind(
        tmp_path, ScriptedRunner(), checksums={ASSET: GOOD}, asset=ASSET, fetch=fetch, which=no_path
    )
    assert (binary.source, fetched) == ("cache", [])
    cached.write_bytes(b"truncated")
    binary = ensure_kind(
        tmp_path, ScriptedRunner(), checksums={ASSET: GOOD}, asset=ASSET, fetch=fetch, which=no_path
    )
    assert binary.source == "download" and cached.read_bytes() == PAYLOAD


def test_offline_failure_says_what_to_do(tmp_path):
    def offline(url, destination, timeout):
        raise urllib.error.URLError("Name or service not known")

    with pytest.raises(KindUnavailable) as raised:
        ensure_kind(
            tmp_path,
            ScriptedRunner(),
            checksums={ASSET: GOOD},
            asset=ASSET,
            fetch=offline,
            which=no_path,
        )
    message = str(raised.value)
    assert f"could not download kind {KIND_VERSION}" in message
    assert "put it on PATH" in message
    assert str(tmp_path / f"kind-{KIND_VERSION}") in message and GOOD in message


def test_platform_without_pinned_checksum_refuses_to_download(tmp_path):
    fetch, fetched = serve(PAYLOAD)
    with pytest.raises(KindUnavailable, match="no pinned SHA-256 for kind-windows-amd64"):
        ensure_kind(
            tmp_path, ScriptedRunner(), asset="kind-windows-amd64", fetch=fetch, which=no_path
        )
    assert fetched == []


def test_kind_on_path_used_only_when_version_matches(tmp_path):
    runner = ScriptedRunner().on(
        "kind", "version", answer=f"kind {KIND_VERSION} go1.24 linux/amd64"
    )
    binary = ensure_kind(tmp_path, runner, which=lambda name: "/usr/local/bin/kind")
    assert (str(binary.path), binary.source) == ("/usr/local/bin/kind", "PATH")

    old = ScriptedRunner().on("kind", "version", answer="kind v0.20.0 go1.20 linux/amd64")
    fetch, fetched = serve(PAYLOAD)
    binary = ensure_kind(
        tmp_path,
        old,
        checksums={ASSET: GOOD},
        asset=ASSET,
        fetch=fetch,
        which=lambda name: "/usr/local/bin/kind",
    )
    assert binary.source == "download" and fetched


def test_parse_kind_version():
    assert parse_kind_version("kind v0.32.0 go1.24.5 linux/amd64") == "v0.32.0"
    assert parse_kind_version("kind v0.33.0-alpha+abc go1.25 darwin/arm64") == "v0.33.0-alpha+abc"
    assert parse_kind_version("garbage") is None


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD at /ok, fails once with 503 at /flaky, 404 at /missing."""

    hits: ClassVar[dict[str, int]] = {}

    def do_GET(self):
        count = self.hits[self.path] = self.hits.get(self.path, 0) + 1
        if self.path == "/missing" or (self.path == "/flaky" and count == 1):
            self.send_error(404 if self.path == "/missing" else 503)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    _Flaky.hits = {}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_real_fetcher_retries_5xx_but_not_404(local_server, tmp_path):
    target = tmp_path / "kind"
    urllib_fetch(f"{local_server}/flaky", target, 5, delays=(0.0, 0.0))
    assert target.read_bytes() == PAYLOAD and _Flaky.hits["/flaky"] == 2
    with pytest.raises(urllib.error.HTTPError):
        urllib_fetch(f"{local_server}/missing", target, 5, delays=(0.0, 0.0))
    assert _Flaky.hits["/missing"] == 1


def test_real_fetcher_feeds_verified_install(local_server, tmp_path):
    def fetch(url, destination, timeout):
        urllib_fetch(f"{local_server}/ok", destination, timeout, delays=())

    binary = ensure_kind(
        tmp_path, ScriptedRunner(), checksums={ASSET: GOOD}, asset=ASSET, fetch=fetch, which=no_path
    )
    assert binary.source == "download" and binary.path.read_bytes() == PAYLOAD
