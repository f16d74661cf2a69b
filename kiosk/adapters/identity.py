"""The kiosk's own Ed25519 key: it signs every batch the kiosk sends to the server.

The private key is a PKCS#8 PEM file, mode 0600, made once by ``kiosk keygen``
and kept: the server knows the kiosk by its public key, so a new key means
registering the kiosk again.  ``kiosk run`` and ``kiosk sync`` never make a
key (``load_registered_identity``): a key that went missing is a fault to
fix (keygen and re-register), not something to paper over with a new key
that every sync would then be refused with.  A key file others can read is
tightened to 0600 when loaded.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.config import MAX_KEY_BYTES, ConfigError, read_capped
from kiosk.adapters.list_files import write_atomic


class IdentityError(ConfigError):
    """The identity key file is unreadable or not an Ed25519 private key."""


def public_pem(key: Ed25519PrivateKey) -> bytes:
    """The public half as SubjectPublicKeyInfo PEM (what the server registers)."""
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_path(path: Path) -> Path:
    """Where the public key PEM is written next to the private key."""
    name = path.name.removesuffix(".pem")
    return path.with_name(f"{name}.pub.pem")


def load_identity(path: Path) -> Ed25519PrivateKey:
    """Load an existing identity key; IdentityError names the file on any fault."""
    try:
        data = read_capped(path, MAX_KEY_BYTES, "identity key")
        if os.stat(path).st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            os.chmod(path, 0o600)
    except ConfigError as exc:
        raise IdentityError(str(exc)) from None
    except FileNotFoundError:
        raise IdentityError(f"{path}: no kiosk identity key (run 'kiosk keygen')") from None
    except OSError as exc:
        raise IdentityError(f"{path}: cannot read the identity key: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise IdentityError(f"{path}: not a PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise IdentityError(f"{path}: expected an Ed25519 key, got {type(key).__name__}")
    return key


MISSING_KEY = "identity key missing: run kiosk keygen and re-register"


def load_registered_identity(path: Path) -> Ed25519PrivateKey:
    """The kiosk's existing key; a missing key is an IdentityError, never a new key."""
    if not Path(path).exists():
        raise IdentityError(f"{path}: {MISSING_KEY}")
    return load_identity(Path(path))


def load_or_create_identity(path: Path) -> Ed25519PrivateKey:
    """The kiosk's key from ``path``, made (mode 0600) if the file does not exist."""
    path = Path(path)
    if path.exists():
        return load_identity(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
                fh.flush()
                os.fsync(fh.fileno())
            # link, not rename: if another process made a key meanwhile, keep theirs.
            os.link(tmp, path)
        finally:
            os.unlink(tmp)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except FileExistsError:
        return load_identity(path)
    except OSError as exc:
        raise IdentityError(f"{path}: cannot write the identity key: {exc.strerror}") from None
    try:
        write_atomic(public_key_path(path), public_pem(key))
    except OSError as exc:
        raise IdentityError(f"{public_key_path(path)}: cannot write: {exc.strerror}") from None
    return key
