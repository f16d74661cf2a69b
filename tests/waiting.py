"""Waiting in tests for a state another thread or process brings about.

A bound on the wait, never a measure of it: the condition is what is tested,
and the timeout only keeps a broken run from hanging.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(condition: Callable[[], object], timeout: float = 10.0) -> bool:
    """True as soon as ``condition()`` is true; False if it is not within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
