"""Base45 (RFC 9285): the text layer between the QR code and the zlib bytes.

Base45 uses exactly the QR alphanumeric alphabet, so a code stays in the
dense alphanumeric QR mode.  Decoding is strict: a character outside the
alphabet, a dangling single character, or a group whose value does not fit
is an error with its own message, never a silent repair.
"""

from __future__ import annotations

from kiosk.core.errors import DecodeError, ReasonCode

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def encode(data: bytes) -> str:
    """Encode bytes as Base45 text."""
    out: list[str] = []
    a = ALPHABET
    for i in range(0, len(data) - 1, 2):
        n = (data[i] << 8) | data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out.append(a[c] + a[d] + a[e])
    if len(data) % 2:
        d, c = divmod(data[-1], 45)
        out.append(a[c] + a[d])
    return "".join(out)


def _fail(message: str) -> DecodeError:
    return DecodeError(ReasonCode.BASE45_INVALID, message)


def decode(text: str) -> bytes:
    """Decode Base45 text, raising DecodeError(BASE45_INVALID) on any fault."""
    if len(text) % 3 == 1:
        raise _fail("dangling single character at the end of the Base45 text")
    value = _VALUE
    try:
        nums = [value[ch] for ch in text]
    except KeyError as exc:
        ch = exc.args[0]
        raise _fail(
            f"character {ch!r} at position {text.index(ch)} is not in the Base45 alphabet"
        ) from None
    out = bytearray()
    full = len(nums) - len(nums) % 3
    for i in range(0, full, 3):
        n = nums[i] + nums[i + 1] * 45 + nums[i + 2] * 2025
        if n > 0xFFFF:
            raise _fail(f"group at position {i} has value {n}, above 65535")
        out.append(n >> 8)
        out.append(n & 0xFF)
    if full != len(nums):
        n = nums[full] + nums[full + 1] * 45
        if n > 0xFF:
            raise _fail(f"final pair at position {full} has value {n}, above 255")
        out.append(n)
    return bytes(out)
