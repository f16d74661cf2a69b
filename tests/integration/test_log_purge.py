"""``kiosk log purge`` deletes by a clock the server confirmed, never by an unchecked one.

A kiosk whose clock runs days ahead would otherwise delete acknowledged
entries that are not old yet.  The purge asks the server for a signed time
first; without one (server down, or the clocks too far apart) it purges
nothing and says why, unless the operator checked the clock and says so.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pytest

from kiosk.adapters.store import EntryStore
from kiosk.commands.log import run_purge
from server_stub.issuer import Issuer
from server_stub.server import ServerThread
from tests.integration.server_harness import (
    client_for,
    decision,
    make_issuer,
    register,
    settings,
)

DAY_S = 86_400.0


def _purge(config: Path, *, days: int, trust_local: bool = False) -> int:
    return run_purge(argparse.Namespace(config=config, days=days, trust_local_clock=trust_local))


def _log_and_sync(tmp: Path, url: str, issuer: Issuer, ages_days: list[float]) -> None:
    client, store = client_for(tmp, url, issuer)
    register(url, "gate-01", client.identity)
    now_ms = int(time.time() * 1000)
    for i, age in enumerate(ages_days):
        store.record_decision(decision(i), at_ms=now_ms - int(age * DAY_S * 1000))
    report = client.push_all(max_attempts=3)
    assert store.backlog() == 0, report
    client.close()
    store.close()


def _held(tmp: Path) -> int:
    store = EntryStore(tmp / "kiosk" / "data" / "entries.sqlite", kiosk_id="gate-01")
    try:
        return sum(1 for _ in store.iter_entries())
    finally:
        store.close()


def test_purge_by_the_confirmed_clock_then_refused_without_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    config = tmp_path / "kiosk" / "kiosk.toml"
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        _log_and_sync(tmp_path, server.url, issuer, [40, 35, 2, 1, 0])
        assert _purge(config, days=30) == 0
        assert "purged 2 entries" in capsys.readouterr().out
        assert _held(tmp_path) == 3
    # the server is gone: nothing can confirm the clock
    assert _purge(config, days=0) == 2
    err = capsys.readouterr().err
    assert "nothing purged: the server has not confirmed this kiosk's clock" in err
    assert "--trust-local-clock" in err
    assert _held(tmp_path) == 3
    # the operator checked the clock by hand
    assert _purge(config, days=0, trust_local=True) == 0
    assert "purged 3 entries" in capsys.readouterr().out
    assert _held(tmp_path) == 0


def test_a_clock_days_ahead_of_the_server_purges_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    config = tmp_path / "kiosk" / "kiosk.toml"
    offset_s = [0.0]
    server_clock = settings(tmp_path, issuer.directory, clock=lambda: time.time() + offset_s[0])
    with ServerThread(server_clock) as server:
        _log_and_sync(tmp_path, server.url, issuer, [3, 2, 1])
        offset_s[0] = -5 * DAY_S  # the kiosk's clock is now five days ahead of the server's
        assert _purge(config, days=0) == 2
    err = capsys.readouterr().err
    assert "nothing purged" in err
    assert "off the server's" in err
    assert _held(tmp_path) == 3
