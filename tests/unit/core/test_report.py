"""``sync_summary`` on small hand-made cases: the edges of the window and of each ack."""

from __future__ import annotations

from kiosk.core.report import MINUTE_MS, sync_summary

LAG = 10 * MINUTE_MS


def test_a_backlog_begun_before_the_window_counts_from_its_start() -> None:
    acks = [(-5 * MINUTE_MS, 30 * MINUTE_MS), (-4 * MINUTE_MS, 30 * MINUTE_MS), (5, 6)]
    s = sync_summary(acks, start_ms=0, end_ms=60 * MINUTE_MS, read_ms=60 * MINUTE_MS, lag_ms=LAG)
    assert (s.longest_backlog, s.longest_backlog_at_ms) == (3, 5)
    assert s.entries == 1  # only the one written inside the window
    assert s.behind_spans == ((5 * MINUTE_MS, 30 * MINUTE_MS),)  # inside the window:
    # the first entry had waited past the lag at -5 + 10 = 5 min


def test_an_ack_at_the_same_moment_as_a_write_leaves_first() -> None:
    s = sync_summary([(0, 100), (100, 200)], start_ms=0, end_ms=1000, read_ms=1000, lag_ms=LAG)
    assert s.longest_backlog == 1 and s.behind_ms == 0


def test_an_entry_never_acknowledged_waits_until_the_log_was_read() -> None:
    s = sync_summary(
        [(0, None)], start_ms=0, end_ms=60 * MINUTE_MS, read_ms=30 * MINUTE_MS, lag_ms=LAG
    )
    assert s.unacknowledged == 1
    assert s.behind_spans == ((LAG, 30 * MINUTE_MS),)
