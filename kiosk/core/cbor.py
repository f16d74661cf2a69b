"""Strict CBOR (RFC 8949) for untrusted codes, and deterministic encoding for issuers.

General-purpose CBOR libraries are lenient where a verifier must not be:
cbor2 and json both take the last of two duplicate map keys, so
``{"c": "G", "c": "R"}`` could read as either colour depending on the
reader.  This decoder refuses, each with its own reason code:

- malformed input (truncated, reserved additional info, invalid UTF-8,
  indefinite lengths, break codes, map keys that are not int/text/bytes);
- nesting deeper than ``limits.MAX_CBOR_DEPTH``;
- trailing bytes after the top-level item;
- a map with a duplicate key;
- a length field larger than the remaining input or the item cap.

Values come back as plain Python types: int, bytes, str, list, dict, bool,
None, float, and ``Tag`` for tagged items.  ``bool`` is a subclass of
``int`` in Python, so structure checks elsewhere use ``type(x) is int``.

Encoding is deterministic (RFC 8949 section 4.2.1): shortest integer
forms, definite lengths, map keys sorted by their encoded bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from kiosk.core import limits
from kiosk.core.errors import DecodeError, ReasonCode


@dataclass(frozen=True, slots=True)
class Tag:
    """A CBOR tagged item (major type 6)."""

    tag: int
    value: Any


def _malformed(message: str) -> DecodeError:
    return DecodeError(ReasonCode.CBOR_MALFORMED, message)


class _Decoder:
    __slots__ = ("data", "max_items", "pos")

    def __init__(self, data: bytes, max_items: int) -> None:
        self.data = data
        self.pos = 0
        self.max_items = max_items

    def _take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise _malformed(f"input ends inside an item at byte {self.pos}")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def _argument(self, info: int) -> int:
        if info < 24:
            return info
        data = self.data
        pos = self.pos
        if info == 24:
            if pos + 1 > len(data):
                raise _malformed(f"input ends inside an item at byte {pos}")
            self.pos = pos + 1
            return data[pos]
        if info == 25:
            size = 2
        elif info == 26:
            size = 4
        elif info == 27:
            size = 8
        elif info == 31:
            raise _malformed(f"indefinite-length item at byte {pos - 1} is not accepted")
        else:
            raise _malformed(f"reserved additional information {info} at byte {pos - 1}")
        if pos + size > len(data):
            raise _malformed(f"input ends inside an item at byte {pos}")
        self.pos = pos + size
        return int.from_bytes(data[pos : pos + size], "big")

    def item(self, depth: int) -> Any:
        data = self.data
        if self.pos >= len(data):
            raise _malformed(f"input ends where an item was expected at byte {self.pos}")
        initial = data[self.pos]
        self.pos += 1
        major = initial >> 5
        info = initial & 0x1F
        if major == 7:
            return self._simple(info)
        arg = self._argument(info)
        if major == 0:
            return arg
        if major == 1:
            return -1 - arg
        if major == 2 or major == 3:
            if arg > len(data) - self.pos:
                raise _malformed(f"string of {arg} bytes is longer than the remaining input")
            raw = self._take(arg)
            if major == 2:
                return raw
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                raise _malformed(
                    f"text string ending at byte {self.pos} is not valid UTF-8"
                ) from None
        if depth >= limits.MAX_CBOR_DEPTH:
            raise DecodeError(
                ReasonCode.CBOR_TOO_DEEP,
                f"items nested deeper than {limits.MAX_CBOR_DEPTH} levels",
            )
        if major == 4:
            self._check_count(arg, 1)
            return [self.item(depth + 1) for _ in range(arg)]
        if major == 5:
            self._check_count(arg, 2)
            result: dict[Any, Any] = {}
            for _ in range(arg):
                key_at = self.pos
                key = self.item(depth + 1)
                if type(key) not in (int, str, bytes):
                    raise _malformed(f"map key at byte {key_at} is a {type(key).__name__}")
                if key in result:
                    raise DecodeError(
                        ReasonCode.CBOR_DUPLICATE_KEY,
                        f"map has the key {_show_key(key)} more than once",
                    )
                result[key] = self.item(depth + 1)
            return result
        # major == 6: tag
        return Tag(arg, self.item(depth + 1))

    def _check_count(self, count: int, min_bytes_each: int) -> None:
        if count > self.max_items:
            raise _malformed(f"array or map of {count} items exceeds the cap of {self.max_items}")
        if count * min_bytes_each > len(self.data) - self.pos:
            raise _malformed(f"array or map of {count} items is longer than the remaining input")

    def _simple(self, info: int) -> Any:
        if info == 20:
            return False
        if info == 21:
            return True
        if info == 22 or info == 23:
            return None
        if info == 25:
            return struct.unpack(">e", self._take(2))[0]
        if info == 26:
            return struct.unpack(">f", self._take(4))[0]
        if info == 27:
            return struct.unpack(">d", self._take(8))[0]
        if info == 31:
            raise _malformed(f"unexpected break code at byte {self.pos - 1}")
        raise _malformed(f"unsupported simple value {info} at byte {self.pos - 1}")


def _show_key(key: object) -> str:
    shown = repr(key)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def loads(data: bytes, *, max_items: int = limits.MAX_CBOR_ITEMS) -> Any:
    """Decode exactly one CBOR item from ``data``; raise DecodeError on any fault."""
    decoder = _Decoder(bytes(data), max_items)
    try:
        value = decoder.item(0)
    except RecursionError:  # pragma: no cover - depth cap is far below the recursion limit
        raise DecodeError(ReasonCode.CBOR_TOO_DEEP, "items nested too deeply") from None
    if decoder.pos != len(decoder.data):
        raise DecodeError(
            ReasonCode.CBOR_TRAILING_BYTES,
            f"{len(decoder.data) - decoder.pos} bytes follow the CBOR item",
        )
    return value


# --- encoding -------------------------------------------------------------


def head(major: int, n: int) -> bytes:
    """The initial byte(s) of an item: major type and its shortest argument."""
    if n < 24:
        return bytes([(major << 5) | n])
    if n < 0x100:
        return bytes([(major << 5) | 24, n])
    if n < 0x10000:
        return bytes([(major << 5) | 25]) + n.to_bytes(2, "big")
    if n < 0x100000000:
        return bytes([(major << 5) | 26]) + n.to_bytes(4, "big")
    if n < 0x10000000000000000:
        return bytes([(major << 5) | 27]) + n.to_bytes(8, "big")
    raise ValueError(f"integer {n} does not fit in CBOR's 64-bit argument")


def dumps(value: Any) -> bytes:
    """Encode a value deterministically (sorted map keys, shortest forms)."""
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(0xF6)
    elif value is True:
        out.append(0xF5)
    elif value is False:
        out.append(0xF4)
    elif isinstance(value, int):
        out += head(0, value) if value >= 0 else head(1, -1 - value)
    elif isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        out += head(2, len(raw)) + raw
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        out += head(3, len(raw)) + raw
    elif isinstance(value, list | tuple):
        out += head(4, len(value))
        for item in value:
            _encode(item, out)
    elif isinstance(value, dict):
        pairs = sorted(((dumps(k), v) for k, v in value.items()), key=lambda kv: kv[0])
        out += head(5, len(pairs))
        for encoded_key, v in pairs:
            out += encoded_key
            _encode(v, out)
    elif isinstance(value, Tag):
        out += head(6, value.tag)
        _encode(value.value, out)
    elif isinstance(value, float):
        out.append(0xFB)
        out += struct.pack(">d", value)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as CBOR")
