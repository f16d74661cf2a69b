"""The site policy from the central server must be signed by the pinned root: nobody on the
network may loosen a site's rules, or roll them back."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.adapters.list_files import parse_signed_policy_bytes
from kiosk.core.errors import ListError, ReasonCode
from kiosk.core.trust import load_root_key
from server_stub.issuer import Issuer
from tests.conftest import NOW

LAX = '[colours]\nallow = ["G", "Y", "R"]\nreview = []\n'


def test_a_signed_policy_is_read(issuer: Issuer) -> None:
    root = load_root_key(issuer.root_public_pem)
    signed, policy = parse_signed_policy_bytes(issuer.sign_policy(LAX, version=5, now=NOW), root)
    assert signed.version == 5 and signed.text == LAX
    assert "R" in policy.colours.allow


def test_plain_toml_is_refused(issuer: Issuer) -> None:
    root = load_root_key(issuer.root_public_pem)
    with pytest.raises(ListError) as err:
        parse_signed_policy_bytes(LAX.encode(), root)
    assert err.value.code is ReasonCode.LIST_STRUCTURE


def test_a_policy_signed_by_another_root_is_refused(issuer: Issuer, tmp_path: Path) -> None:
    stranger = Issuer.create(tmp_path / "stranger", now=NOW)
    root = load_root_key(issuer.root_public_pem)
    with pytest.raises(ListError) as err:
        parse_signed_policy_bytes(stranger.sign_policy(LAX, version=9, now=NOW), root)
    assert err.value.code is ReasonCode.LIST_SIGNATURE


def test_an_older_policy_is_refused(issuer: Issuer) -> None:
    root = load_root_key(issuer.root_public_pem)
    old = issuer.sign_policy(LAX, version=4, now=NOW)
    assert parse_signed_policy_bytes(old, root, held_version=4)[0].version == 4
    with pytest.raises(ListError) as err:
        parse_signed_policy_bytes(old, root, held_version=5)
    assert err.value.code is ReasonCode.LIST_ROLLBACK


def test_a_signed_but_invalid_policy_is_refused_by_the_policy_parser(issuer: Issuer) -> None:
    root = load_root_key(issuer.root_public_pem)
    with pytest.raises(ValueError, match=r"colours\.allow"):
        parse_signed_policy_bytes(
            issuer.sign_policy("[colours]\nallow = 7\n", version=6, now=NOW), root
        )
