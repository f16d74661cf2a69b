"""Judging the kiosk's own clock, and reading times people type.

A code's age is only as good as the clock that judges it: verifiers that
trusted the device clock were fooled by users changing the date.  The
kiosk keeps a high-water mark (the newest time it has ever logged) and the
skew against the central server; this module says what those mean.  It
reads no clock itself: every time is passed in.

Two kinds of server time, measured against this project: any HTTP peer can
send a ``Date`` three hours off, so an unsigned ``Date`` only raises a NOTE;
a time the server *signed* (an ack, a signed time answer, verified with its
ack key) is the authority (``ServerTime``).  A clock the server confirmed
within the tolerance clears CLOCK_BACKWARDS (a high-water mark left in the
future by an earlier wrong clock no longer holds every scan on REVIEW), and
purging waits for such a confirmation (``purge_allowed``).  A confirmation
is carried forward with the monotonic clock, so a wall clock changed after
it shows as skew at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kiosk.core.errors import Reason, ReasonCode, Severity


@dataclass(frozen=True)
class ServerTime:
    """A server time the kiosk verified: the skew it gave, and when (wall and monotonic)."""

    skew_s: float
    """Kiosk minus server time at that moment, in seconds."""
    wall_s: float
    mono_s: float


def confirmed_skew(
    confirmed: ServerTime | None, now_wall_s: float, now_mono_s: float
) -> float | None:
    """Kiosk minus server time *now*, from the last signed server time, or None.

    The wall clock's move since the confirmation minus the monotonic clock's
    is a jump (someone set the clock); it adds to the skew.
    """
    if confirmed is None:
        return None
    jumped = (now_wall_s - confirmed.wall_s) - (now_mono_s - confirmed.mono_s)
    return confirmed.skew_s + jumped


def purge_allowed(confirmed_skew_s: float | None, tolerance_s: float) -> bool:
    """Purging by age needs a clock the server confirmed within the tolerance."""
    return confirmed_skew_s is not None and abs(confirmed_skew_s) <= tolerance_s


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
    *,
    confirmed_skew_s: float | None = None,
) -> tuple[Reason, ...]:
    """Reasons to distrust the kiosk clock right now, or none.

    ``high_water_ms`` is the newest time the kiosk has logged; a clock earlier
    than that went backwards (REVIEW), unless the server confirmed the clock
    right.  ``confirmed_skew_s`` is kiosk minus server time from a signed
    server time (``confirmed_skew``): beyond ``warn_skew_s`` it is REVIEW.
    ``server_skew_s`` from an unsigned ``Date`` header only makes a NOTE.
    """
    reasons: list[Reason] = []
    if confirmed_skew_s is not None:
        if abs(confirmed_skew_s) <= warn_skew_s:
            return ()  # the server vouches for this clock: nothing to distrust
        side = "ahead of" if confirmed_skew_s > 0 else "behind"
        reasons.append(
            Reason(
                ReasonCode.CLOCK_SKEW,
                Severity.REVIEW,
                f"kiosk clock is {abs(confirmed_skew_s):.0f} s {side} the server's (signed)",
                (("skew_s", f"{confirmed_skew_s:.0f}"),),
            )
        )
        server_skew_s = None  # the signed figure said it; the Date header adds nothing
    if high_water_ms is not None and now_ms + 1000 < high_water_ms:
        behind = (high_water_ms - now_ms) / 1000
        reasons.append(
            Reason(
                ReasonCode.CLOCK_BACKWARDS,
                Severity.REVIEW,
                f"kiosk clock is {behind:.0f} s behind its own newest entry: it went backwards",
                (("behind_s", f"{behind:.0f}"),),
            )
        )
    if server_skew_s is not None and abs(server_skew_s) > warn_skew_s:
        side = "ahead of" if server_skew_s > 0 else "behind"
        reasons.append(
            Reason(
                ReasonCode.CLOCK_SKEW,
                Severity.NOTE,
                f"kiosk clock is {abs(server_skew_s):.0f} s {side} the server's Date header"
                " (unsigned: noted, not trusted)",
                (("skew_s", f"{server_skew_s:.0f}"),),
            )
        )
    return tuple(reasons)
