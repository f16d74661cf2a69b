"""The head record beside the entry log: two slots, CRC, a lagging record accepted."""

from __future__ import annotations

from pathlib import Path

from kiosk.adapters.log_head import SLOT_SIZE, HeadFile, HeadRecord, head_path, read_head
from kiosk.adapters.store import EntryStore
from tests.integration.server_harness import decision


def test_a_torn_slot_leaves_the_other_one(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    head = HeadFile(db, HeadRecord())
    head.advance(1, "a" * 64)
    head.advance(2, "b" * 64)
    head.close()
    assert read_head(db) == HeadRecord(2, "b" * 64, 0, HeadRecord().acked_hash, 4)
    data = bytearray(head_path(db).read_bytes())
    newest = (4 % 2) * SLOT_SIZE
    data[newest + 10] ^= 0xFF  # torn write of the newest slot
    head_path(db).write_bytes(bytes(data))
    got = read_head(db)
    assert got is not None and got.seq == 1


def test_a_log_ahead_of_its_record_is_accepted_and_the_record_catches_up(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    with EntryStore(db, kiosk_id="k") as store:
        for i in range(3):
            store.record_decision(decision(i), at_ms=1_795_420_800_000 + i)
    HeadFile(db, HeadRecord()).close()  # as if a crash left the record behind
    head_path(db).unlink()
    HeadFile(db, HeadRecord(1, "x" * 64)).close()
    with EntryStore(db, kiosk_id="k") as store:
        assert store.verify_chain().ok
    got = read_head(db)
    assert got is not None and got.seq == 3


def test_an_acknowledgement_beyond_the_record_moves_the_head_with_it(tmp_path: Path) -> None:
    db = tmp_path / "e.sqlite"
    head = HeadFile(db, HeadRecord(5, "e" * 64))
    head.acknowledge(7, "g" * 64)
    head.close()
    got = read_head(db)
    assert got is not None and (got.seq, got.hash, got.acked_seq) == (7, "g" * 64, 7)
