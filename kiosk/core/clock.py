"""Judging the kiosk's own clock, and reading times people type.

A code's age is only as good as the clock that judges it: verifiers that
trusted the device clock were fooled by users changing the date.  The
kiosk keeps a high-water mark (the newest time it has ever logged) and the
skew against the central server's ``Date`` header; this module says what
those mean.  It reads no clock itself: every time is passed in.
"""

from __future__ import annotations

import datetime as dt

from kiosk.core.errors import Reason, ReasonCode, Severity


class TimeFormatError(ValueError):
    """A time typed by a person is neither ISO 8601 nor epoch seconds."""


def parse_instant(text: str) -> int:
    """ISO 8601 (a time without zone is UTC; a bare date is its UTC midnight) or
    epoch seconds -> epoch seconds."""
    value = text.strip()
    digits = value[1:] if value.startswith("-") else value
    if digits.isdigit():
        return int(value)
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise TimeFormatError(
            f"{text!r} is not a time: expected ISO 8601 (2026-11-23T08:30:00+08:00)"
            " or epoch seconds"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def format_instant(epoch_s: float, utc_offset_hours: float = 0) -> str:
    """Epoch seconds -> ISO 8601 with the given fixed offset."""
    zone = dt.timezone(dt.timedelta(hours=utc_offset_hours))
    return dt.datetime.fromtimestamp(epoch_s, zone).isoformat(timespec="seconds")


def clock_reasons(
    now_ms: int,
    high_water_ms: int | None,
    server_skew_s: float | None,
    warn_skew_s: float,
) -> tuple[Reason, ...]:
    """Reasons to distrust the kiosk clock right now (REVIEW), or none.

    ``high_water_ms`` is the newest time the kiosk has logged; a clock earlier
    than that went backwards.  ``server_skew_s`` is kiosk minus server time
    from the last sync.
    """
    reasons: list[Reason] = []
    if high_water_ms is not None and now_ms + 1000 < high_water_ms:
        behind = (high_water_ms - now_ms) / 1000
        reasons.append(
            Reason(
                ReasonCode.CLOCK_BACKWARDS,
                Severity.REVIEW,
                f"kiosk clock is {behind:.0f} s behind its own newest entry: it went backwards",
            )
        )
    if server_skew_s is not None and abs(server_skew_s) > warn_skew_s:
        side = "ahead of" if server_skew_s > 0 else "behind"
        reasons.append(
            Reason(
                ReasonCode.CLOCK_SKEW,
                Severity.REVIEW,
                f"kiosk clock is {abs(server_skew_s):.0f} s {side} the server's",
            )
        )
    return tuple(reasons)
