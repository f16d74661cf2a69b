"""What the kiosk says and sounds when a person's verdict is shown.

At rush hour the guard watches faces, not the screen: each verdict has its own
short tone, told apart by pitch and rhythm alone, and an optional spoken prompt
in the site's language.  This module only *describes* them (frequencies,
durations, words); ``kiosk.adapters.sound`` renders and plays them.

    ALLOW   one short high beep            "绿码，请通行"       "Green code, please pass"
    REVIEW  two mid beeps                  "请稍候，人工核验"   "Please wait for the guard"
    DENY    one long low tone              "禁止通行"           "Entry denied"

Pure values only: no clock, no file, no sound device.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.core.model import Verdict

LANGUAGES = ("zh_CN", "en")
"""The languages a prompt can be spoken in (``sound.language``)."""

ALLOW_HZ = 1320.0
"""ALLOW: a high E (E6), bright and short, heard as "go" over street noise."""
ALLOW_BEEP_S = 0.15
"""ALLOW: the single beep's length in seconds."""

REVIEW_HZ = 880.0
"""REVIEW: a mid A (A5), the pitch of a doorbell, calling the guard."""
REVIEW_BEEP_S = 0.12
"""REVIEW: each of the two beeps, in seconds."""
REVIEW_GAP_S = 0.08
"""REVIEW: the silence between its two beeps, in seconds."""

DENY_HZ = 330.0
"""DENY: a low E (E4), an octave and more below the others, heard as "stop"."""
DENY_TONE_S = 0.6
"""DENY: the one long tone's length in seconds."""

RAMP_S = 0.005
"""Fade in and out at each beep's edges (no click from a sudden start or stop)."""

PROMPT_GAP_S = 0.15
"""Silence between the tone and the spoken prompt."""


@dataclass(frozen=True, slots=True)
class Beep:
    """One sine beep: its pitch, its length, and the silence after it."""

    frequency_hz: float
    duration_s: float
    gap_after_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Tone:
    """A verdict's tone: beeps played one after another."""

    beeps: tuple[Beep, ...]

    @property
    def duration_s(self) -> float:
        return sum(b.duration_s + b.gap_after_s for b in self.beeps)


TONES: dict[Verdict, Tone] = {
    Verdict.ALLOW: Tone((Beep(ALLOW_HZ, ALLOW_BEEP_S),)),
    Verdict.REVIEW: Tone(
        (Beep(REVIEW_HZ, REVIEW_BEEP_S, REVIEW_GAP_S), Beep(REVIEW_HZ, REVIEW_BEEP_S))
    ),
    Verdict.DENY: Tone((Beep(DENY_HZ, DENY_TONE_S),)),
}
"""One distinct tone per verdict (see the module docstring)."""

PROMPTS: dict[str, dict[Verdict, str]] = {
    "zh_CN": {
        Verdict.ALLOW: "绿码，请通行",
        Verdict.REVIEW: "请稍候，人工核验",
        Verdict.DENY: "禁止通行",
    },
    "en": {
        Verdict.ALLOW: "Green code, please pass",
        Verdict.REVIEW: "Please wait for the guard",
        Verdict.DENY: "Entry denied",
    },
}
"""The spoken prompt per language and verdict: short, and the same every time."""


@dataclass(frozen=True, slots=True)
class Announcement:
    """What to play for one verdict: its tone and, in ``language``, its prompt."""

    verdict: Verdict
    language: str
    tone: Tone
    prompt: str


def language_of(name: str) -> str:
    """``zh_CN``, ``zh``, ``zh-CN``, ``cmn`` -> ``zh_CN``; ``en``, ``en_GB`` -> ``en``.

    Raises ValueError for a language the kiosk has no prompts for.
    """
    key = name.strip().replace("-", "_").lower()
    if key in {"zh", "zh_cn", "zh_hans", "zh_hans_cn", "cmn"}:
        return "zh_CN"
    if key == "en" or key.startswith("en_"):
        return "en"
    raise ValueError(f"no prompts in language {name!r} (there are: {', '.join(LANGUAGES)})")


def announcement(verdict: Verdict, language: str = "zh_CN") -> Announcement:
    """The tone and the prompt for ``verdict`` in ``language`` (see ``language_of``)."""
    lang = language_of(language)
    return Announcement(verdict, lang, TONES[verdict], PROMPTS[lang][verdict])


def all_announcements(language: str) -> list[Announcement]:
    """Every verdict's announcement in one language (rendered once at start)."""
    return [announcement(v, language) for v in Verdict]


@dataclass(frozen=True, slots=True)
class SoundStatus:
    """What the kiosk's sound can do now, for the status line and the log.

    ``note`` is empty when everything configured works; else one short line
    such as "sound: espeak-ng not installed; tones only".
    """

    enabled: bool = False
    tones: bool = False
    """Tones are played (a player was found)."""
    voice: bool = False
    """Spoken prompts are played (the speech engine rendered them)."""
    player: str = ""
    """The player program in use ("aplay", "paplay", "play", ...), "" for none."""
    language: str = ""
    failing: bool = False
    """The last sound did not play (the device or player failed); the next one tries again."""
    note: str = ""

    @property
    def audible(self) -> bool:
        """Something is heard on each new verdict (so the terminal bell may stay quiet)."""
        playable = self.tones or self.voice
        return self.enabled and bool(self.player) and playable and not self.failing
