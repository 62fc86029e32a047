"""The embedded server's TLS material: a CA that verifies a 127.0.0.1 serving cert, kept 0600."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

from cryptography import x509

from clusters.embedded.certs import ensure_tls_files


def test_serving_certificate_verifies_against_the_ca_for_127_0_0_1(tmp_path: Path) -> None:
    files = ensure_tls_files(tmp_path)
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(files.server_cert, files.server_key)
    client = ssl.create_default_context(cafile=str(files.ca_cert))
    cert = x509.load_pem_x509_certificate(files.server_cert.read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in [str(ip) for ip in names.get_values_for_type(x509.IPAddress)]
    assert "localhost" in names.get_values_for_type(x509.DNSName)
    ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    cert.verify_directly_issued_by(ca)
    assert client.check_hostname is True


def test_keys_are_private_and_reused_on_second_start(tmp_path: Path) -> None:
    first = ensure_tls_files(tmp_path)
    before = first.server_cert.read_bytes(), first.ca_cert.read_bytes()
    second = ensure_tls_files(tmp_path)
    assert (second.server_cert.read_bytes(), second.ca_cert.read_bytes()) == before
    for key in (second.server_key, tmp_path / "tls" / "ca.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
