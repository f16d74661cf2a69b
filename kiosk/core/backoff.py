"""How long to wait before trying again: exponential backoff, capped, with jitter.

Shared by the sync client (retrying the server, with full jitter so that
hundreds of kiosks coming back online do not knock in step) and the camera
grabber (reopening a lost camera, without jitter).  Pure: the random
number is passed in.
"""

from __future__ import annotations


def backoff_delay(attempt: int, base: float, cap: float, rand: float = 1.0) -> float:
    """Seconds to wait before retry number ``attempt`` (1, 2, ...).

    ``rand * min(cap, base * 2**(attempt-1))`` with ``rand`` clamped to [0, 1]:
    ``rand`` from a random source gives full jitter, ``1.0`` the plain
    exponential.  Attempt 0 or below counts as the first.
    """
    exponent = min(max(attempt, 1) - 1, 62)
    return max(0.0, min(1.0, rand)) * min(cap, base * 2.0**exponent)
