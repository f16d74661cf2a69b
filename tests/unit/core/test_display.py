"""Display text: cleaning untrusted strings, and the guard's words for time."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.core import limits
from kiosk.core.display import clean_text, days_ago, hours_ago, plural, short_date


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Wang *ming", "Wang *ming"),
        ("  Wang\t\t*ming \n", "Wang *ming"),
        ("Wang\r\n*ming", "Wang *ming"),
        ("Wang\x00\x07\x1b[31m*ming", "Wang[31m*ming"),
        ("Wang\x85*ming", "Wang *ming"),
        ("Wang\x9b31m", "Wang31m"),
        ("abc\u202edcba", "abcdcba"),
        ("\u2066x\u2069\u2067y\u2068z\u061c\u200e\u200f", "xyz"),
        ("\u202a\u202b\u202c\u202d", ""),
        ("zero\u200bwidth\u200c\u200d\ufeffjoin", "zerowidthjoin"),
        ("soft\u00adhyphen", "softhyphen"),
        ("tag\U000e0041\U000e007f", "tag"),
        ("lone\ud800surrogate\udfff", "lonesurrogate"),
        ("private\ue000use", "privateuse"),
        ("line\u2028para\u2029end", "line para end"),
        ("wide\u3000space\u00a0nbsp", "wide space nbsp"),
        ("filler\u3164\u3164name", "filler name"),
        ("\u3164", ""),
        ("[bold green]ALLOWED[/]", "[bold green]ALLOWED[/]"),
        ("[/", "[/"),
        ("王*明", "王*明"),
        ("e\u0301", "\u00e9"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_combining_marks_are_capped() -> None:
    zalgo = "Z" + "\u0300\u0301\u0302\u0303\u0304\u0305\u0306" * 50 + "a"
    assert clean_text(zalgo) == "Z\u0300\u0301\u0302\u0303a"


def test_length_is_capped_with_ellipsis() -> None:
    assert clean_text("x" * 64) == "x" * 64
    assert clean_text("x" * 65) == "x" * 63 + "…"
    assert len(clean_text("x" * 1_000_000)) == limits.MAX_DISPLAY_LEN
    assert clean_text("abcdef", max_len=4) == "abc…"
    assert clean_text("ab  cdef", max_len=4) == "ab…"
    assert clean_text("abc", max_len=1) == "…"
    assert clean_text("abc", max_len=0) == ""
    assert clean_text("abc", max_len=-3) == ""


def test_whitespace_only_input_past_the_budget_is_empty_or_marked() -> None:
    assert clean_text(" " * 5_000) == ""
    assert clean_text(" " * 100_000) == "…"
    assert clean_text("\u200b" * 5_000 + "ok") == "ok"
    assert clean_text("\u200b" * 100_000 + "ok") == "…"


def test_non_str_gives_empty() -> None:
    assert clean_text(None) == ""  # type: ignore[arg-type]
    assert clean_text(b"abc") == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0, "just now"),
        (59, "just now"),
        (60, "1 min ago"),
        (45 * 60, "45 min ago"),
        (3599, "59 min ago"),
        (3600, "1 h ago"),
        (31 * 3600 + 59, "31 h ago"),
        (72 * 3600 - 1, "71 h ago"),
        (72 * 3600, "3 days ago"),
        (86400 * 400, "400 days ago"),
        (-30, "just now"),
        (-120, "in 2 min"),
        (-2 * 3600, "in 2 h"),
        (-5 * 86400, "in 5 days"),
        (float("nan"), "at an unknown time"),
    ],
)
def test_hours_ago(seconds: float, words: str) -> None:
    assert hours_ago(seconds) == words


@pytest.mark.parametrize(
    ("days", "words"),
    [(0, "today"), (1, "1 day ago"), (53, "53 days ago"), (-1, "in 1 day"), (-2, "in 2 days")],
)
def test_days_ago(days: int, words: str) -> None:
    assert days_ago(days) == words


def test_short_date() -> None:
    assert short_date(dt.date(2023, 11, 18)) == "18 Nov"
    assert short_date(dt.date(2023, 10, 1), dt.date(2023, 11, 18)) == "1 Oct"
    assert short_date(dt.date(2022, 12, 31), dt.date(2023, 1, 2)) == "31 Dec 2022"
    assert short_date(dt.date(1, 1, 1), dt.date(2023, 1, 2)) == "1 Jan 1"


def test_plural() -> None:
    assert plural(1, "dose") == "1 dose"
    assert plural(0, "dose") == "0 doses"
    assert plural(2, "dose") == "2 doses"
