"""The server's ack key: every batch ack is signed with it, so only this server can mark
a kiosk's entries sent.

The key is an Ed25519 private key in a PEM file (created 0600 on first start,
by default ``server-ack-key.pem`` beside the database).  Kiosks learn its
public half from ``GET /v1/ack-key``: a certificate signed by the root key
they already pin (``kiosk.core.server_signed``), made at start by the issuer
in ``issuer_dir``.  ``server-stub admin ack-key`` exports the public key as
PEM for a kiosk that pins it in its config instead (``server.ack_key``).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.core.server_signed import ack_bytes


class AckKeyError(Exception):
    """The ack key file cannot be read or made."""


def load_or_create_ack_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 key in ``path``; a new one (file mode 0600) when the file is absent."""
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise AckKeyError(f"{path}: not a readable PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise AckKeyError(f"{path}: the ack key must be Ed25519, got {type(key).__name__}")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return key


@dataclass(frozen=True)
class AckSigner:
    """Signs acks; ``certificate`` is what ``GET /v1/ack-key`` serves."""

    key: Ed25519PrivateKey
    certificate: bytes

    def spki(self) -> bytes:
        return public_spki(self.key)

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, fields: dict[str, Any]) -> tuple[bytes, str]:
        """The ack's exact bytes and the base64 signature over them."""
        body = ack_bytes(fields)
        return body, base64.b64encode(self.key.sign(body)).decode("ascii")


def public_spki(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
