"""Time offline from the logged sync attempts (``kiosk.core.report.offline_summary``)."""

from __future__ import annotations

from kiosk.core.report import DEFAULT_GAP_MS, offline_summary

MIN = 60_000


def test_a_failed_attempt_is_offline_until_the_next_that_reached_the_server() -> None:
    tried = [(0, True), (MIN, True), (2 * MIN, False), (3 * MIN, False), (10 * MIN, True)]
    assert offline_summary(tried, start_ms=0, end_ms=11 * MIN, read_ms=11 * MIN) == (
        8 * MIN, ((2 * MIN, 10 * MIN),),
    )  # fmt: skip
    # read an hour later with nothing logged since: off from the gap on
    assert offline_summary(tried, start_ms=0, end_ms=60 * MIN, read_ms=60 * MIN) == (
        8 * MIN + 50 * MIN - DEFAULT_GAP_MS,
        ((2 * MIN, 10 * MIN), (10 * MIN + DEFAULT_GAP_MS, 60 * MIN)),
    )


def test_no_attempt_for_longer_than_the_gap_is_offline_after_the_gap() -> None:
    tried = [(0, True), (30 * MIN, True)]
    got = offline_summary(tried, start_ms=0, end_ms=30 * MIN, read_ms=30 * MIN)
    assert got == (30 * MIN - DEFAULT_GAP_MS, ((DEFAULT_GAP_MS, 30 * MIN),))


def test_the_last_attempt_lasts_until_the_log_was_read_and_spans_are_clipped() -> None:
    tried = [(-5 * MIN, False), (5 * MIN, True), (6 * MIN, False)]
    got = offline_summary(tried, start_ms=0, end_ms=20 * MIN, read_ms=40 * MIN)
    assert got == (5 * MIN + 14 * MIN, ((0, 5 * MIN), (6 * MIN, 20 * MIN)))


def test_nothing_before_the_first_attempt_is_counted() -> None:
    assert offline_summary([(30 * MIN, True)], start_ms=0, end_ms=35 * MIN, read_ms=35 * MIN) == (
        0, (),
    )  # fmt: skip
    assert offline_summary([], start_ms=0, end_ms=MIN, read_ms=MIN) == (0, ())
