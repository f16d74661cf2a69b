"""Rollback protection survives a restart (issue 12, problem 3).

Copying the older signed revocation list (v1) over v2 in the data folder
must not turn a revoked holder from DENY REVOKED into ALLOW: the highest
version accepted is kept in the log database, and the older file is refused
at load.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kiosk.adapters.list_files import held_versions
from kiosk.adapters.store import EntryStore
from kiosk.core.pipeline import scan
from kiosk.judgement_setup import Overrides, load_judgement
from server_stub.issuer import Issuer, good_certificates, holder_id_for
from tests.conftest import NOW

REPO = Path(__file__).resolve().parents[2]


def test_an_older_revocation_list_copied_in_is_refused_after_a_restart(tmp_path: Path) -> None:
    issuer = Issuer.create(tmp_path / "issuer", now=NOW - 30 * 86400)
    issuer.republish(now=NOW - 7200)
    data = tmp_path / "var"
    data.mkdir()
    shutil.copy(issuer.directory / "trust-list.cose", data / "trust-list.cose")
    old = issuer.revocation_list()
    code = issuer.mint(name="Han *mei", now=NOW - 60, **good_certificates(NOW))
    issuer.revoke(holder_id_for("Han *mei", issuer.region), now=NOW - 3600)
    (data / "revocations.cose").write_bytes(issuer.revocation_list())
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'kiosk_id = "k1"\ndata_dir = "var"\npolicy = "{REPO / "config" / "policy.toml"}"\n'
        f'holder_salt = "s"\n[trust]\nroot_key = "{issuer.directory / "root.pub.pem"}"\n',
        "utf-8",
    )
    EntryStore(data / "entries.sqlite", kiosk_id="k1").close()

    first = load_judgement(config, Overrides(), now=NOW)
    assert scan(code, first.context, NOW).reason_codes[0] == "REVOKED"
    assert first.config is not None
    held = held_versions(first.config)
    assert held["revocations"] == issuer.revocation_version

    (data / "revocations.cose").write_bytes(old)  # the attack: v1 over v2, then a restart
    again = load_judgement(config, Overrides(), now=NOW)
    assert again.trust_state.revocations is None
    assert any("older than the version" in p for p in again.trust_state.problems)
    decision = scan(code, again.context, NOW)
    assert decision.verdict.value != "ALLOW"
    assert "NO_REVOCATION_LIST" in decision.reason_codes
