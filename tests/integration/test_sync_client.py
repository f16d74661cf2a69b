"""SyncClient against a real server on 127.0.0.1: batches, lists, policy, clock."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kiosk.adapters.config import KioskConfig
from kiosk.adapters.list_files import fetched_policy_path, load_fetched_policy
from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient
from kiosk.core.policy import Policy
from kiosk.core.trust import RevocationList, TrustList, load_root_key
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.server_harness import (
    decision,
    kiosk,
    make_issuer,
    register,
    set_faults,
    settings,
)


@pytest.fixture()
def issuer(tmp_path: Path) -> Issuer:
    return make_issuer(tmp_path / "issuer")


@pytest.fixture()
def server(tmp_path: Path, issuer: Issuer) -> Iterator[ServerThread]:
    with ServerThread(settings(tmp_path, issuer.directory)) as s:
        yield s


class Kiosk:
    """A kiosk's config, log and sync client, wired to the test server."""

    def __init__(self, tmp: Path, server: ServerThread, issuer: Issuer, **kw: object) -> None:
        self.config: KioskConfig
        self.config, self.key = kiosk(
            tmp / "kiosk", url=server.url, issuer_dir=issuer.directory, **kw
        )  # type: ignore[arg-type]
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = EntryStore(
            self.config.data_dir / "entries.sqlite", kiosk_id=self.config.kiosk_id
        )
        self.root = load_root_key(issuer.root_public_pem)
        self.sleeps: list[float] = []
        self.swaps: list[tuple[object, object, object]] = []
        self.offset = 0.0
        self.client = self.make_client()

    def make_client(self) -> SyncClient:
        return SyncClient(
            self.config,
            self.store,
            self.key,
            root_key=self.root,
            sleep=self.sleeps.append,
            clock=lambda: time.time() + self.offset,
            on_lists=lambda t, r, p: self.swaps.append((t, r, p)),
        )

    def record(self, n: int) -> list[str]:
        return [
            self.store.record_decision(decision(i), at_ms=int(time.time() * 1000)).id
            for i in range(n)
        ]


@pytest.fixture()
def k(tmp_path: Path, server: ServerThread, issuer: Issuer) -> Iterator[Kiosk]:
    made = Kiosk(tmp_path, server, issuer)
    register(server.url, made.config.kiosk_id, made.key)
    yield made
    made.client.close()
    made.store.close()


def test_round_pushes_everything_and_fetches_lists(k: Kiosk, server: ServerThread) -> None:
    ids = k.record(120)
    report = k.client.round(int(time.time()))
    assert report.online
    assert (report.push.pushed, report.push.batches, report.push.backlog) == (120, 3, 0)
    assert report.lists is not None
    assert [o.state for o in report.lists.outcomes] == ["updated"] * 3
    assert server.store.entry_ids(k.config.kiosk_id) == ids
    assert k.store.backlog() == 0
    assert k.config.trust_list.exists() and k.config.revocations.exists()
    assert load_fetched_policy(k.config, k.client.root_key, now=int(time.time())).value is not None
    ((trust, revocations, policy),) = k.swaps
    assert isinstance(trust, TrustList) and isinstance(revocations, RevocationList)
    assert isinstance(policy, Policy)
    again = k.client.round(int(time.time()), lists=True)
    assert again.lists is not None
    assert [o.state for o in again.lists.outcomes] == ["unchanged"] * 3
    assert len(k.swaps) == 1


@pytest.mark.parametrize(
    "spec",
    ["drop:1", "truncate:1", "500:1", "429:1@0.2", "delay:1@3"],
    ids=["drop", "truncate", "500", "429", "delay-beyond-timeout"],
)
def test_each_fault_then_recovery_stores_exactly_once(
    k: Kiosk, server: ServerThread, spec: str
) -> None:
    ids = k.record(30)
    set_faults(server.url, spec)
    failed = k.client.push_once()
    assert not failed.ok and not failed.reached
    assert failed.backlog == 30
    if spec.startswith("429"):
        assert failed.retry_after_s == pytest.approx(0.2)
    set_faults(server.url, "none")
    if spec.startswith("delay"):
        # the server finishes the delayed request and stores it; wait for that, not for a time
        for _ in range(600):
            if len(server.store.entry_ids(k.config.kiosk_id)) == len(ids):
                break
            time.sleep(0.05)
    ok = k.client.push_once()
    assert ok.ok, ok.error
    assert ok.pushed == 30 and ok.backlog == 0
    assert server.store.entry_ids(k.config.kiosk_id) == ids
    assert server.store.stats()[0].batches == 1  # the retry reused the batch id
    assert server.store.check_chain(k.config.kiosk_id).ok


def test_retry_after_is_honoured_within_a_round(k: Kiosk, server: ServerThread) -> None:
    k.record(5)
    set_faults(server.url, "429:1@0.3")
    report = k.client.push_all(max_attempts=3)
    assert not report.ok
    assert k.sleeps == [pytest.approx(0.3), pytest.approx(0.3)]


def test_backoff_grows_between_failures(k: Kiosk, server: ServerThread) -> None:
    k.record(5)
    set_faults(server.url, "500:1")
    k.client.push_all(max_attempts=4)
    assert len(k.sleeps) == 3
    caps = [0.02, 0.04, 0.08]
    assert all(0 <= s <= c for s, c in zip(k.sleeps, caps, strict=True))


def test_unregistered_kiosk_keeps_its_entries(
    tmp_path: Path, server: ServerThread, issuer: Issuer
) -> None:
    stranger = Kiosk(tmp_path, server, issuer)
    stranger.record(3)
    report = stranger.client.push_once()
    assert "register" in report.error
    assert stranger.store.backlog() == 3
    assert server.store.entry_count() == 0


def test_oversized_batches_are_split(tmp_path: Path, issuer: Issuer) -> None:
    with ServerThread(settings(tmp_path, issuer.directory, max_body_bytes=20_000)) as server:
        made = Kiosk(tmp_path, server, issuer, batch_size=200)
        register(server.url, made.config.kiosk_id, made.key)
        ids = made.record(200)
        report = made.client.push_all(max_attempts=20)
        assert report.ok, report.error
        assert server.store.entry_ids(made.config.kiosk_id) == ids


def test_kiosk_clock_far_behind_is_measured_and_batches_still_land(
    k: Kiosk, server: ServerThread
) -> None:
    ids = k.record(10)
    k.offset = -2 * 86400  # two days behind: the first batch looks like a replay
    report = k.client.round(int(time.time()), lists=False, max_attempts=3)
    assert report.push.ok, report.push.error
    assert server.store.entry_ids(k.config.kiosk_id) == ids
    assert report.clock.skew_s == pytest.approx(-2 * 86400, abs=3)
    assert "behind the server" in report.clock.warning
    assert report.clock.backwards  # earlier than the newest logged entry


def test_clock_skew_warning(k: Kiosk) -> None:
    k.offset = 300
    report = k.client.round(int(time.time()), lists=False)
    assert report.clock.skew_s == pytest.approx(300, abs=3)
    assert "ahead of the server" in report.clock.warning
    assert not report.clock.backwards
    k.offset = 0
    assert k.client.round(int(time.time()), lists=False).clock.warning == ""


def test_rollback_and_foreign_root_lists_are_refused_and_old_kept(
    tmp_path: Path, k: Kiosk, issuer: Issuer
) -> None:
    k.client.fetch_lists_once(int(time.time()))
    old_trust = k.config.trust_list.read_bytes()
    old_revocations = k.config.revocations.read_bytes()
    v1_revocations = issuer.revocation_list()
    # a newer list, fetched and accepted
    issuer.revoke(b"\x07" * 16, now=int(time.time()))
    report = k.client.fetch_lists_once(int(time.time()))
    assert report.revocations.state == "updated" and report.revocations.version == 2
    held = k.config.revocations.read_bytes()
    assert held != old_revocations
    # the server rolls back to version 1: refused, version 2 kept
    (issuer.directory / "revocations.cose").write_bytes(v1_revocations)
    report = k.client.fetch_lists_once(int(time.time()))
    assert report.revocations.state == "refused"
    assert "keeping the old one" in report.revocations.message
    assert k.config.revocations.read_bytes() == held
    assert k.client.revocations is not None and k.client.revocations.version == 2
    # a trust list signed by another root: refused, old kept
    other = make_issuer(tmp_path / "other")
    other.rotate("EdDSA", now=int(time.time()))
    (issuer.directory / "trust-list.cose").write_bytes(other.trust_list())
    report = k.client.fetch_lists_once(int(time.time()))
    assert report.trust.state == "refused"
    assert "signature" in report.trust.message or "signed" in report.trust.message
    assert k.config.trust_list.read_bytes() == old_trust


def test_new_client_holds_the_lists_on_disk(k: Kiosk, issuer: Issuer) -> None:
    k.client.fetch_lists_once(int(time.time()))
    fresh = k.make_client()
    assert fresh.trust is not None and fresh.trust.version == issuer.trust_list_version
    report = fresh.fetch_lists_once(int(time.time()))
    assert report.trust.state == "unchanged" and report.revocations.state == "unchanged"


def test_bad_policy_is_refused_and_old_kept(tmp_path: Path, issuer: Issuer) -> None:
    policy = tmp_path / "served-policy.toml"
    policy.write_text('[colours]\nallow = ["G", "Y"]\nreview = []\n', encoding="utf-8")
    with ServerThread(settings(tmp_path, issuer.directory, policy_path=policy)) as server:
        made = Kiosk(tmp_path, server, issuer)
        report = made.client.fetch_lists_once(int(time.time()))
        assert report.policy.state == "updated"
        good = fetched_policy_path(made.config).read_bytes()
        policy.write_text("[colours]\nallow = 7\n", encoding="utf-8")
        report = made.client.fetch_lists_once(int(time.time()))
        assert report.policy.state == "refused"
        assert "colours.allow" in report.policy.message or "allow" in report.policy.message
        assert fetched_policy_path(made.config).read_bytes() == good
        policy.write_text("not = [toml", encoding="utf-8")
        assert made.client.fetch_lists_once(int(time.time())).policy.state == "refused"
        assert made.client.policy is not None
        assert "Y" in made.client.policy.colours.allow  # the last good policy is still held


def test_server_down_is_reported_not_raised(tmp_path: Path, issuer: Issuer) -> None:
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        url = server.url
    config, key = kiosk(tmp_path / "down", url=url, issuer_dir=issuer.directory)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    store.record_decision(decision(1), at_ms=int(time.time() * 1000))
    client = SyncClient(
        config, store, key, root_key=load_root_key(issuer.root_public_pem), sleep=lambda s: None
    )
    report = client.round(int(time.time()))
    assert not report.online
    assert "connection refused" in report.push.error
    assert report.push.backlog == 1
    assert report.next_delay_s <= config.sync.backoff_max_s
    assert report.lists is not None and report.lists.trust.state == "failed"
    store.close()


def test_date_header_on_errors_too(server: ServerThread) -> None:
    r = requests.post(server.url + "/v1/batches", data=b"{}", timeout=5)
    assert r.status_code == 401 and "date" in r.headers


def test_a_typo_in_the_local_policy_is_an_error_even_with_the_servers_policy(
    k: Kiosk, server: ServerThread
) -> None:
    """The config's policy file is checked at every start, used or not."""
    from kiosk.adapters.config import ConfigError
    from kiosk.core.policy import PolicyError
    from kiosk.judgement_setup import Overrides, load_judgement

    assert k.client.round(int(time.time())).online
    assert load_fetched_policy(k.config, k.client.root_key, now=int(time.time())).value is not None
    local = k.config.path.parent / "local-policy.toml"  # never the repository's own file
    local.write_text(k.config.policy.read_text(encoding="utf-8"), encoding="utf-8")
    text = k.config.path.read_text(encoding="utf-8")
    k.config.path.write_text(text.replace(str(k.config.policy), str(local)), encoding="utf-8")
    load_judgement(k.config.path, Overrides(), now=int(time.time()))  # fine as it is
    local.write_text("[mask]\nrequried = true\n", encoding="utf-8")
    with pytest.raises((ConfigError, PolicyError), match=r"mask\.requried"):
        load_judgement(k.config.path, Overrides(), now=int(time.time()))
