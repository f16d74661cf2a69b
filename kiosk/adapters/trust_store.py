"""The kiosk's trust material on disk: pinned root key, trust list, revocation list.

Loads what the kiosk judges with at start (and after a sync writes new
lists).  The root key must exist: without it nothing can be trusted, so
its absence is a configuration error naming the file.  A missing or
refused list is not fatal: the kiosk starts, every code is judged with the
list's absence as a reason (no trust list means DENY), and the problem is
reported so an operator can see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk.adapters.config import MAX_KEY_BYTES, ConfigError, read_capped
from kiosk.adapters.list_files import REVOCATIONS, TRUST, load_revocations, load_trust_list
from kiosk.core.errors import ListError
from kiosk.core.trust import RevocationList, RootKey, TrustList, load_root_key


@dataclass(frozen=True)
class TrustState:
    """The root key, the lists that loaded, and why any did not."""

    root: RootKey
    trust: TrustList | None
    revocations: RevocationList | None
    problems: tuple[str, ...] = ()


def load_root(path: Path) -> RootKey:
    """Load the pinned root public key; ConfigError names the file on any fault."""
    if not path.exists():
        raise ConfigError(f"{path}: root key file not found (trust.root_key)")
    data = read_capped(path, MAX_KEY_BYTES, "root key (trust.root_key)")
    try:
        return load_root_key(data)
    except ListError as exc:
        raise ConfigError(f"{path}: {exc.message}") from None


def load_trust_state(
    root_path: Path,
    trust_path: Path,
    revocations_path: Path,
    *,
    now: int,
    held: Mapping[str, int] | None = None,
) -> TrustState:
    """Load the root key (required) and both lists (each optional).

    ``held`` is the highest version accepted before (``list_files.held_versions``):
    an older file is refused as a rollback.
    """
    root = load_root(root_path)
    held = held or {}
    trust = load_trust_list(trust_path, root, now=now, held_version=held.get(TRUST))
    revocations = load_revocations(
        revocations_path, root, now=now, held_version=held.get(REVOCATIONS)
    )
    problems = tuple(p for p in (trust.problem, revocations.problem) if p)
    return TrustState(root, trust.value, revocations.value, problems)
