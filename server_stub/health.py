"""A kiosk's health report (``POST /v1/health``): what only the kiosk knows about itself.

The server sees batches; it cannot see a kiosk's backlog before it is sent,
the lists and policy the kiosk judges by, its clock, or the batches it
parked.  So after each sync round that reached the server the kiosk sends a
small JSON object, signed like a batch (``health_statement(kiosk id, SHA-256
of the body)`` in ``X-Signature``), and the server keeps the newest one per
kiosk (by the kiosk's own ``sent_at_ms``, so a delayed or replayed older
report never replaces a newer one) for the report and the dashboard.

Fields (all required; null where the kiosk has no value):

| field | meaning |
|---|---|
| ``kiosk_id`` | the kiosk (the same as ``X-Kiosk-Id``) |
| ``sent_at_ms`` | the kiosk's clock when it made the report |
| ``backlog`` | entries written and not yet acknowledged |
| ``oldest_unsent_ms`` | when the oldest of those was written, or null |
| ``parked`` | entries parked (refused by the server; wait for an operator) |
| ``parked_batches`` | parked batches |
| ``trust_list_version``, ``revocation_version``, ``policy_version`` | what it judges by |
| ``clock_offset_ms`` | its clock minus the server's signed time, or null (not confirmed) |
| ``failed_attempts`` | sync requests that failed since the kiosk started |
"""

from __future__ import annotations

import json
from typing import Any

MAX_HEALTH_BYTES = 4096

COUNTS = ("backlog", "parked", "parked_batches", "failed_attempts")
OPTIONAL_INTS = (
    "oldest_unsent_ms",
    "trust_list_version",
    "revocation_version",
    "policy_version",
    "clock_offset_ms",
)
FIELDS = ("kiosk_id", "sent_at_ms", *COUNTS, *OPTIONAL_INTS)

_LIMIT = 2**62


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -_LIMIT < value < _LIMIT


def parse_health(body: bytes, kiosk_id: str) -> tuple[int, dict[str, Any]]:
    """(sent_at_ms, the fields but kiosk_id) of a report; ValueError names what is wrong."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("a health report is a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("a health report is a JSON object")
    for name in FIELDS:
        if name not in data:
            raise ValueError(f"health field '{name}' is missing")
    extra = sorted(set(data) - set(FIELDS))
    if extra:
        raise ValueError(f"health field '{extra[0]}' is not a health field")
    if data["kiosk_id"] != kiosk_id:
        raise ValueError("kiosk_id: not the kiosk that signed the report")
    if not _is_int(data["sent_at_ms"]) or data["sent_at_ms"] < 0:
        raise ValueError("sent_at_ms: expected a time in ms")
    for name in COUNTS:
        if not _is_int(data[name]) or data[name] < 0:
            raise ValueError(f"{name}: expected a count (0 or more)")
    for name in OPTIONAL_INTS:
        if data[name] is not None and not _is_int(data[name]):
            raise ValueError(f"{name}: expected a whole number or null")
    fields = {k: v for k, v in data.items() if k != "kiosk_id"}
    return int(data["sent_at_ms"]), fields
