"""Policy versions mean something: an issuer-side counter, a site, an expiry.

On the landed server the version was the file's mtime in seconds: two edits
in one second shared a version, so the laxer one could be served again and
was accepted; a stricter policy restored from a backup (older mtime) was
refused by every kiosk; nothing named the site or expired.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kiosk.adapters.config import load_config
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient
from kiosk.core.server_signed import site_policy_payload
from kiosk.core.trust import load_root_key
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.hostile_server import HostileServer, Reply
from tests.integration.server_harness import POLICY, kiosk, make_issuer, settings


@pytest.fixture()
def issuer(tmp_path: Path) -> Issuer:
    return make_issuer(tmp_path / "issuer")


def client_for(tmp: Path, url: str, issuer: Issuer) -> tuple[SyncClient, EntryStore]:
    config, key = kiosk(tmp, url=url, issuer_dir=issuer.directory)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    client = SyncClient(config, store, key, root_key=load_root_key(issuer.root_public_pem))
    return client, store


def crafted(issuer: Issuer, text: str, version: int, **scope: object) -> bytes:
    """A policy genuinely signed by the root (as an older server or a backup would hold)."""
    now = int(time.time())
    fields: dict[str, object] = {"sites": ["*"], "expires_at": now + 86400}
    fields.update(scope)
    payload = site_policy_payload(version, now - 10, text, **fields)  # type: ignore[arg-type]
    return issuer._sign_list(payload)


def test_versions_count_edits_and_restores(tmp_path: Path, issuer: Issuer) -> None:
    policy = tmp_path / "policy.toml"
    lax = POLICY.read_text("utf-8") + "\n# lax\n"
    strict = POLICY.read_text("utf-8") + "\n# strict\n"
    policy.write_text(lax, "utf-8")
    with ServerThread(settings(tmp_path, issuer.directory, policy_path=policy)) as server:
        client, store = client_for(tmp_path / "k", server.url, issuer)
        versions = []
        for text in (lax, strict, lax):  # the second edit in the same second; then a restore
            policy.write_text(text, "utf-8")
            outcome = client.fetch_lists_once(int(time.time())).policy
            assert outcome.state == "updated", outcome
            versions.append(outcome.version)
        client.close()
        store.close()
    print(f"\npolicy versions for lax, strict, lax-restored: {versions}")
    assert versions == [1, 2, 3]


@pytest.mark.parametrize(
    ("what", "scope", "version", "message"),
    [
        ("replay of version 2 with other content", {}, 2, "other content"),
        ("older version", {}, 1, "older"),
        ("another site's", {"sites": ["Building B"]}, 3, "not this site"),
        ("expired", {"expires_at": int(time.time()) - 86400}, 3, "expired"),
    ],
)
def test_a_policy_that_does_not_hold_here_is_refused(
    tmp_path: Path, issuer: Issuer, what: str, scope: dict[str, object], version: int, message: str
) -> None:
    text = POLICY.read_text("utf-8")
    held = crafted(issuer, text + "\n# strict\n", 2)
    served = [held]

    def serve(_m: str, path: str, _h: dict[str, str], _b: bytes) -> Reply:
        return Reply(200, {}, served[0]) if path == "/v1/policy" else Reply(404)

    with HostileServer(serve) as server:
        client, store = client_for(tmp_path / "k", server.url, issuer)
        first = client._fetch_policy()
        assert (first.state, first.version) == ("updated", 2), first
        served[0] = crafted(issuer, text + "\n# lax\n", version, **scope)
        second = client._fetch_policy()
        kept = client._policy_version
        client.close()
        store.close()
    print(f"\n{what}: {second}")
    assert second.state == "refused" and message in second.message
    assert kept == 2


@pytest.mark.parametrize(
    ("what", "scope", "used"),
    [
        ("held for this site", {}, 37.0),
        ("another site's", {"sites": ["Building B"]}, 37.3),
        ("expired while the kiosk was off", {"expires_at": int(time.time()) - 86400}, 37.3),
    ],
)
def test_the_policy_kept_on_disk_is_checked_again_at_start(
    tmp_path: Path,
    issuer: Issuer,
    caplog: pytest.LogCaptureFixture,
    what: str,
    scope: dict[str, object],
    used: float,
) -> None:
    """A kept copy must hold for this site and now, as when it was fetched; else the
    config's own policy file judges (threshold 37.3) and the start says why."""
    from kiosk.adapters.list_files import fetched_policy_path
    from kiosk.judgement_setup import Overrides, load_judgement
    from tests.integration.server_harness import write_config

    config_path = write_config(
        tmp_path / "k", url="http://127.0.0.1:9", issuer_dir=issuer.directory
    )
    config = load_config(config_path)
    text = POLICY.read_text("utf-8").replace("threshold_c = 37.3", "threshold_c = 37.0")
    kept = fetched_policy_path(config)
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_bytes(crafted(issuer, text, 4, **scope))
    with caplog.at_level("WARNING"):
        judgement = load_judgement(config_path, Overrides(), now=int(time.time()))
    print(f"\n{what}: threshold {judgement.policy.temperature.threshold_c}; {caplog.text}")
    assert judgement.policy.temperature.threshold_c == used
    if used == 37.3:
        assert "judging by the config's policy file" in caplog.text
    assert kept.exists()
