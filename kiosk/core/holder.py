"""The pseudonymous holder key: who this is, without being able to say who.

Entries, replay rules and the central server need to know that two scans
are the same person, but must never hold the raw QR text (it could be
replayed) or the issuer's holder id (it is linkable across sites).  The key
is HMAC-SHA256 over ``utf8(iss) || 0x00 || id`` under a per-deployment salt,
cut to 128 bits, as hex.
"""

from __future__ import annotations

import hashlib
import hmac


def holder_key(salt: bytes, issuer: str, holder_id: bytes) -> str:
    """Salted, one-way key for a holder: 32 hex digits."""
    message = issuer.encode("utf-8") + b"\x00" + holder_id
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:32]
