"""Every size, depth and time cap of the kiosk as a named constant.

Hostile codes are made to crash or exhaust the reader, so every loop over
untrusted input is bounded by a number that lives here, with the reason for
its value next to it.  The wire format (``docs/wire-format.md``) fixes some of them.
"""

from __future__ import annotations

MAX_QR_TEXT = 4096
"""Longest QR text accepted (docs/wire-format.md#code-text); a QR code holds at most 4,296."""

MAX_INFLATED = 65536
"""Largest zlib output accepted (docs/wire-format.md#code-text); a zlib bomb stops here."""

MAX_CBOR_DEPTH = 16
"""Deepest CBOR nesting accepted (docs/wire-format.md#code-text)."""

MAX_CBOR_ITEMS = 4096
"""Most items in one CBOR array or map; a length claiming more is refused early."""

MAX_LIST_BYTES = 4 * 1024 * 1024
"""Largest signed trust or revocation list file accepted (bytes)."""

MAX_LIST_CBOR_ITEMS = 1_000_000
"""Most items in one array of a signed list (the revocation list can be long)."""

MAX_ISSUER_LEN = 32
"""Longest ``iss`` claim (characters, docs/wire-format.md#claims)."""

MAX_NAME_LEN = 64
"""Longest display name (characters, docs/wire-format.md#claims)."""

MAX_TEXT_LEN = 64
"""Longest other text field of a code (area codes, dates, result letters)."""

MAX_BYTES_LEN = 64
"""Longest byte string in a code other than payload, protected header and signature."""

MAX_VISITS = 64
"""Most areas in one travel record."""

MAX_DISPLAY_LEN = 64
"""Longest text shown to a guard from a code, after cleaning."""

MAX_TIME = 253402300799
"""Latest time accepted in a code: 9999-12-31T23:59:59Z (docs/wire-format.md#code-text)."""

MIN_TIME = 0
"""Earliest time accepted in a code: the Unix epoch (docs/wire-format.md#code-text)."""

DEFAULT_SKEW_SECONDS = 300
"""Clock tolerance for ``iat``/``exp`` (docs/wire-format.md#validity-in-time)."""

KID_LEN = 8
"""Length of a key identifier (docs/wire-format.md#cose_sign1)."""

HOLDER_ID_LEN = 16
"""Length of the pseudonymous holder id (docs/wire-format.md#claims)."""

REVOCATION_HASH_LEN = 16
"""Length of one revocation entry (docs/wire-format.md#signed-lists)."""
