"""https:// with a pinned CA file (``server.ca_file``), and refusal of an untrusted certificate.

A throwaway CA and a certificate for 127.0.0.1 are made with ``cryptography``;
the hostile fake server speaks TLS with them.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.adapters.http_fetch import BoundedFetcher, FetchError
from tests.integration.hostile_server import HostileServer, Reply


def make_ca_and_cert(folder: Path) -> tuple[Path, Path, Path]:
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


def test_https_with_a_pinned_ca_and_an_untrusted_one(tmp_path: Path) -> None:
    ca, cert, key = make_ca_and_cert(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def hello(_m: str, _p: str, _h: dict[str, str], _b: bytes) -> Reply:
        return Reply(200, {}, b"hello over TLS")

    with HostileServer(hello, tls=context) as server:
        url = f"https://127.0.0.1:{server.port}/healthz"
        pinned = BoundedFetcher(read_timeout_s=5, deadline_s=10, verify=str(ca))
        assert pinned.fetch("GET", url, cap=1024).body == b"hello over TLS"
        pinned.close()
        system = BoundedFetcher(read_timeout_s=5, deadline_s=10)  # the system store
        try:
            system.fetch("GET", url, cap=1024)
            raise AssertionError("an untrusted certificate was accepted")
        except FetchError as exc:
            assert "TLS" in exc.message or "certificate" in exc.message
        finally:
            system.close()
