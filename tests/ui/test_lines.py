"""The plain-text builders and the block-letter font, without an app."""

from __future__ import annotations

import pytest

from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.model import Verdict
from kiosk.port import ListStatus, SyncStatus
from kiosk.ui import banner, lines
from kiosk.ui.screens import parse_celsius
from kiosk.ui.widgets import MAX_SCAN_LENGTH, scan_key
from tests.ui import samples


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_can_be_drawn_and_fits_80_columns(verdict: Verdict) -> None:
    word = f"{lines.SYMBOL[verdict]} {verdict.value}"
    assert banner.can_draw(word)
    drawn = banner.draw(word)
    assert len(drawn) == banner.height() == 5
    assert {len(row) for row in drawn} == {banner.width(word)}
    assert banner.width(word) <= 78
    assert banner.width(word, 2) <= 100
    assert len(banner.draw(word, 2)) == 10


def test_font_has_no_glyph_for_text_from_codes() -> None:
    assert not banner.can_draw("[bold]")


def test_reasons_deny_first_in_core_order() -> None:
    reasons = [
        Reason(ReasonCode.CLOCK_SKEW, Severity.NOTE, "n"),
        Reason(ReasonCode.MASK_NEEDED, Severity.REVIEW, "r1"),
        Reason(ReasonCode.EXPIRED, Severity.DENY, "d1"),
        Reason(ReasonCode.TEMPERATURE_NEEDED, Severity.REVIEW, "r2"),
        Reason(ReasonCode.REVOKED, Severity.DENY, "d2"),
    ]
    assert [r.message for r in lines.ordered(reasons)] == ["d1", "d2", "r1", "r2", "n"]


@pytest.mark.parametrize(
    ("age_s", "text", "style"),
    [
        (None, "Trust list ✗ NONE", lines.BAD_STYLE),
        (3600, "Trust list 1 hour ago", lines.OK_STYLE),
        (30 * 3600, "Trust list ! old 30 hours ago", lines.WARN_STYLE),
        (80 * 3600, "Trust list ✗ STALE 3 days ago", lines.BAD_STYLE),
    ],
)
def test_list_age_in_words_and_colour(age_s: int | None, text: str, style: str) -> None:
    shown = lines.list_age("Trust list", age_s, ListStatus())
    assert shown.plain == text
    assert shown.spans[-1].style == style


def test_sync_text() -> None:
    now = samples.NOW
    assert lines.sync_text(SyncStatus(), now).plain == "Sync – off, 0 waiting"
    never = SyncStatus(enabled=True, online=False, backlog=4)
    assert lines.sync_text(never, now).plain == "Sync ✗ OFFLINE, never synced, 4 waiting"


def test_control_characters_never_reach_the_screen() -> None:
    decision = samples.allow("Wang\x1b[2J\u202e*ming\n")
    assert lines.identity_line(decision, samples.SITE).plain.startswith("Wang[2J*ming ·")


@pytest.mark.parametrize(
    ("typed", "value"),
    [("36.6", 36.6), (" 38,2 ", 38.2), ("", None), ("hot", None), ("nan", None), ("inf", None)],
)
def test_parse_celsius(typed: str, value: float | None) -> None:
    assert parse_celsius(typed) == value


def test_scan_line_takes_only_code_characters() -> None:
    assert scan_key("", "a", "a") is None, "lower case is the guard's"
    assert scan_key("", "M", "M") is None, "a capital guard key on an empty line is a key"
    assert scan_key("", "A", "A") is None and scan_key("", "Q", "Q") is None
    assert scan_key("", "space", " ") is None
    assert scan_key("", "enter", None) is None
    assert scan_key("", "H", "H") == ("H", None)
    assert scan_key("H", "M", "M") == ("HM", None)
    assert scan_key("HM", "space", " ") == ("HM ", None)
    assert scan_key("HM", "question_mark", "?") is None
    assert scan_key("HM", "left_square_bracket", "[") is None
    assert scan_key("HM", "backspace", None) == ("H", None)
    assert scan_key("HM", "escape", None) == ("", None)
    assert scan_key("HM", "enter", None) == ("", "HM")


def test_scan_line_is_bounded() -> None:
    full = "A" * MAX_SCAN_LENGTH
    assert scan_key(full, "B", "B") == (full, None)


def test_the_clock_warning_is_said_in_the_kiosk_language() -> None:
    from kiosk.port import ClockStatus
    from kiosk.ui.i18n import set_language

    warning = "kiosk clock is 7200 s ahead of the server's (signed)"
    set_language("zh_CN")
    try:
        line = lines.clock_text(ClockStatus(warning=warning), 1_763_880_000, samples.SITE).plain
    finally:
        set_language("en")
    said = line.split(" ! ", 1)[1]
    assert "7200" in said and not any(w in said for w in ("clock", "ahead", "server")), said
    english = lines.clock_text(ClockStatus(warning=warning), 1_763_880_000, samples.SITE).plain
    assert english.endswith(f"! {warning}")
