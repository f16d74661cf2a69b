"""One line of the kiosk's entry log, and the hash chain that links the lines.

An ``Entry`` is what the kiosk keeps and sends to the central server for each
scan, guard override and door observation.  Each entry carries the hash of the
one before it (``prev_hash``) and its own ``hash``:

    hash = sha256_hex(utf8(prev_hash + canonical_json(body)))

where ``body`` is every wire field except ``prev_hash`` and ``hash``, and
``canonical_json`` is JSON with sorted keys, no whitespace, UTF-8 text as is
(``ensure_ascii=False``) and floats in Python's shortest round-trip form
(``repr``).  ``to_wire()`` holds everything needed, so the server recomputes
the hash from the wire object alone (``verify_wire_hash``).

This module is pure: no clock, no randomness, no I/O.  The store passes in the
time and the random bytes for ``new_entry_id``.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry of a log."""

VERDICTS = frozenset({"ALLOW", "DENY", "REVIEW", ""})
"""Allowed ``verdict`` values.  Every entry of a visit carries the visit's verdict after
it; ``""`` appears only in logs written before visits (observations judged nothing)."""

COLOURS = frozenset({"G", "Y", "R", ""})
"""Allowed ``colour`` values; ``""`` when no colour could be read."""

MAX_HOLDER_KEY = 128
"""Longest ``holder_key`` (hex digits): enough for SHA-512, far from any QR text."""

MAX_ID = 2**48 - 1
"""Largest millisecond time a UUIDv7 can hold (year 10889)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX = re.compile(r"[0-9a-fA-F]*")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")

WIRE_FIELDS = (
    "id",
    "seq",
    "at_ms",
    "kiosk_id",
    "kind",
    "verdict",
    "reasons",
    "colour",
    "certificates",
    "name",
    "holder_key",
    "refers_to",
    "temperature_c",
    "mask",
    "note",
    "prev_hash",
    "hash",
)
"""Every key of ``Entry.to_wire()``, in declaration order."""


class EntryKind(StrEnum):
    """What an entry records (a ``str`` subclass: ``EntryKind.SCAN == "scan"``).

    A scan opens a visit (its id is the visit's id); the other kinds refer to
    that visit with ``refers_to`` and carry the visit's verdict after them.
    """

    SCAN = "scan"
    OVERRIDE = "override"
    OBSERVATION = "observation"
    LEFT = "left"
    """The person left without a decision: the visit waited past the review timeout."""


@dataclass(frozen=True, slots=True)
class EntryDraft:
    """An entry before the log gives it its place (``seq``) and its link (``prev_hash``).

    The caller chooses the ``id`` (a UUIDv7 from ``new_entry_id``), so a visit
    has its id before its scan is written and a write can be retried without
    writing the same entry twice.
    """

    id: str
    at_ms: int
    kind: EntryKind
    verdict: str = ""
    reasons: tuple[str, ...] = ()
    colour: str = ""
    certificates: tuple[tuple[str, str, str], ...] = ()
    name: str = ""
    holder_key: str = ""
    refers_to: str | None = None
    temperature_c: float | None = None
    mask: bool | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Entry:
    """One log entry, as stored, exported and synced.

    Build one with ``seal_entry`` (which computes the hash) or
    ``entry_from_wire`` (which checks every field); the plain constructor
    checks nothing.
    """

    id: str
    seq: int
    at_ms: int
    kiosk_id: str
    kind: EntryKind
    verdict: str
    reasons: tuple[str, ...]
    colour: str
    certificates: tuple[tuple[str, str, str], ...]
    name: str
    holder_key: str
    refers_to: str | None
    temperature_c: float | None
    mask: bool | None
    note: str
    prev_hash: str
    hash: str

    def to_wire(self) -> dict[str, Any]:
        """All fields as a JSON-safe dict (lists for tuples, strings for enums)."""
        body = _body(self)
        body["prev_hash"] = self.prev_hash
        body["hash"] = self.hash
        return body

    def computed_hash(self) -> str:
        """The hash this entry's contents and ``prev_hash`` call for."""
        return chain_hash(self.prev_hash, self)

    @property
    def hash_ok(self) -> bool:
        """True when ``hash`` matches the contents and ``prev_hash``."""
        return self.computed_hash() == self.hash


def _body(e: Entry) -> dict[str, Any]:
    return {
        "id": e.id,
        "seq": e.seq,
        "at_ms": e.at_ms,
        "kiosk_id": e.kiosk_id,
        "kind": e.kind.value,
        "verdict": e.verdict,
        "reasons": list(e.reasons),
        "colour": e.colour,
        "certificates": [list(c) for c in e.certificates],
        "name": e.name,
        "holder_key": e.holder_key,
        "refers_to": e.refers_to,
        "temperature_c": e.temperature_c,
        "mask": e.mask,
        "note": e.note,
    }


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, text as is, floats as ``repr``; NaN/inf refused."""
    try:
        return _CANONICAL.encode(value)
    except ValueError as exc:
        raise ValueError(f"entry cannot be hashed: {exc}") from None


def canonical_body(e: Entry) -> str:
    """The canonical JSON text the entry's hash covers (every field but the two hashes).

    Written field by field in sorted key order: the same text as
    ``canonical_json`` of the body (a property test holds it to that), in a
    third of the time, which matters to a server checking every entry it takes.
    An entry holding a value of another type than ``entry_from_wire`` gives is
    encoded by ``canonical_json`` itself.
    """
    t = e.temperature_c
    seq, at_ms = e.seq, e.at_ms
    if (
        type(seq) is not int
        or type(at_ms) is not int
        or (t is not None and (type(t) is not float or not math.isfinite(t)))
        or (e.mask is not None and type(e.mask) is not bool)
        or (e.refers_to is not None and type(e.refers_to) is not str)
        or type(e.kind) is not EntryKind
    ):
        return canonical_json(_body(e))
    q = _quote
    try:
        reasons = ",".join([q(r) for r in e.reasons])
        certificates = ",".join([f"[{q(a)},{q(b)},{q(c)}]" for a, b, c in e.certificates])
        return (
            f'{{"at_ms":{at_ms},"certificates":[{certificates}],"colour":{q(e.colour)},'
            f'"holder_key":{q(e.holder_key)},"id":{q(e.id)},"kind":{q(e.kind.value)},'
            f'"kiosk_id":{q(e.kiosk_id)},"mask":{_JSON_CONSTANT[e.mask]},"name":{q(e.name)},'
            f'"note":{q(e.note)},"reasons":[{reasons}],'
            f'"refers_to":{"null" if e.refers_to is None else q(e.refers_to)},"seq":{seq},'
            f'"temperature_c":{"null" if t is None else float.__repr__(t)},'
            f'"verdict":{q(e.verdict)}}}'
        )
    except (TypeError, ValueError):
        return canonical_json(_body(e))


_quote = json.encoder.encode_basestring
"""JSON string quoting as ``json.dumps(..., ensure_ascii=False)`` does it (the C one)."""
_JSON_CONSTANT = {None: "null", True: "true", False: "false"}


def chain_hash(prev_hash: str, entry_without_hash: Entry | Mapping[str, Any]) -> str:
    """sha256 hex of ``prev_hash`` followed by the canonical JSON of the body.

    ``entry_without_hash`` is an ``Entry`` or a wire mapping; its own
    ``prev_hash`` and ``hash`` keys, if any, are left out of the body.
    """
    if isinstance(entry_without_hash, Entry):
        text = canonical_body(entry_without_hash)
    else:
        body = {k: v for k, v in entry_without_hash.items() if k not in ("prev_hash", "hash")}
        text = canonical_json(body)
    data = (prev_hash + text).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def recompute_hash(d: Mapping[str, Any]) -> str:
    """The hash a wire object calls for, from its own fields alone (server side).

    The object is read strictly first (ValueError on a malformed one), so a
    temperature sent as ``36`` hashes the same as the ``36.0`` the kiosk hashed.
    """
    return entry_from_wire(d).computed_hash()


def verify_wire_hash(d: Mapping[str, Any]) -> bool:
    """True when the wire object is a well-formed entry whose hash matches its fields."""
    try:
        entry = entry_from_wire(d)
    except ValueError:
        return False
    return entry.hash_ok


def new_entry_id(at_ms: int, rand: bytes) -> str:
    """UUIDv7 text (RFC 9562) from a millisecond time and 10 random bytes.

    48 bits of time, version 7, 12 random bits, variant ``10``, 62 random
    bits.  Ids sort by time to the millisecond; the log's order is ``seq``.
    """
    if isinstance(at_ms, bool) or not isinstance(at_ms, int) or not 0 <= at_ms <= MAX_ID:
        raise ValueError(f"entry id: time {at_ms!r} ms is outside 0..2**48-1")
    if len(rand) != 10:
        raise ValueError(f"entry id: expected 10 random bytes, got {len(rand)}")
    r = int.from_bytes(rand, "big")  # 80 bits; 74 are used
    rand_a = (r >> 68) & 0xFFF
    rand_b = r & ((1 << 62) - 1)
    value = (at_ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def seal_entry(
    *,
    id: str,
    seq: int,
    at_ms: int,
    kiosk_id: str,
    kind: EntryKind,
    prev_hash: str,
    verdict: str = "",
    reasons: tuple[str, ...] = (),
    colour: str = "",
    certificates: tuple[tuple[str, str, str], ...] = (),
    name: str = "",
    holder_key: str = "",
    refers_to: str | None = None,
    temperature_c: float | None = None,
    mask: bool | None = None,
    note: str = "",
) -> Entry:
    """Check the fields, link the entry to ``prev_hash`` and compute its hash.

    Raises ValueError naming the first field that is wrong.
    """
    draft = {
        "id": id,
        "seq": seq,
        "at_ms": at_ms,
        "kiosk_id": kiosk_id,
        "kind": kind.value if isinstance(kind, EntryKind) else kind,
        "verdict": verdict,
        "reasons": list(reasons),
        "colour": colour,
        "certificates": [list(c) for c in certificates],
        "name": name,
        "holder_key": holder_key,
        "refers_to": refers_to,
        "temperature_c": temperature_c,
        "mask": mask,
        "note": note,
        "prev_hash": prev_hash,
        "hash": GENESIS_HASH,
    }
    e = entry_from_wire(draft)
    return _replace_hash(e, chain_hash(prev_hash, e))


def _replace_hash(e: Entry, h: str) -> Entry:
    return Entry(
        e.id,
        e.seq,
        e.at_ms,
        e.kiosk_id,
        e.kind,
        e.verdict,
        e.reasons,
        e.colour,
        e.certificates,
        e.name,
        e.holder_key,
        e.refers_to,
        e.temperature_c,
        e.mask,
        e.note,
        e.prev_hash,
        h,
    )


# --- strict reading of a wire object ------------------------------------------------


def _fail(key: str, expected: str, got: object) -> ValueError:
    shown = repr(got)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return ValueError(f"entry field '{key}': expected {expected}, got {shown}")


def _text(d: Mapping[str, Any], key: str) -> str:
    value = d[key]
    if not isinstance(value, str):
        raise _fail(key, "a string", value)
    _check_encodable(key, value)
    return value


def _check_encodable(key: str, value: str) -> None:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"entry field '{key}': text holds a lone surrogate") from None


def _int(d: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = d[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(key, f"a whole number from {low} to {high}", value)
    return value


def _hex64(d: Mapping[str, Any], key: str) -> str:
    value = d[key]
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise _fail(key, "64 lowercase hex digits", value)
    return value


def _uuid(key: str, value: object) -> str:
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise _fail(key, "a lowercase UUID text", value)
    return value


def _string_list(d: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = d[key]
    if not isinstance(value, list | tuple) or not all(isinstance(x, str) for x in value):
        raise _fail(key, "a list of strings", value)
    for x in value:
        _check_encodable(key, x)
    return tuple(value)


def _certificates(d: Mapping[str, Any]) -> tuple[tuple[str, str, str], ...]:
    value = d["certificates"]
    expected = "a list of [kind, status, summary] string triples"
    if not isinstance(value, list | tuple):
        raise _fail("certificates", expected, value)
    out: list[tuple[str, str, str]] = []
    for item in value:
        if (
            not isinstance(item, list | tuple)
            or len(item) != 3
            or not all(isinstance(x, str) for x in item)
        ):
            raise _fail("certificates", expected, item)
        for x in item:
            _check_encodable("certificates", x)
        out.append((item[0], item[1], item[2]))
    return tuple(out)


def _temperature(d: Mapping[str, Any]) -> float | None:
    value = d["temperature_c"]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail("temperature_c", "a number or null", value)
    t = float(value)
    if not math.isfinite(t):
        raise _fail("temperature_c", "a finite number or null", value)
    return t


def entry_from_wire(d: Mapping[str, Any]) -> Entry:
    """Read a wire object strictly: every key present, no other key, every type right.

    Raises ValueError naming the field.  It does not check the hash; use
    ``Entry.hash_ok`` or ``verify_wire_hash`` for that.

    A well-formed object of plain JSON types (what ``json.loads`` gives) is read
    by ``_read_plain`` in one pass, which is what the server does for every entry
    it ingests; anything else, and any object that pass does not accept, goes
    through the field-by-field reading that names what is wrong.  Both accept
    exactly the same objects and build the same entry (a property test holds
    them to it).
    """
    if type(d) is dict and d.keys() == _WIRE_KEYS:
        entry = _read_plain(d)
        if entry is not None:
            return entry
    return _read_checked(d)


_WIRE_KEYS = frozenset(WIRE_FIELDS)
_KINDS = {k.value: k for k in EntryKind}
_UUID_MATCH = _UUID.fullmatch
_HEX_MATCH = _HEX.fullmatch
_HEX64_MATCH = _HEX64.fullmatch
_MAX_SEQ = 2**63 - 1


def _read_plain(d: dict[str, Any]) -> Entry | None:
    """The entry a plain, well-formed wire object holds; None for anything else."""
    entry_id = d["id"]
    seq = d["seq"]
    at_ms = d["at_ms"]
    kiosk_id = d["kiosk_id"]
    kind = _KINDS.get(d["kind"]) if type(d["kind"]) is str else None
    verdict = d["verdict"]
    reasons = d["reasons"]
    colour = d["colour"]
    certificates = d["certificates"]
    name = d["name"]
    holder_key = d["holder_key"]
    refers_to = d["refers_to"]
    temperature = d["temperature_c"]
    mask = d["mask"]
    note = d["note"]
    prev_hash = d["prev_hash"]
    hash_ = d["hash"]
    if not (
        kind is not None
        and type(entry_id) is str
        and _UUID_MATCH(entry_id)
        and type(seq) is int
        and 1 <= seq <= _MAX_SEQ
        and type(at_ms) is int
        and 0 <= at_ms <= MAX_ID
        and type(kiosk_id) is str
        and type(verdict) is str
        and verdict in VERDICTS
        and type(colour) is str
        and colour in COLOURS
        and type(name) is str
        and type(note) is str
        and type(holder_key) is str
        and len(holder_key) <= MAX_HOLDER_KEY
        and _HEX_MATCH(holder_key)
        and (refers_to is None or (type(refers_to) is str and _UUID_MATCH(refers_to)))
        and (mask is None or type(mask) is bool)
        and type(prev_hash) is str
        and _HEX64_MATCH(prev_hash)
        and type(hash_) is str
        and _HEX64_MATCH(hash_)
        and type(reasons) is list
        and type(certificates) is list
    ):
        return None
    texts = [kiosk_id, name, note]
    for reason in reasons:
        if type(reason) is not str:
            return None
        texts.append(reason)
    certs: list[tuple[str, str, str]] = []
    for item in certificates:
        if type(item) is not list or len(item) != 3:
            return None
        a, b, c = item
        if type(a) is not str or type(b) is not str or type(c) is not str:
            return None
        texts += item
        certs.append((a, b, c))
    try:
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        return None
    if temperature is not None:
        if type(temperature) is int:
            temperature = float(temperature)
        elif type(temperature) is not float or not math.isfinite(temperature):
            return None
    return Entry(
        entry_id,
        seq,
        at_ms,
        kiosk_id,
        kind,
        verdict,
        tuple(reasons),
        colour,
        tuple(certs),
        name,
        holder_key,
        refers_to,
        temperature,
        mask,
        note,
        prev_hash,
        hash_,
    )


def _read_checked(d: Mapping[str, Any]) -> Entry:
    """Field by field, raising ValueError that names the first field that is wrong."""
    if not isinstance(d, Mapping):
        raise ValueError(f"entry: expected a JSON object, got {type(d).__name__}")
    for key in WIRE_FIELDS:
        if key not in d:
            raise ValueError(f"entry field '{key}' is missing")
    extra = sorted(str(k) for k in d if k not in WIRE_FIELDS)
    if extra:
        raise ValueError(f"entry field '{extra[0]}' is not an entry field")

    entry_id = _uuid("id", d["id"])
    kind_raw = d["kind"]
    try:
        kind = EntryKind(kind_raw)
    except ValueError:
        raise _fail("kind", "scan, override, observation or left", kind_raw) from None
    verdict = _text(d, "verdict")
    if verdict not in VERDICTS:
        raise _fail("verdict", "ALLOW, DENY, REVIEW or an empty string", verdict)
    colour = _text(d, "colour")
    if colour not in COLOURS:
        raise _fail("colour", "G, Y, R or an empty string", colour)
    holder_key = _text(d, "holder_key")
    if len(holder_key) > MAX_HOLDER_KEY or not _HEX.fullmatch(holder_key):
        expected = f"at most {MAX_HOLDER_KEY} hex digits (a salted hash)"
        raise _fail("holder_key", expected, holder_key)
    refers_raw = d["refers_to"]
    refers_to = None if refers_raw is None else _uuid("refers_to", refers_raw)
    mask = d["mask"]
    if mask is not None and not isinstance(mask, bool):
        raise _fail("mask", "true, false or null", mask)
    return Entry(
        id=entry_id,
        seq=_int(d, "seq", 1, 2**63 - 1),
        at_ms=_int(d, "at_ms", 0, MAX_ID),
        kiosk_id=_text(d, "kiosk_id"),
        kind=kind,
        verdict=verdict,
        reasons=_string_list(d, "reasons"),
        colour=colour,
        certificates=_certificates(d),
        name=_text(d, "name"),
        holder_key=holder_key,
        refers_to=refers_to,
        temperature_c=_temperature(d),
        mask=mask,
        note=_text(d, "note"),
        prev_hash=_hex64(d, "prev_hash"),
        hash=_hex64(d, "hash"),
    )
