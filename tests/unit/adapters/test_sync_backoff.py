"""Backoff with full jitter and Retry-After parsing: pure functions, no sleeping."""

from __future__ import annotations

import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.adapters.sync import parse_http_date, parse_retry_after
from kiosk.core.backoff import backoff_delay


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_delay(a, 1.0, 10.0, 1.0) for a in range(1, 7)] == [1, 2, 4, 8, 10, 10]
    assert backoff_delay(3, 1.0, 10.0, 0.0) == 0.0
    assert backoff_delay(3, 1.0, 10.0, 0.5) == 2.0


def test_backoff_survives_huge_attempt_counts() -> None:
    assert backoff_delay(10_000, 0.5, 300.0, 0.999) == pytest.approx(299.7)
    assert backoff_delay(0, 1.0, 10.0, 1.0) == 1.0  # attempt 0 counts as the first


@given(
    attempt=st.integers(min_value=-5, max_value=10_000),
    base=st.floats(min_value=0.001, max_value=100),
    cap=st.floats(min_value=0.001, max_value=10_000),
    rand=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_backoff_is_between_zero_and_cap(
    attempt: int, base: float, cap: float, rand: float
) -> None:
    delay = backoff_delay(attempt, base, cap, rand)
    assert 0.0 <= delay <= cap


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", 3.0), (" 0 ", 0.0), ("1.5", 1.5), ("-4", 0.0), ("", None), (None, None),
     ("soon", None), ("nan", None)],
)  # fmt: skip
def test_retry_after_seconds(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=1_000_000.0) == expected


def test_retry_after_http_date() -> None:
    now = 1_795_420_800.0
    later = email.utils.formatdate(now + 120, usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(120)
    earlier = email.utils.formatdate(now - 120, usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0


def test_http_date() -> None:
    assert parse_http_date("Mon, 23 Nov 2026 08:00:00 GMT") == 1_795_420_800.0
    assert parse_http_date("yesterday") is None
    assert parse_http_date(None) is None
