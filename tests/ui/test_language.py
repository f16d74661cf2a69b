"""The guard's language: every string has its translation, and the screen speaks it.

The catalogs are checked against the source itself (Babel extracts the marked
strings again here), so a string marked in the code but never translated fails
a test, not a guard.  The committed ``.mo`` must say what its ``.po`` says.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from rich.cells import cell_len

from kiosk.core.errors import Reason, ReasonCode, Severity
from kiosk.core.reason_words import REASON_WORDS, codes_matching
from kiosk.ui import i18n, lines, words
from kiosk.ui.areas import area_name
from kiosk.ui.i18n import LOCALE_DIR, set_language
from kiosk.ui.widgets import StatusBar
from tests.ui import samples
from tests.ui.drive import deliver, drive, make_app

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
TRANSLATED = [lang for lang in i18n.LANGUAGES if lang != "en"]
EXTRA_NAMES = {"{day} {month}": {"m"}}
"""Placeholders a translation may use beyond its English text (the month as a number)."""


def source_messages() -> set[str]:
    method_map = [
        ("kiosk/ui/**.py", "python"),
        ("kiosk/core/reason_words.py", "python"),
        ("kiosk/commands/run.py", "python"),
    ]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


@pytest.fixture(autouse=True)
def english_after() -> object:
    yield
    set_language("en")


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_in_the_source_is_translated(language: str) -> None:
    with po_path(language).open("rb") as f:
        catalog = read_po(f)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id): m
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    messages = source_messages()
    assert len(messages) > 250
    missing = sorted(messages - translated.keys())
    assert not missing, f"no {language} translation for: {missing}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_their_placeholders(language: str) -> None:
    with po_path(language).open("rb") as f:
        catalog = read_po(f)
    names = re.compile(r"\{(\w*)\}")
    for m in catalog:
        if not m.id:
            continue
        english = m.id if isinstance(m.id, tuple) else (m.id,)
        said = m.string if isinstance(m.string, tuple) else (m.string,)
        allowed = set(names.findall(english[0])) | EXTRA_NAMES.get(english[0], set())
        for text in said:
            assert set(names.findall(text)) <= allowed, (m.id, text)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_mo_matches_its_po(language: str) -> None:
    """The .mo files are committed (a kiosk runs without Babel): they must not lag the .po."""
    with po_path(language).open("rb") as f:
        catalog = read_po(f)
    mo = po_path(language).with_suffix(".mo")
    with mo.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for m in catalog:
        if not m.id:
            continue
        if isinstance(m.id, tuple):
            assert compiled.ngettext(m.id[0], m.id[1], 1) == m.string[0], m.id
        else:
            assert compiled.gettext(m.id) == m.string, (
                f"{mo} is older than its .po: run pybabel compile -D kiosk -d kiosk/locale"
            )


def test_every_reason_code_has_words_in_chinese() -> None:
    set_language("zh_CN")
    for code in ReasonCode:
        said = words.phrase(code)
        assert said != REASON_WORDS[code] and not said.isascii(), code


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="fr"):
        set_language("fr")


# --- words ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "english", "chinese"),
    [
        (30, "just now", "刚刚"),
        (45 * 60, "45 minutes ago", "45 分钟前"),
        (7309, "2 hours ago", "2 小时前"),
        (3600, "1 hour ago", "1 小时前"),
        (5 * 86400, "5 days ago", "5 天前"),
        (-300, "in 5 minutes", "5 分钟后"),
    ],
)
def test_ages_in_minutes_hours_or_days(seconds: int, english: str, chinese: str) -> None:
    set_language("en")
    assert words.ago(seconds) == english
    set_language("zh_CN")
    assert words.ago(seconds) == chinese


def test_areas_by_name_and_unknown_codes_as_codes() -> None:
    assert area_name("CN-110105", "zh_CN") == "北京市朝阳区"
    assert area_name("CN-110105", "en") == "Chaoyang District, Beijing"
    assert area_name("CN-330106", "zh_CN") == "杭州市西湖区"
    assert area_name("CN-999999", "zh_CN") == "CN-999999"


def risk_reason() -> Reason:
    params = (("area", "CN-110105"), ("level", "H"), ("date", "2026-11-18"), ("more", "1"))
    return Reason(ReasonCode.TRAVEL_RISK_AREA, Severity.DENY, "visited …", params)


def test_reason_words_in_both_languages() -> None:
    expired = Reason(ReasonCode.EXPIRED, Severity.DENY, "expired 7309 s ago", (("age_s", "7309"),))
    set_language("en")
    assert words.reason_words(expired) == "code expired 2 hours ago: ask for a fresh code"
    assert words.reason_words(risk_reason()) == (
        "visited a high-risk area: Chaoyang District, Beijing on 18 Nov and 1 more"
    )
    set_language("zh_CN")
    assert words.reason_words(expired) == "码已于2 小时前过期：请对方刷新健康码"
    assert words.reason_words(risk_reason()) == "到过高风险地区：11月18日 北京市朝阳区等 1 处"


def test_a_reason_without_facts_shows_its_phrase_not_its_code() -> None:
    bare = Reason(ReasonCode.NAT_TOO_OLD, Severity.DENY, "older than 72 h")
    set_language("en")
    assert words.reason_words(bare) == "nucleic acid test too old"


def test_severity_words_are_padded_by_cells() -> None:
    set_language("zh_CN")
    widths = {cell_len(lines.severity_word(s)) for s in Severity}
    assert len(widths) == 1


def test_log_search_finds_codes_by_their_chinese_words() -> None:
    set_language("zh_CN")
    chinese = {code: words.phrase(code) for code in REASON_WORDS}
    assert "SHARED_CODE" in codes_matching("截图", chinese)
    assert "TEMPERATURE_HIGH" in codes_matching("发热", chinese)


# --- the screen ---------------------------------------------------------------


def test_the_chinese_screen_says_every_reason_in_chinese() -> None:
    app, port = make_app(language="zh_CN")

    async def script(pilot: object) -> None:
        await deliver(pilot, port, samples.event(samples.deny()))  # type: ignore[arg-type]
        text = app.verdict_text.plain
        assert "禁止通行" in text and "红码" in text
        reasons = app.query_one("#reasons").plain.splitlines()  # type: ignore[attr-defined]
        assert reasons == [
            "✗ 禁止 核酸检测阳性（20 小时前采样）",
            "✗ 禁止 红码：本场所不准进入",
            "? 核验 行程记录太旧：生成于30 小时前，时限 24 小时",
        ]
        bar = app.query_one(StatusBar)
        for row in bar.plain.splitlines():
            assert cell_len(row) <= bar.content_size.width

    drive(app, script)


def test_an_expired_code_that_verified_shows_who_and_when_not_forged() -> None:
    import dataclasses

    expired = dataclasses.replace(
        samples.allow(),
        verdict=samples.Verdict.DENY,
        reasons=(
            Reason(ReasonCode.EXPIRED, Severity.DENY, "expired 7309 s ago", (("age_s", "7309"),)),
        ),
        credential=None,
        signed=True,
    )
    app, port = make_app()

    async def script(pilot: object) -> None:
        await deliver(pilot, port, samples.event(expired))  # type: ignore[arg-type]
        assert "Wang *ming" in app.verdict_text.plain
        certificates = app.query_one("#certificates").plain  # type: ignore[attr-defined]
        assert "Nucleic acid: negative" in certificates
        reasons = app.query_one("#reasons").plain  # type: ignore[attr-defined]
        assert "code expired 2 hours ago" in reasons
        assert "Forged" not in certificates

    drive(app, script)


def test_a_forged_code_says_forged_or_damaged() -> None:
    forged = samples.Decision(
        verdict=samples.Verdict.DENY,
        reasons=(Reason(ReasonCode.BAD_SIGNATURE, Severity.DENY, "signature does not match"),),
        decided_at=samples.NOW,
    )
    app, port = make_app()

    async def script(pilot: object) -> None:
        await deliver(pilot, port, samples.event(forged))  # type: ignore[arg-type]
        assert "(code not verified)" in app.verdict_text.plain
        certificates = app.query_one("#certificates").plain  # type: ignore[attr-defined]
        assert "Forged or damaged: not a valid health code" in certificates

    drive(app, script)


def test_keys_and_idle_screen_in_chinese() -> None:
    app, _port = make_app(language="zh_CN")

    async def script(pilot: object) -> None:
        descriptions = {b.description for bs in app._bindings.key_to_bindings.values() for b in bs}
        assert {"放行", "拒绝", "体温", "退出"} <= descriptions
        assert "等待扫码" in app.verdict_text.plain
        assert "请向摄像头出示健康码" in app.verdict_text.plain

    drive(app, script)
