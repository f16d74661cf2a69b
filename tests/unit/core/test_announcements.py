"""Each verdict has its own tone and prompt, in both languages."""

from __future__ import annotations

import pytest

from kiosk.core.announcements import (
    LANGUAGES,
    PROMPTS,
    TONES,
    SoundStatus,
    all_announcements,
    announcement,
    language_of,
)
from kiosk.core.model import Verdict


def test_every_verdict_has_a_tone_told_apart_by_pitch_or_rhythm() -> None:
    shapes = {
        v: (tuple(b.frequency_hz for b in t.beeps), tuple(b.duration_s for b in t.beeps))
        for v, t in TONES.items()
    }
    assert set(shapes) == set(Verdict)
    assert len(set(shapes.values())) == len(Verdict)
    assert len(TONES[Verdict.REVIEW].beeps) == 2
    deny, allow = TONES[Verdict.DENY].beeps[0], TONES[Verdict.ALLOW].beeps[0]
    assert deny.frequency_hz < allow.frequency_hz and deny.duration_s > allow.duration_s
    assert all(0.1 <= t.duration_s <= 1.0 for t in TONES.values())


def test_every_language_has_a_distinct_prompt_per_verdict() -> None:
    for language in LANGUAGES:
        prompts = PROMPTS[language]
        assert set(prompts) == set(Verdict)
        assert len(set(prompts.values())) == len(Verdict)
    assert announcement(Verdict.ALLOW, "zh_CN").prompt == "绿码，请通行"
    assert announcement(Verdict.REVIEW, "zh_CN").prompt == "请稍候，人工核验"
    assert announcement(Verdict.DENY, "zh_CN").prompt == "禁止通行"
    assert announcement(Verdict.DENY, "en").prompt == "Entry denied"
    assert [a.verdict for a in all_announcements("en")] == list(Verdict)


@pytest.mark.parametrize(
    ("name", "want"),
    [("zh_CN", "zh_CN"), ("zh-CN", "zh_CN"), ("zh", "zh_CN"), ("en", "en"), ("en_GB", "en")],
)
def test_language_names_are_read_leniently(name: str, want: str) -> None:
    assert language_of(name) == want


def test_a_language_without_prompts_is_refused() -> None:
    with pytest.raises(ValueError, match="no prompts in language 'fr'"):
        language_of("fr")


def test_sound_is_audible_only_with_a_player_something_to_play_and_no_failure() -> None:
    assert SoundStatus(enabled=True, tones=True, player="aplay").audible
    assert not SoundStatus(enabled=True, tones=True, player="").audible
    assert not SoundStatus(enabled=True, player="aplay").audible
    assert not SoundStatus(enabled=True, voice=True, player="aplay", failing=True).audible
    assert not SoundStatus(enabled=False, tones=True, player="aplay").audible
