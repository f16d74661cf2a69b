"""The server's signed time is the clock's authority; an unsigned Date header only notes.

On the landed kiosk any HTTP peer forced every decision to REVIEW with a
``Date`` three hours off; a clock set right after a forward jump kept 20/20
scans on REVIEW CLOCK_BACKWARDS even after the server confirmed it; a kiosk
started 29 days ahead purged acknowledged entries.
"""

from __future__ import annotations

import email.utils
import time
from pathlib import Path

import pytest

from kiosk.adapters.store import EntryStore
from kiosk.adapters.sync import SyncClient, SyncLoop
from kiosk.core.clock import clock_reasons, purge_allowed
from kiosk.core.errors import ReasonCode, Severity
from kiosk.core.trust import load_root_key
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.hostile_server import HostileServer, Reply
from tests.integration.server_harness import decision, kiosk, make_issuer, register, settings

WARN_S = 120.0


@pytest.fixture()
def issuer(tmp_path: Path) -> Issuer:
    return make_issuer(tmp_path / "issuer")


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def rig(tmp: Path, url: str, issuer: Issuer, clock: Clock) -> tuple[SyncClient, EntryStore]:
    config, key = kiosk(tmp / "k", url=url, issuer_dir=issuer.directory)
    config.data_dir.mkdir(parents=True, exist_ok=True)
    store = EntryStore(config.data_dir / "entries.sqlite", kiosk_id=config.kiosk_id)
    client = SyncClient(
        config, store, key, root_key=load_root_key(issuer.root_public_pem), clock=clock,
        sleep=lambda s: None,
    )  # fmt: skip
    return client, store


def review_codes(client: SyncClient, store: EntryStore, clock: Clock) -> list[ReasonCode]:
    reasons = clock_reasons(
        int(clock() * 1000),
        store.newest_at_ms(),
        client.skew_s,
        WARN_S,
        confirmed_skew_s=client.confirmed_skew_s(),
    )
    return [r.code for r in reasons if r.severity is not Severity.NOTE]


def test_an_unsigned_date_three_hours_off_only_notes(tmp_path: Path, issuer: Issuer) -> None:
    def liar(_m: str, _p: str, _h: dict[str, str], _b: bytes) -> Reply:
        date = email.utils.formatdate(time.time() - 3 * 3600, usegmt=True)
        return Reply(503, {"Date": date}, b"{}")

    with HostileServer(liar) as server:
        clock = Clock()
        client, store = rig(tmp_path, server.url, issuer, clock)
        loop = SyncLoop(client, clock=clock)
        loop._round()
        status = loop.status()
        flagged = sum(1 for _ in range(20) if review_codes(client, store, clock))
        client.close()
        store.close()
    print(f"\nunsigned Date 3 h off: skew {status.clock_skew_s:+.0f} s, {flagged}/20 scans REVIEW")
    assert status.clock_skew_s == pytest.approx(3 * 3600, abs=5)
    assert "unsigned" in status.clock_warning
    assert flagged == 0


def test_a_confirmed_clock_clears_backwards_and_allows_purge(
    tmp_path: Path, issuer: Issuer
) -> None:
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        clock = Clock()
        client, store = rig(tmp_path, server.url, issuer, clock)
        register(server.url, client.config.kiosk_id, client.identity)
        clock.offset = 3600.0  # the clock jumped an hour ahead and logged there
        for i in range(5):
            store.record_decision(decision(i), at_ms=int(clock() * 1000))
        clock.offset = 0.0  # set right again
        before = sum(
            1 for _ in range(20) if ReasonCode.CLOCK_BACKWARDS in review_codes(client, store, clock)
        )
        assert not purge_allowed(client.confirmed_skew_s(), WARN_S)
        report = client.round(int(clock()), lists=False)
        assert report.push.pushed == 5 and report.clock.confirmed
        after = sum(1 for _ in range(20) if review_codes(client, store, clock))
        allowed = purge_allowed(client.confirmed_skew_s(), WARN_S)
        # nothing to send now: the signed time answer keeps it confirmed
        client.server_time = None
        again = client.round(int(clock()), lists=False)
        client.close()
        store.close()
    print(f"\nclock set right after a jump: {before}/20 REVIEW before, {after}/20 after confirming")
    assert (before, after) == (20, 0)
    assert allowed
    assert again.online and again.clock.confirmed


def test_a_kiosk_29_days_ahead_never_gets_to_purge(tmp_path: Path, issuer: Issuer) -> None:
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        clock = Clock()
        clock.offset = 29 * 86400.0
        client, store = rig(tmp_path, server.url, issuer, clock)
        register(server.url, client.config.kiosk_id, client.identity)
        store.record_decision(decision(1), at_ms=int(clock() * 1000))
        assert not purge_allowed(client.confirmed_skew_s(), WARN_S)  # not confirmed yet
        client.round(int(clock()), lists=False)
        skew = client.confirmed_skew_s()
        codes = review_codes(client, store, clock)
        client.close()
        store.close()
    assert skew == pytest.approx(29 * 86400, abs=5)
    assert not purge_allowed(skew, WARN_S)  # confirmed, but 29 days off
    assert ReasonCode.CLOCK_SKEW in codes
