"""Shared fixtures: a real issuer (keys, signed lists) and a scan context at a fixed moment."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.core.pipeline import ScanContext
from kiosk.core.policy import DEFAULT_POLICY
from kiosk.core.trust import load_root_key, parse_revocation_list, parse_trust_list
from server_stub.issuer import Issuer

NOW = 1795420800
"""2026-11-23T08:00:00Z: tests judge at this fixed moment."""


@pytest.fixture(scope="session")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Issuer:
    directory = tmp_path_factory.mktemp("issuer")
    made = Issuer.create(directory, now=NOW - 30 * 86400)
    made.republish(now=NOW - 3600)
    return made


def context_for(issuer: Issuer, now: int = NOW, **changes: object) -> ScanContext:
    root = load_root_key(issuer.root_public_pem)
    fields: dict[str, object] = {
        "policy": DEFAULT_POLICY,
        "trust": parse_trust_list(issuer.trust_list(), root, now=now),
        "revocations": parse_revocation_list(issuer.revocation_list(), root, now=now),
        "holder_salt": b"test-salt",
    }
    fields.update(changes)
    return ScanContext(**fields)  # type: ignore[arg-type]


@pytest.fixture()
def ctx(issuer: Issuer) -> ScanContext:
    return context_for(issuer)


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    return Path(__file__).parent / "vectors"


@pytest.fixture(scope="session", autouse=True)
def _repository_config_untouched() -> object:
    """No test may change the project's own config files (tests write to their tmp folders)."""
    import hashlib

    config = Path(__file__).resolve().parents[1] / "config"

    def digest() -> dict[str, str]:
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in config.glob("*")}

    before = digest()
    yield None
    changed = sorted(k for k, v in digest().items() if before.get(k) != v)
    assert not changed, f"a test changed config/{', config/'.join(changed)}"
