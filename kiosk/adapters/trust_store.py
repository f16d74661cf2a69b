"""The kiosk's trust material on disk: pinned root key, trust list, revocation list.

Loads what the kiosk judges with at start (and after a sync writes new
lists).  The root key must exist: without it nothing can be trusted, so
its absence is a configuration error naming the file.  A missing or
refused list is not fatal: the kiosk starts, every code is judged with the
list's absence as a reason (no trust list means DENY), and the problem is
reported so an operator can see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.adapters.config import ConfigError
from kiosk.core.errors import ListError
from kiosk.core.trust import (
    RevocationList,
    RootKey,
    TrustList,
    load_root_key,
    parse_revocation_list,
    parse_trust_list,
)


@dataclass(frozen=True)
class TrustState:
    """The root key, the lists that loaded, and why any did not."""

    root: RootKey
    trust: TrustList | None
    revocations: RevocationList | None
    problems: tuple[str, ...] = ()


def load_root(path: Path) -> RootKey:
    """Load the pinned root public key; ConfigError names the file on any fault."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: root key file not found (trust.root_key)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the root key: {exc.strerror}") from None
    try:
        return load_root_key(data)
    except ListError as exc:
        raise ConfigError(f"{path}: {exc.message}") from None


def _read(path: Path, what: str, problems: list[str]) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        problems.append(f"{path}: no {what} yet")
    except OSError as exc:
        problems.append(f"{path}: cannot read the {what}: {exc.strerror}")
    return None


def load_trust_state(
    root_path: Path, trust_path: Path, revocations_path: Path, *, now: int
) -> TrustState:
    """Load the root key (required) and both lists (each optional)."""
    root = load_root(root_path)
    problems: list[str] = []
    trust: TrustList | None = None
    revocations: RevocationList | None = None
    data = _read(trust_path, "trust list", problems)
    if data is not None:
        try:
            trust = parse_trust_list(data, root, now=now)
        except ListError as exc:
            problems.append(f"{trust_path}: refused: {exc.message}")
    data = _read(revocations_path, "revocation list", problems)
    if data is not None:
        try:
            revocations = parse_revocation_list(data, root, now=now)
        except ListError as exc:
            problems.append(f"{revocations_path}: refused: {exc.message}")
    return TrustState(root, trust, revocations, tuple(problems))
