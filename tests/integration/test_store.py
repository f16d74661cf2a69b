"""The entry store on real SQLite files: chain, durability under kill -9, tampering, purge."""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.adapters.store import SCHEMA_VERSION, EntryStore, StoreError
from kiosk.core.entry import GENESIS_HASH, EntryKind
from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import (
    CertificateKind,
    CertificateState,
    CertificateStatus,
    Colour,
    Decision,
    Verdict,
)

REPO = Path(__file__).resolve().parents[2]
T0 = 1_763_880_000_000
HOLDER = "5a" * 32


def decision(
    verdict: Verdict = Verdict.ALLOW, name: str = "Wang *ming", holder_key: str = HOLDER
) -> Decision:
    reasons: tuple[Reason, ...] = ()
    if verdict is Verdict.DENY:
        reasons = (Reason(ReasonCode.EXPIRED, Severity.DENY, "expired 3 days ago"),)
    elif verdict is Verdict.REVIEW:
        reasons = (Reason(ReasonCode.COLOUR_REVIEW, Severity.REVIEW, "yellow code"),)
    return Decision(
        verdict=verdict,
        reasons=reasons,
        decided_at=T0 // 1000,
        name=name,
        colour=Colour.GREEN,
        issuer="CN-330100",
        holder_key=holder_key,
        certificates=(
            CertificateState(CertificateKind.VACCINATION, CertificateStatus.OK, "3 doses"),
            CertificateState(CertificateKind.NUCLEIC_ACID, CertificateStatus.MISSING, "none"),
        ),
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "entries.sqlite"


@pytest.fixture
def store(db: Path) -> Iterator[EntryStore]:
    s = EntryStore(db, kiosk_id="k1")
    yield s
    s.close()


def fill(store: EntryStore, n: int, start: int = 0) -> list[str]:
    return [store.record_decision(decision(), at_ms=T0 + start + i).id for i in range(n)]


def raw(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(db, isolation_level=None)


# --- recording and reading ---------------------------------------------------------------


def test_file_uses_wal_full_sync_and_a_schema_version(store: EntryStore, db: Path) -> None:
    with raw(db) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        meta = dict(c.execute("SELECT key, value FROM meta").fetchall())
    assert meta["schema_version"] == str(SCHEMA_VERSION)
    assert meta["kiosk_id"] == "k1"
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_decision_is_recorded_with_every_field(store: EntryStore) -> None:
    e = store.record_decision(decision(Verdict.DENY), at_ms=T0)
    assert e.seq == 1
    assert e.prev_hash == GENESIS_HASH
    assert e.kind is EntryKind.SCAN
    assert (e.verdict, e.reasons, e.colour) == ("DENY", ("EXPIRED",), "G")
    assert e.certificates == (("vaccination", "ok", "3 doses"), ("nucleic_acid", "missing", "none"))
    assert (e.kiosk_id, e.holder_key, e.at_ms) == ("k1", HOLDER, T0)
    assert store.recent(1) == [e]
    assert store.pending(10) == [e]


def test_override_and_observation_link_to_the_scan(store: EntryStore) -> None:
    scan = store.record_decision(decision(Verdict.REVIEW), at_ms=T0)
    ov = store.record_override(scan.id, Verdict.ALLOW, "known staff member", at_ms=T0 + 5)
    ob = store.record_observation(scan.id, temperature_c=36.8, mask=False, at_ms=T0 + 9)
    free = store.record_observation(None, temperature_c=None, mask=True, at_ms=T0 + 10)
    assert (ov.kind, ov.refers_to, ov.verdict, ov.reasons) == (
        EntryKind.OVERRIDE,
        scan.id,
        "ALLOW",
        ("GUARD_APPROVED",),
    )
    assert ov.note == "known staff member"
    assert (ov.name, ov.holder_key) == (scan.name, scan.holder_key)
    assert (ob.kind, ob.temperature_c, ob.mask, ob.verdict) == (
        EntryKind.OBSERVATION,
        36.8,
        False,
        "",
    )
    assert free.refers_to is None
    assert store.record_override(scan.id, Verdict.DENY, "", at_ms=T0 + 11).reasons == (
        "GUARD_DENIED",
    )
    assert [e.seq for e in store.recent(10)] == [5, 4, 3, 2, 1]
    assert store.verify_chain().ok


def test_text_is_stored_exactly_as_given(store: EntryStore, db: Path) -> None:
    names = [
        "[bold]X[/]",
        "[/",
        "[@click=app.quit]x[/]",
        "a\\nb \\x1b[31m",
        "😷 张*明",
        "\u202eabc",
    ]
    for i, name in enumerate(names):
        store.record_decision(decision(name=name), at_ms=T0 + i)
    assert [e.name for e in reversed(store.recent(10))] == names
    with raw(db) as c:
        assert [r[0] for r in c.execute("SELECT name FROM entries ORDER BY seq")] == names


def test_raw_qr_text_cannot_reach_the_log(store: EntryStore, db: Path) -> None:
    with pytest.raises(ValueError, match="holder_key"):
        store.record_decision(decision(holder_key="HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65"), at_ms=T0)
    assert store.backlog() == 0
    assert b"HC1:" not in db.read_bytes()


def test_bad_time_is_refused_and_nothing_is_written(store: EntryStore) -> None:
    with pytest.raises(ValueError, match="entry id"):
        store.record_decision(decision(), at_ms=-1)
    assert store.recent(5) == []
    assert store.record_decision(decision(), at_ms=T0).seq == 1


def test_chain_continues_across_reopen(db: Path) -> None:
    with EntryStore(db, kiosk_id="k1") as s:
        fill(s, 3)
        last = s.recent(1)[0]
    with EntryStore(db, kiosk_id="k1") as s:
        e = s.record_decision(decision(), at_ms=T0 + 100)
        assert (e.seq, e.prev_hash) == (4, last.hash)
        report = s.verify_chain()
    assert (report.ok, report.checked, report.message) == (True, 4, "chain intact: 4 entries")


def test_pending_mark_sent_and_backlog(store: EntryStore) -> None:
    ids = fill(store, 5)
    assert [e.id for e in store.pending(3)] == ids[:3]
    store.mark_sent(ids[:3], batch_id="b1", acked_at_ms=T0 + 50)
    assert store.backlog() == 2
    assert [e.id for e in store.pending(10)] == ids[3:]
    store.mark_sent([ids[0], "00000000-0000-7000-8000-000000000000"], batch_id="b2", acked_at_ms=1)
    with raw(store.path) as c:
        assert c.execute(
            "SELECT batch_id FROM outbox WHERE entry_id = ?", (ids[0],)
        ).fetchone() == ("b1",)


def test_search_counts_and_newest(store: EntryStore) -> None:
    store.record_decision(decision(Verdict.ALLOW, name="Li *si"), at_ms=T0)
    store.record_decision(decision(Verdict.DENY, name="100%_off"), at_ms=T0 + 10)
    store.record_decision(decision(Verdict.REVIEW, name="Zhao *liu"), at_ms=T0 + 20)
    store.record_override(store.recent(1)[0].id, Verdict.ALLOW, "ok", at_ms=T0 + 30)
    assert [e.name for e in store.search("li", 10)] == ["Zhao *liu", "Zhao *liu", "Li *si"]
    assert [e.name for e in store.search("%_", 10)] == ["100%_off"]
    assert [e.verdict for e in store.search("EXPIRED", 10)] == ["DENY"]
    assert store.search("nobody", 10) == []
    assert store.counts_since(T0) == {"entries": 3, "ALLOW": 1, "DENY": 1, "REVIEW": 1}
    assert store.counts_since(T0 + 5) == {"entries": 2, "ALLOW": 0, "DENY": 1, "REVIEW": 1}
    assert store.newest_at_ms() == T0 + 30


def test_empty_store(store: EntryStore) -> None:
    assert store.newest_at_ms() is None
    assert store.pending(5) == [] and store.backlog() == 0
    assert store.verify_chain().message == "chain intact: 0 entries"
    assert store.purge_synced(T0) == 0


@settings(max_examples=40, deadline=None)
@given(
    name=st.text(max_size=30) | st.sampled_from(["[bold]X[/]", "\x00", "'; --", "😷"]),
    note=st.text(max_size=30),
)
def test_any_text_round_trips_through_the_file(name: str, note: str) -> None:
    with tempfile.TemporaryDirectory() as d, EntryStore(Path(d) / "e.sqlite", kiosk_id="k1") as s:
        scan = s.record_decision(decision(name=name), at_ms=T0)
        ov = s.record_override(scan.id, Verdict.DENY, note, at_ms=T0 + 1)
        assert s.recent(2) == [ov, scan]
        assert (scan.name, ov.note) == (name, note)
        assert s.verify_chain().ok


# --- opening errors ------------------------------------------------------------------------


def test_another_kiosks_log_is_refused(db: Path) -> None:
    EntryStore(db, kiosk_id="k1").close()
    with pytest.raises(StoreError, match="belongs to kiosk 'k1'"):
        EntryStore(db, kiosk_id="k2")


def test_not_a_database_is_refused_in_one_line(db: Path) -> None:
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable entry log") as info:
        EntryStore(db, kiosk_id="k1")
    assert "\n" not in str(info.value)


def test_newer_schema_is_refused(db: Path) -> None:
    EntryStore(db, kiosk_id="k1").close()
    with raw(db) as c:
        c.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema 99 is newer"):
        EntryStore(db, kiosk_id="k1")


def test_missing_folder_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open"):
        EntryStore(tmp_path / "no" / "such" / "e.sqlite", kiosk_id="k1")


# --- tampering ------------------------------------------------------------------------------


def test_edited_row_is_found(store: EntryStore, db: Path) -> None:
    fill(store, 6)
    with raw(db) as c:
        c.execute("UPDATE entries SET verdict = 'ALLOW', reasons = '[]' WHERE seq = 4")
        c.execute("UPDATE entries SET name = 'Someone else' WHERE seq = 4")
    report = store.verify_chain()
    assert (report.ok, report.first_bad_seq, report.checked) == (False, 4, 3)
    assert "seq 4" in report.message and "edited" in report.message


def test_edited_row_with_recomputed_hash_breaks_the_next_link(store: EntryStore, db: Path) -> None:
    fill(store, 5)
    forged = dataclasses.replace(store.recent(5)[-3], name="forged")  # seq 3
    with raw(db) as c:
        c.execute(
            "UPDATE entries SET name = ?, hash = ? WHERE seq = 3",
            ("forged", forged.computed_hash()),
        )
    report = store.verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert "prev_hash" in report.message


def test_deleted_middle_row_is_found(store: EntryStore, db: Path) -> None:
    fill(store, 6)
    with raw(db) as c:
        c.execute("PRAGMA foreign_keys = OFF")
        c.execute("DELETE FROM entries WHERE seq = 3")
    report = store.verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, 3)
    assert "missing" in report.message


def test_reordered_rows_are_found(store: EntryStore, db: Path) -> None:
    fill(store, 6)
    with raw(db) as c:
        c.execute("PRAGMA foreign_keys = OFF")
        c.execute("UPDATE entries SET seq = -1 WHERE seq = 2")
        c.execute("UPDATE entries SET seq = 2 WHERE seq = 5")
        c.execute("UPDATE entries SET seq = 5 WHERE seq = -1")
    report = store.verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, 2)


def test_deleted_tail_is_found_and_the_gap_kept(store: EntryStore, db: Path) -> None:
    fill(store, 5)
    with raw(db) as c:
        c.execute("PRAGMA foreign_keys = OFF")
        c.execute("DELETE FROM entries WHERE seq = 5")
    report = store.verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, 5)
    # A new entry keeps the number after the removed one, so the gap stays visible.
    assert store.record_decision(decision(), at_ms=T0 + 99).seq == 6
    assert store.verify_chain().first_bad_seq == 5


def test_damaged_json_cell_is_reported_not_raised(store: EntryStore, db: Path) -> None:
    fill(store, 3)
    with raw(db) as c:
        c.execute("UPDATE entries SET reasons = 'not json' WHERE seq = 2")
    report = store.verify_chain()
    assert (report.ok, report.first_bad_seq) == (False, 2)
    with pytest.raises(StoreError, match="damaged entry"):
        store.recent(5)


# --- purge ---------------------------------------------------------------------------------


def test_purge_keeps_unsent_and_recent_entries(store: EntryStore) -> None:
    ids = fill(store, 10)  # at_ms T0 .. T0+9
    store.mark_sent(ids[:3] + ids[5:8], batch_id="b", acked_at_ms=T0 + 100)
    assert store.purge_synced(T0 + 1000) == 3  # stops at the first unsent entry (seq 4)
    assert [e.seq for e in reversed(store.recent(20))] == list(range(4, 11))
    assert store.backlog() == 4
    assert store.verify_chain().message == "chain intact: 7 entries"
    store.mark_sent(ids[3:5], batch_id="c", acked_at_ms=T0 + 200)
    assert store.purge_synced(T0 + 6) == 3  # seq 4..6 are sent and older; seq 7 is too new
    assert [e.seq for e in store.pending(20)] == [9, 10]
    assert store.verify_chain().ok


def test_chain_continues_after_purging_everything(db: Path) -> None:
    with EntryStore(db, kiosk_id="k1") as s:
        ids = fill(s, 4)
        s.mark_sent(ids, batch_id="b", acked_at_ms=T0)
        last = s.recent(1)[0]
        assert s.purge_synced(T0 + 10_000) == 4
        assert s.recent(5) == []
        assert s.newest_at_ms() == T0 + 3  # the high-water mark survives the purge
    with EntryStore(db, kiosk_id="k1") as s:
        e = s.record_decision(decision(), at_ms=T0 + 20_000)
        assert (e.seq, e.prev_hash) == (5, last.hash)
        assert s.verify_chain().message == "chain intact: 1 entries"


def test_purge_refuses_to_erase_a_broken_chain(store: EntryStore, db: Path) -> None:
    ids = fill(store, 4)
    store.mark_sent(ids, batch_id="b", acked_at_ms=T0)
    with raw(db) as c:
        c.execute("UPDATE entries SET name = 'x' WHERE seq = 2")
    with pytest.raises(StoreError, match="not purging, chain broken at seq 2"):
        store.purge_synced(T0 + 10_000)
    assert len(store.recent(10)) == 4


def test_verify_after_purge_still_finds_tampering(store: EntryStore, db: Path) -> None:
    ids = fill(store, 6)
    store.mark_sent(ids[:3], batch_id="b", acked_at_ms=T0)
    store.purge_synced(T0 + 10_000)
    with raw(db) as c:
        c.execute("UPDATE meta SET value = ? WHERE key = 'chain_anchor'", (f"3 {'1' * 64}",))
    assert store.verify_chain().first_bad_seq == 4


# --- threads ---------------------------------------------------------------------------------


def test_writer_and_sync_thread_share_a_store(store: EntryStore) -> None:
    n = 300
    errors: list[BaseException] = []
    done = threading.Event()
    sent: list[str] = []

    def writer() -> None:
        try:
            for i in range(n):
                store.record_decision(decision(), at_ms=T0 + i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def syncer() -> None:
        try:
            while True:
                finished = done.is_set()
                batch = store.pending(25)
                store.mark_sent([e.id for e in batch], batch_id=f"b{len(sent)}", acked_at_ms=T0)
                sent.extend(e.id for e in batch)
                store.backlog()
                store.counts_since(T0)
                assert store.verify_chain().ok
                if finished and not batch:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer), threading.Thread(target=syncer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len(sent) == len(set(sent)) == n
    assert store.backlog() == 0
    assert store.verify_chain().message == f"chain intact: {n} entries"


# --- durability ------------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from kiosk.adapters.store import EntryStore
    from kiosk.core.model import Decision, Verdict
    store = EntryStore(Path(sys.argv[1]), kiosk_id="k1")
    print("ready", flush=True)
    i = 0
    while True:
        d = Decision(Verdict.ALLOW, (), 0, name=f"n{i}", holder_key="ab")
        e = store.record_decision(d, at_ms=1_763_880_000_000 + i)
        sys.stdout.write(e.id + "\\n")
        sys.stdout.flush()
        i += 1
    """
)


KILL_ROUNDS = 12
"""Kills per run: a fixed count, so a loaded machine makes the test slower, never weaker."""


@pytest.mark.slow
def test_every_returned_entry_survives_kill_9(db: Path) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    acknowledged: list[str] = []
    rounds = 0
    while rounds < KILL_ROUNDS:
        rounds += 1
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n", child.stderr.read() if child.stderr else ""
        time.sleep(rng.uniform(0.0, 0.12))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=10)
        assert child.returncode == -signal.SIGKILL
        acknowledged += [line for line in out.split("\n") if len(line) == 36]

        with EntryStore(db, kiosk_id="k1") as s:
            held = {e.id for e in s.iter_entries()}
            report = s.verify_chain()
        missing = [i for i in acknowledged if i not in held]
        assert not missing, f"seed {seed}, round {rounds}: {len(missing)} returned entries lost"
        assert report.ok, f"seed {seed}, round {rounds}: {report.message}"
        assert len(held) >= len(acknowledged)
    print(f"seed {seed}: {rounds} kills, {len(acknowledged)} returned entries all held")
    assert len(acknowledged) > 0


# --- the facts inside reasons (kept for the log view, not in the entry) ------------------


def facts_decision() -> Decision:
    return dataclasses.replace(
        decision(Verdict.DENY),
        reasons=(
            Reason(ReasonCode.EXPIRED, Severity.DENY, "expired 2 hours ago", (("age_s", "7309"),)),
            Reason(ReasonCode.COLOUR_REVIEW, Severity.REVIEW, "yellow code"),
            Reason(
                ReasonCode.TRAVEL_RISK_AREA,
                Severity.DENY,
                "visited a high-risk area",
                (("area", "CN-110105"), ("level", "high"), ("days", "5")),
            ),
        ),
    )


def test_reason_facts_are_kept_beside_the_entry_not_in_it(store: EntryStore, db: Path) -> None:
    plain = store.record_decision(decision(Verdict.DENY), at_ms=T0)  # a reason without facts
    e = store.record_decision(facts_decision(), at_ms=T0 + 1)
    assert e.reasons == ("EXPIRED", "COLOUR_REVIEW", "TRAVEL_RISK_AREA")
    # The entry, its hash and what sync sends are as before: the facts are not in them.
    assert "7309" not in str(e.to_wire()) and e.hash_ok
    assert store.reason_facts([plain.seq, e.seq]) == {
        e.seq: (
            ("EXPIRED", (("age_s", "7309"),)),
            ("COLOUR_REVIEW", ()),
            ("TRAVEL_RISK_AREA", (("area", "CN-110105"), ("level", "high"), ("days", "5"))),
        )
    }
    # A row that does not read as facts is left out, never raised to the log view.
    with raw(db) as c:
        c.execute("UPDATE reason_facts SET facts = '{\"not\": 1}' WHERE seq = ?", (e.seq,))
    assert store.reason_facts([e.seq]) == {}
    assert store.verify_chain().ok


def test_reason_facts_are_purged_with_their_entries(store: EntryStore, db: Path) -> None:
    ids = [store.record_decision(facts_decision(), at_ms=T0 + i).id for i in range(4)]
    store.mark_sent(ids[:2], batch_id="b", acked_at_ms=T0 + 100)
    assert store.purge_synced(T0 + 1000) == 2
    with raw(db) as c:
        assert [r[0] for r in c.execute("SELECT seq FROM reason_facts ORDER BY seq")] == [3, 4]
    assert set(store.reason_facts([1, 2, 3, 4])) == {3, 4}


def test_a_log_from_before_reason_facts_gains_the_table_and_reads_without_them(
    db: Path,
) -> None:
    with EntryStore(db, kiosk_id="k1") as s:
        old = s.record_decision(facts_decision(), at_ms=T0)
    with raw(db) as c:
        c.execute("DROP TABLE reason_facts")  # as the kiosk before it wrote the log
    with EntryStore(db, kiosk_id="k1") as s:
        assert s.reason_facts([old.seq]) == {}
        new = s.record_decision(facts_decision(), at_ms=T0 + 1)
        assert set(s.reason_facts([old.seq, new.seq])) == {new.seq}
        assert s.verify_chain().ok
