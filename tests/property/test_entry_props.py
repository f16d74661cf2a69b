"""Properties of entries over generated input: wire round trip, hash sensitivity, strictness."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.entry import (
    GENESIS_HASH,
    MAX_ID,
    WIRE_FIELDS,
    Entry,
    EntryKind,
    entry_from_wire,
    new_entry_id,
    seal_entry,
    verify_wire_hash,
)

TRICKY = [
    "[bold]X[/]",
    "[/",
    "[@click=app.quit]x[/]",
    "\\n\\x1b[31m",
    "😷👍🏽",
    "\u202eevil\u202c",
    "\u200f\u2067abc\u2069",
    "张*明",
    '=HYPERLINK("x")',
    "'; DROP TABLE entries; --",
    "\x00",
]

texts = st.one_of(st.text(max_size=40), st.sampled_from(TRICKY)) | st.lists(
    st.sampled_from(TRICKY), max_size=4
).map("".join)
hexes = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
ids = st.builds(new_entry_id, st.integers(0, MAX_ID), st.binary(min_size=10, max_size=10))
certs = st.lists(st.tuples(texts, texts, texts), max_size=3).map(tuple)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    return seal_entry(
        id=draw(ids),
        seq=draw(st.integers(1, 2**63 - 1)),
        at_ms=draw(st.integers(0, MAX_ID)),
        kiosk_id=draw(texts),
        kind=draw(st.sampled_from(EntryKind)),
        prev_hash=draw(st.just(GENESIS_HASH) | hexes),
        verdict=draw(st.sampled_from(["ALLOW", "DENY", "REVIEW", ""])),
        reasons=tuple(draw(st.lists(texts, max_size=4))),
        colour=draw(st.sampled_from(["G", "Y", "R", ""])),
        certificates=draw(certs),
        name=draw(texts),
        holder_key=draw(st.text(alphabet="0123456789abcdef", max_size=64)),
        refers_to=draw(st.none() | ids),
        temperature_c=draw(st.none() | st.floats(allow_nan=False, allow_infinity=False)),
        mask=draw(st.none() | st.booleans()),
        note=draw(texts),
    )


@given(entries())
def test_wire_round_trip_through_json_text(e: Entry) -> None:
    text = json.dumps(e.to_wire(), ensure_ascii=False)
    back = entry_from_wire(json.loads(text))
    assert back == e
    assert back.hash == e.hash
    assert verify_wire_hash(json.loads(text))


@given(entries())
def test_round_trip_keeps_text_exactly(e: Entry) -> None:
    back = entry_from_wire(e.to_wire())
    assert back.name == e.name
    assert back.note == e.note
    assert back.certificates == e.certificates


def _other_value(key: str, value: Any, e: Entry) -> Any:
    """A different value of the right type for ``key``."""
    if key in ("seq", "at_ms"):
        return value + 1 if value < MAX_ID else value - 1
    if key == "id" or key == "refers_to":
        alt = new_entry_id(0, b"\x01" * 10)
        return alt if value != alt else new_entry_id(1, b"\x01" * 10)
    if key == "kind":
        return "override" if value != "override" else "scan"
    if key == "verdict":
        return "DENY" if value != "DENY" else "ALLOW"
    if key == "colour":
        return "R" if value != "R" else "G"
    if key == "holder_key":
        return value + "0" if len(value) < 64 else value[:-1]
    if key == "reasons":
        return [*value, "X"]
    if key == "certificates":
        return [*value, ["travel", "ok", ""]]
    if key == "temperature_c":
        return 36.6 if value != 36.6 else 37.0
    if key == "mask":
        return not value if value is not None else True
    return value + "x"


@given(entries(), st.sampled_from([k for k in WIRE_FIELDS if k not in ("prev_hash", "hash")]))
def test_any_field_change_changes_the_hash(e: Entry, key: str) -> None:
    wire = e.to_wire()
    wire[key] = _other_value(key, wire[key], e)
    changed = entry_from_wire(wire)
    assert changed.computed_hash() != e.hash
    assert not verify_wire_hash(wire)


@given(entries(), hexes)
def test_prev_hash_change_changes_the_hash(e: Entry, other: str) -> None:
    wire = e.to_wire()
    if other == wire["prev_hash"]:
        return
    wire["prev_hash"] = other
    assert not verify_wire_hash(wire)


WRONG_TYPES: dict[str, st.SearchStrategy[Any]] = {
    "id": st.integers() | st.none() | st.text(max_size=10),
    "seq": st.text() | st.none() | st.floats() | st.booleans() | st.integers(max_value=0),
    "at_ms": st.text() | st.none() | st.floats() | st.integers(max_value=-1),
    "kiosk_id": st.integers() | st.none() | st.lists(st.text(), max_size=2),
    "kind": st.integers() | st.none() | st.text().filter(lambda s: s not in set(EntryKind)),
    "verdict": st.integers() | st.none(),
    "reasons": st.text() | st.integers() | st.lists(st.integers(), min_size=1),
    "colour": st.integers() | st.none(),
    "certificates": st.text() | st.lists(st.lists(st.text(), max_size=2), min_size=1),
    "name": st.integers() | st.none() | st.binary(),
    "holder_key": st.integers() | st.none(),
    "refers_to": st.integers() | st.text(max_size=10),
    "temperature_c": st.text() | st.booleans() | st.just(float("nan")),
    "mask": st.integers() | st.text() | st.floats(),
    "note": st.integers() | st.none(),
    "prev_hash": st.integers() | st.none() | st.text(max_size=63),
    "hash": st.integers() | st.none() | st.text(max_size=63),
}


@given(entries(), st.data())
def test_wrong_types_are_refused_with_the_field_named(e: Entry, data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(WRONG_TYPES)))
    wire = e.to_wire()
    wire[key] = data.draw(WRONG_TYPES[key])
    try:
        entry_from_wire(wire)
    except ValueError as exc:
        assert f"'{key}'" in str(exc)
    else:
        raise AssertionError(f"{key}={wire[key]!r} was accepted")


# --- the one-pass reading of plain JSON agrees with the field-by-field one ---------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**64), 2**64)
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["\ud800", "scan", "ALLOW", "G", "0" * 64, "ab", ""]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


@given(entries(), st.sampled_from(WIRE_FIELDS), JSON_VALUES)
def test_plain_reading_accepts_and_refuses_what_the_checked_one_does(
    e: Entry, field: str, value: Any
) -> None:
    from kiosk.core.entry import _read_checked, _read_plain

    wire = json.loads(json.dumps(e.to_wire(), ensure_ascii=False))
    assert _read_plain(wire) == _read_checked(wire)
    wire[field] = value
    try:
        checked: Entry | None = _read_checked(wire)
    except ValueError:
        checked = None
    plain = _read_plain(wire)
    if checked is None:
        assert plain is None
    else:
        # the one pass takes every object the checked reading does that JSON can give
        assert plain == checked
        assert plain is not None
        assert type(plain.temperature_c) is type(checked.temperature_c)


@given(entries())
def test_canonical_body_is_the_canonical_json_of_the_body(e: Entry) -> None:
    from kiosk.core.entry import _body, canonical_body, canonical_json

    assert canonical_body(e) == canonical_json(_body(e))


@given(entries(), st.sampled_from(WIRE_FIELDS[:-2]), JSON_VALUES)
def test_canonical_body_of_any_field_value_is_the_canonical_json(
    e: Entry, field: str, value: Any
) -> None:
    """An entry built with the plain constructor may hold anything: same text or same error."""
    import dataclasses

    from kiosk.core.entry import _body, canonical_body, canonical_json

    odd = dataclasses.replace(e, **{field: value})
    try:
        want: str | None = canonical_json(_body(odd))
    except (TypeError, ValueError, AttributeError):
        want = None
    try:
        got: str | None = canonical_body(odd)
    except (TypeError, ValueError, AttributeError):
        got = None
    assert got == want
