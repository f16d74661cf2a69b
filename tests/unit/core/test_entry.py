"""The entry value type: UUIDv7 ids, the hash formula, and the strict wire reader."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

import pytest

from kiosk.core.entry import (
    GENESIS_HASH,
    WIRE_FIELDS,
    Entry,
    EntryKind,
    canonical_json,
    chain_hash,
    entry_from_wire,
    new_entry_id,
    recompute_hash,
    seal_entry,
    verify_wire_hash,
)

AT = 1_763_880_000_000
HOLDER = "9f" * 32


def make(**overrides: Any) -> Entry:
    fields: dict[str, Any] = {
        "id": new_entry_id(AT, bytes(10)),
        "seq": 1,
        "at_ms": AT,
        "kiosk_id": "k1",
        "kind": EntryKind.SCAN,
        "prev_hash": GENESIS_HASH,
        "verdict": "DENY",
        "reasons": ("EXPIRED", "NAT_TOO_OLD"),
        "colour": "Y",
        "certificates": (("vaccination", "ok", "3 doses"), ("nucleic_acid", "failed", "80 h")),
        "name": "Wang *ming",
        "holder_key": HOLDER,
        "temperature_c": 36.6,
        "mask": True,
        "note": "",
    }
    fields.update(overrides)
    return seal_entry(**fields)


# --- ids -----------------------------------------------------------------------------


def test_entry_id_is_uuid_v7_with_the_time_in_front() -> None:
    text = new_entry_id(AT, bytes(range(10)))
    u = uuid.UUID(text)
    assert u.version == 7
    assert u.variant == uuid.RFC_4122
    assert int(text.replace("-", "")[:12], 16) == AT
    assert text == text.lower()


def test_entry_ids_sort_by_time_and_differ_by_random_bytes() -> None:
    a = new_entry_id(AT, b"\xff" * 10)
    b = new_entry_id(AT + 1, b"\x00" * 10)
    assert a < b
    assert new_entry_id(AT, b"\x01" * 10) != new_entry_id(AT, b"\x02" * 10)
    assert new_entry_id(AT, b"\x07" * 10) == new_entry_id(AT, b"\x07" * 10)


@pytest.mark.parametrize("at_ms", [-1, 2**48, True])
def test_entry_id_refuses_times_it_cannot_hold(at_ms: int) -> None:
    with pytest.raises(ValueError, match="entry id"):
        new_entry_id(at_ms, bytes(10))


@pytest.mark.parametrize("n", [0, 9, 11])
def test_entry_id_needs_exactly_ten_random_bytes(n: int) -> None:
    with pytest.raises(ValueError, match="10 random bytes"):
        new_entry_id(AT, bytes(n))


# --- hash ------------------------------------------------------------------------------


def test_hash_is_sha256_of_prev_hash_and_canonical_body() -> None:
    e = make()
    wire = e.to_wire()
    body = {k: v for k, v in wire.items() if k not in ("prev_hash", "hash")}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert e.hash == hashlib.sha256((GENESIS_HASH + text).encode("utf-8")).hexdigest()
    assert canonical_json(body) == text
    assert '"temperature_c":36.6' in text
    assert "Wang *ming" in text


def test_hash_is_reproducible_from_the_wire_object_alone() -> None:
    e = make(name="张*明 [bold]X[/]")
    wire = json.loads(json.dumps(e.to_wire()))  # as the server receives it
    assert verify_wire_hash(wire)
    assert recompute_hash(wire) == e.hash
    assert chain_hash(e.prev_hash, wire) == e.hash
    assert chain_hash(e.prev_hash, e) == e.hash
    assert e.hash_ok


def test_temperature_sent_as_a_whole_number_hashes_like_the_float() -> None:
    e = make(temperature_c=37.0)
    wire = e.to_wire()
    wire["temperature_c"] = 37
    assert verify_wire_hash(wire)
    assert entry_from_wire(wire) == e


def test_changing_any_field_breaks_the_hash() -> None:
    wire = make().to_wire()
    wire["name"] = "Li *si"
    assert not verify_wire_hash(wire)


def test_hash_depends_on_prev_hash() -> None:
    assert make(prev_hash="a" * 64).hash != make().hash


def test_non_finite_temperature_is_refused() -> None:
    with pytest.raises(ValueError, match="temperature_c"):
        make(temperature_c=float("nan"))


def test_wire_has_every_field_and_is_plain_json() -> None:
    wire = make().to_wire()
    assert tuple(wire) == WIRE_FIELDS
    assert json.loads(json.dumps(wire)) == wire
    assert wire["kind"] == "scan"
    assert wire["certificates"][0] == ["vaccination", "ok", "3 doses"]


def test_entry_is_frozen() -> None:
    e = make()
    with pytest.raises(AttributeError):
        e.name = "x"  # type: ignore[misc]


def test_kinds_are_their_wire_strings() -> None:
    assert EntryKind.OVERRIDE == "override"
    assert str(EntryKind.OBSERVATION) == "observation"


# --- strict reading ------------------------------------------------------------------------


@pytest.mark.parametrize("key", WIRE_FIELDS)
def test_missing_key_is_named(key: str) -> None:
    wire = make().to_wire()
    del wire[key]
    with pytest.raises(ValueError, match=f"'{key}' is missing"):
        entry_from_wire(wire)
    assert not verify_wire_hash(wire)


def test_unknown_key_is_refused() -> None:
    wire = make().to_wire()
    wire["raw_qr"] = "HC1:..."
    with pytest.raises(ValueError, match="'raw_qr' is not an entry field"):
        entry_from_wire(wire)


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("id", "not-a-uuid"),
        ("id", 7),
        ("seq", "1"),
        ("seq", 0),
        ("seq", True),
        ("at_ms", -5),
        ("at_ms", 1.5),
        ("kiosk_id", None),
        ("kind", "visit"),
        ("verdict", "MAYBE"),
        ("verdict", None),
        ("reasons", "EXPIRED"),
        ("reasons", [1]),
        ("colour", "B"),
        ("certificates", [["vaccination", "ok"]]),
        ("certificates", [["vaccination", "ok", 3]]),
        ("certificates", {}),
        ("name", b"bytes"),
        ("holder_key", "HC1:6BFOXN*TS0BI$ZD4N9"),
        ("holder_key", "a" * 129),
        ("refers_to", "abc"),
        ("temperature_c", "36.6"),
        ("temperature_c", True),
        ("temperature_c", float("inf")),
        ("mask", 1),
        ("mask", "yes"),
        ("note", 0),
        ("prev_hash", "A" * 64),
        ("prev_hash", "0" * 63),
        ("hash", None),
    ],
)
def test_wrong_value_is_refused_naming_the_field(key: str, bad: object) -> None:
    wire = make().to_wire()
    wire[key] = bad
    with pytest.raises(ValueError, match=f"'{key}'"):
        entry_from_wire(wire)
    assert not verify_wire_hash(wire)


def test_not_a_mapping_is_refused() -> None:
    with pytest.raises(ValueError, match="JSON object"):
        entry_from_wire([1, 2])  # type: ignore[arg-type]


def test_lone_surrogate_is_refused() -> None:
    with pytest.raises(ValueError, match=r"'name'.*surrogate"):
        make(name="bad \ud800")


def test_seal_checks_fields_like_the_reader() -> None:
    with pytest.raises(ValueError, match="'verdict'"):
        make(verdict="allow")
    with pytest.raises(ValueError, match="'holder_key'"):
        make(holder_key="HC1:NCFOXN")


def test_override_and_observation_shapes() -> None:
    ref = new_entry_id(AT, bytes(10))
    o = make(kind=EntryKind.OVERRIDE, refers_to=ref, verdict="ALLOW", note="known staff")
    assert entry_from_wire(o.to_wire()) == o
    ob = make(kind=EntryKind.OBSERVATION, verdict="", colour="", temperature_c=None, mask=None)
    assert entry_from_wire(ob.to_wire()) == ob
