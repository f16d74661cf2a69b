"""The signed lists and the server's site policy on the kiosk's disk: atomic writes, loads.

A list or policy fetched from the server replaces the old file only once it
has been verified, and only whole: it is written to a temporary file in the
same directory, flushed to disk, renamed over the old one, and the
directory is flushed too.  A power cut at any moment leaves either the old
file or the new one, never half of one.

The site policy fetched from the server is signed by the root key like the
lists and kept, as fetched, next to them (``fetched_policy_path``); when it
verifies it wins over the policy file named in the configuration.

Rollback across restarts: the highest version ever accepted of each list and
of the server's policy is kept in the log database (``log_head``'s
``list_versions`` table).  ``held_versions`` reads it before the files are
loaded, so an older file copied into the data folder is refused at load, and
``remember_list_versions`` raises it whenever a newer one is accepted.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from kiosk.adapters import log_head
from kiosk.adapters.config import ConfigError, KioskConfig, read_capped
from kiosk.core.errors import ListError
from kiosk.core.limits import MAX_LIST_BYTES
from kiosk.core.policy import Policy, PolicyError, policy_from_mapping
from kiosk.core.server_signed import check_policy_scope, policy_scope
from kiosk.core.trust import (
    RevocationList,
    RootKey,
    SignedPolicy,
    TrustList,
    parse_revocation_list,
    parse_signed_policy,
    parse_trust_list,
)

FETCHED_POLICY_NAME = "policy-from-server.cose"
LOG_NAME = "entries.sqlite"
"""The entry log inside ``data_dir``; it also keeps the highest list versions."""

TRUST = "trust"
REVOCATIONS = "revocations"
POLICY = "policy"

T = TypeVar("T")


def write_atomic(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file whole.

    The file is private to the kiosk's user (0600) unless ``mode`` says otherwise;
    folders it creates are 0700.
    """
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """What a file held: the parsed value, or None and one line saying why not."""

    value: T | None
    problem: str = ""
    data: bytes | None = None


def _load(path: Path, what: str, parse: Callable[[bytes], T]) -> Loaded[T]:
    if not path.exists():
        return Loaded(None, f"{path}: no {what} yet")
    try:
        # A list is refused by the core past MAX_LIST_BYTES; reading stops just after.
        data = read_capped(path, MAX_LIST_BYTES + 1, what)
    except ConfigError as exc:
        return Loaded(None, str(exc))
    try:
        return Loaded(parse(data), "", data)
    except ListError as exc:
        return Loaded(None, f"{path}: refused: {exc.message}", data)
    except (PolicyError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return Loaded(None, f"{path}: not a valid site policy: {exc}", data)


def load_trust_list(
    path: Path, root: RootKey, *, now: int, held_version: int | None = None
) -> Loaded[TrustList]:
    return _load(
        path,
        "trust list",
        lambda d: parse_trust_list(d, root, now=now, held_version=held_version),
    )


def load_revocations(
    path: Path, root: RootKey, *, now: int, held_version: int | None = None
) -> Loaded[RevocationList]:
    return _load(
        path,
        "revocation list",
        lambda d: parse_revocation_list(d, root, now=now, held_version=held_version),
    )


def log_path(config: KioskConfig) -> Path:
    return config.data_dir / LOG_NAME


def held_versions(config: KioskConfig | None) -> dict[str, int]:
    """Highest version ever accepted of each list and of the policy (empty without a log)."""
    if config is None:
        return {}
    return log_head.held_versions(log_path(config))


def remember_list_versions(config: KioskConfig | None, **versions: int | None) -> None:
    """Raise the durable highest versions (``trust=``, ``revocations=``, ``policy=``)."""
    known = {k: v for k, v in versions.items() if v is not None}
    if config is not None and known:
        log_head.remember_versions(log_path(config), known)


def fetched_policy_path(config: KioskConfig) -> Path:
    """Where the signed site policy fetched from the server is kept."""
    return config.data_dir / FETCHED_POLICY_NAME


def parse_signed_policy_bytes(
    data: bytes, root: RootKey, *, held_version: int | None = None
) -> tuple[SignedPolicy, Policy]:
    """Signed policy bytes -> (its envelope, the Policy); raises ListError or a ValueError."""
    signed = parse_signed_policy(data, root, held_version=held_version)
    return signed, policy_from_mapping(tomllib.loads(signed.text))


def load_fetched_policy(
    config: KioskConfig, root: RootKey, *, now: int, held_version: int | None = None
) -> Loaded[tuple[SignedPolicy, Policy]]:
    """The server's signed policy kept on disk, checked again as when it was fetched:
    the pinned root's signature, this kiosk's site and the expiry at ``now``.  A copy
    that has expired while the kiosk was off, or was put there for another site, is
    refused with the reason (the caller falls back to the config's policy file)."""

    def parse(data: bytes) -> tuple[SignedPolicy, Policy]:
        parsed = parse_signed_policy_bytes(data, root, held_version=held_version)
        check_policy_scope(
            policy_scope(data, root), site=config.site, now=now, skew_s=config.skew_s, held=None
        )
        return parsed

    return _load(fetched_policy_path(config), "site policy from the server", parse)
