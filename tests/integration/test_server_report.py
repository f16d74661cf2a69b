"""The report on the central server: the week's kiosks, per kiosk, per site and all sites.

The generated week (``tests.week_log``) is stored on the server as the kiosks
would have sent it: each entry in the batch of its acknowledgement, stored at
that time, so the server's sync figures see the offline afternoon too.  The
numbers are compared with a count made from the generator's script.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.adapters.identity import public_pem
from kiosk.adapters.store import EntryStore
from kiosk.core.entry import canonical_json
from server_stub.server import ServerThread
from server_stub.store_port import open_store
from tests.integration.server_harness import ADMIN, make_issuer, settings
from tests.integration.test_report import assert_self_contained
from tests.week_log import (
    KIOSKS,
    UTC_OFFSET_MIN,
    ack_ms,
    log_path,
    offline_window,
    plan_week,
    write_logs,
)

SITES = {"gate-n": "North", "gate-s": "South", "gate-e": "North"}


def _store_week(logs: Path, db: Path | str) -> None:
    store = open_store(db)
    try:
        for kiosk in KIOSKS:
            with EntryStore(log_path(logs, kiosk), kiosk_id=kiosk) as log:
                entries = list(log.iter_entries())
            batches: dict[int, list] = {}
            for e in entries:
                batches.setdefault(ack_ms(kiosk, e.at_ms), []).append(e)
            for at, batch in sorted(batches.items()):
                bodies = [
                    canonical_json(
                        {k: v for k, v in e.to_wire().items() if k not in ("prev_hash", "hash")}
                    )
                    for e in batch
                ]
                store.store_batch(
                    kiosk_id=kiosk, batch_id=f"{kiosk}-{at}", body_sha256="0" * 64,
                    entries=batch, bodies=bodies, now_ms=at,
                )  # fmt: skip
    finally:
        store.close()


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The week's kiosk logs, written once for both store backends (only read after)."""
    folder = tmp_path_factory.mktemp("server-week")
    plan = plan_week()
    write_logs(folder, plan)
    return folder, plan


def test_the_server_reports_the_day_per_kiosk_per_site_and_for_all(
    tmp_path: Path, server_db: Path | str, week: tuple[Path, list]
) -> None:
    """On each store backend (``server_db``: a SQLite file, a PostgreSQL database)."""
    logs, plan = week
    issuer = make_issuer(tmp_path / "issuer")
    conf = settings(tmp_path, issuer.directory, db=server_db)
    kiosk_off, off_start, _ = offline_window()
    day = dt.datetime.fromtimestamp(
        off_start / 1000, dt.timezone(dt.timedelta(minutes=UTC_OFFSET_MIN))
    ).date()
    with ServerThread(conf) as server:
        for kiosk in KIOSKS:
            body = {
                "kiosk_id": kiosk,
                "public_key_pem": public_pem(Ed25519PrivateKey.generate()).decode(),
                "site": SITES[kiosk],
            }
            r = requests.post(f"{server.url}/v1/kiosks", json=body, headers=ADMIN, timeout=10)
            assert r.status_code == 201, r.text
        _store_week(logs, server_db)
        query = f"day={day.isoformat()}&utc_offset_min={UTC_OFFSET_MIN}"
        assert requests.get(f"{server.url}/v1/report?{query}", timeout=10).status_code == 401
        r = requests.get(f"{server.url}/v1/report?{query}", headers=ADMIN, timeout=30)
        assert r.status_code == 200, r.text
        got = r.json()
        page = requests.get(f"{server.url}/v1/dashboard?{query}", headers=ADMIN, timeout=30)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert requests.get(f"{server.url}/v1/dashboard?{query}", timeout=10).status_code == 401

    visits = [v for v in plan if v.local.date() == day]
    outcomes = Counter(v.spec.outcome for v in visits)
    assert got["all"]["visits"] == len(visits)
    assert {k: n for k, n in got["all"]["outcomes"].items() if n} == dict(outcomes)
    assert got["all"]["temperature"] == sum(v.temperature for v in visits)
    for kiosk in KIOSKS:
        mine = [v for v in visits if v.kiosk == kiosk]
        assert got["kiosks"][kiosk]["visits"] == len(mine)
        assert got["kiosks"][kiosk]["mask"] == sum(v.mask for v in mine)
    for site in ("North", "South"):
        there = [v for v in visits if SITES[v.kiosk] == site]
        assert got["sites"][site]["visits"] == len(there)
        assert got["sites"][site]["overrule_total"] == sum(
            v.spec.override is not None for v in there
        )
    sync = got["all"]["sync"]
    assert sync[kiosk_off]["behind_ms"] > 3 * 3_600_000
    assert all(sync[k]["behind_ms"] == 0 for k in KIOSKS if k != kiosk_off)
    health = {h["kiosk_id"]: h for h in got["health"]}
    assert set(health) == set(KIOSKS)
    assert all(h["log_complete"] and h["entries"] > 0 for h in health.values())
    assert_self_contained(page.text)
    assert 'id="health"' in page.text and f"visits<b>{len(visits)}</b>" in page.text
    (tmp_path / "dashboard.html").write_text(page.text, encoding="utf-8")


@pytest.mark.parametrize("query", ["day=2026-13-01", "day=2026-11-25&utc_offset_min=9999"])
def test_a_bad_day_is_a_422(tmp_path: Path, query: str) -> None:
    issuer = make_issuer(tmp_path / "issuer")
    with ServerThread(settings(tmp_path, issuer.directory)) as server:
        r = requests.get(f"{server.url}/v1/report?{query}", headers=ADMIN, timeout=10)
        assert r.status_code == 422
