"""The kiosk's sound on real parts: tones and espeak-ng prompts rendered to WAV files and
measured (length, level, no clipping); a player that hangs never holds the caller; the
queue keeps the newest; a missing engine or player is a note, never an exception."""

from __future__ import annotations

import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from kiosk.adapters.config import SoundConfig
from kiosk.adapters.sound import (
    SPEECH_PEAK,
    TONE_PEAK,
    Sound,
    find_engine,
    find_player,
    level,
    read_wav,
    render_announcement,
    render_prompt,
    render_tone,
)
from kiosk.core.announcements import LANGUAGES, TONES, all_announcements, announcement
from kiosk.core.model import Verdict
from tests.ui import samples
from tests.waiting import wait_for

ENGINE = find_engine()
needs_engine = pytest.mark.skipif(
    ENGINE is None,
    reason="espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)",
)
SOXI = shutil.which("soxi")

FLOOR_RMS = 0.03
"""A rendered sound quieter than this (fraction of full scale) would not be heard at a gate."""
CLIPPED = 0.999


def _duration_and_level(path: Path) -> tuple[float, float, float]:
    samples, rate = read_wav(path)
    rms, peak = level(samples)
    return len(samples) / rate, rms, peak


def _soxi_seconds(path: Path) -> float:
    out = subprocess.run(
        [str(SOXI), "-D", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return float(out)


# --- rendering ---------------------------------------------------------------


@pytest.mark.parametrize("verdict", list(Verdict))
def test_each_tone_renders_to_its_length_and_level(tmp_path: Path, verdict: Verdict) -> None:
    tone = TONES[verdict]
    path = render_tone(tone, tmp_path / f"{verdict}.wav", volume=1.0)
    seconds, rms, peak = _duration_and_level(path)
    assert seconds == pytest.approx(tone.duration_s, abs=0.001)
    assert peak == pytest.approx(TONE_PEAK, abs=0.01)
    assert rms > FLOOR_RMS
    if SOXI:
        assert _soxi_seconds(path) == pytest.approx(tone.duration_s, abs=0.001)


def test_tones_scale_with_the_volume(tmp_path: Path) -> None:
    tone = TONES[Verdict.DENY]
    _, loud, _ = _duration_and_level(render_tone(tone, tmp_path / "loud.wav", volume=1.0))
    _, soft, _ = _duration_and_level(render_tone(tone, tmp_path / "soft.wav", volume=0.25))
    assert soft == pytest.approx(loud / 4, rel=0.01)


@needs_engine
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("verdict", list(Verdict))
def test_each_prompt_is_spoken_to_a_wav_of_sensible_length_and_level(
    tmp_path: Path, language: str, verdict: Verdict
) -> None:
    assert ENGINE is not None
    ann = announcement(verdict, language)
    path = render_prompt(ann.prompt, language, tmp_path / "prompt.wav", engine=ENGINE, volume=0.8)
    seconds, rms, peak = _duration_and_level(path)
    assert 0.3 <= seconds <= 4.0, f"{ann.prompt!r} lasts {seconds:.2f} s"
    assert rms > FLOOR_RMS, f"{ann.prompt!r} is too quiet (RMS {rms:.3f})"
    assert peak == pytest.approx(SPEECH_PEAK * 0.8, abs=0.01)
    assert peak < CLIPPED
    if SOXI:
        assert _soxi_seconds(path) == pytest.approx(seconds, abs=0.01)


@needs_engine
def test_mandarin_is_spoken_in_mandarin_not_spelled_out(tmp_path: Path) -> None:
    """espeak-ng with an English voice reads Chinese characters as their names (long);
    the Mandarin voice speaks six syllables for the six characters of 绿码，请通行."""
    assert ENGINE is not None
    zh = render_prompt("绿码，请通行", "zh_CN", tmp_path / "zh.wav", engine=ENGINE, volume=1)
    spelled = render_prompt("绿码，请通行", "en", tmp_path / "en.wav", engine=ENGINE, volume=1)
    spoken_s, _, _ = _duration_and_level(zh)
    spelled_s, _, _ = _duration_and_level(spelled)
    assert spoken_s < 3.0 < spelled_s


@needs_engine
def test_a_verdicts_file_is_its_tone_then_its_prompt(tmp_path: Path) -> None:
    assert ENGINE is not None
    ann = announcement(Verdict.REVIEW, "zh_CN")
    both = render_announcement(ann, tmp_path / "both.wav", volume=0.8, engine=ENGINE)
    alone = render_prompt(ann.prompt, "zh_CN", tmp_path / "alone.wav", engine=ENGINE, volume=0.8)
    both_s, _, peak = _duration_and_level(both)
    alone_s, _, _ = _duration_and_level(alone)
    assert both_s == pytest.approx(alone_s + ann.tone.duration_s + 0.15, abs=0.01)
    assert peak < CLIPPED


def test_without_an_engine_only_the_tone_is_rendered(tmp_path: Path) -> None:
    ann = announcement(Verdict.DENY, "zh_CN")
    path = render_announcement(ann, tmp_path / "deny.wav", volume=0.8, engine=None)
    seconds, rms, _ = _duration_and_level(path)
    assert seconds == pytest.approx(ann.tone.duration_s, abs=0.001) and rms > FLOOR_RMS


# --- finding the engine and the player ---------------------------------------


def _which(*present: str):  # type: ignore[no-untyped-def]
    return lambda name: f"/usr/bin/{name}" if name in present else None


def test_the_player_is_the_first_one_installed() -> None:
    assert find_player("auto", _which("paplay", "play")) == (["/usr/bin/paplay"], "")
    assert find_player("auto", _which("aplay", "play")) == (["/usr/bin/aplay", "-q"], "")
    assert find_player("play", _which("aplay", "play")) == (["/usr/bin/play", "-q"], "")
    command, note = find_player("auto", _which())
    assert command is None and note == "sound: no audio player (aplay, paplay or sox's play); off"
    assert find_player("mpv", _which()) == (None, "sound: player 'mpv' not found; off")
    assert find_player("none", _which("aplay")) == (None, "sound: player = none; off")


def test_a_missing_engine_is_a_note_and_the_tones_still_play(tmp_path: Path) -> None:
    sound = Sound(SoundConfig(voice=True), tmp_path, which=_which("aplay"))
    status = sound.status()
    assert status.note == "sound: espeak-ng not installed; tones only"
    assert status.tones and not status.voice and status.audible


def test_no_player_is_a_note_and_sound_is_off(tmp_path: Path) -> None:
    sound = Sound(SoundConfig(voice=True), tmp_path, which=_which("espeak-ng")).start()
    status = sound.status()
    assert status.note.startswith("sound: no audio player") and not status.audible
    assert sound.announce(Verdict.DENY) is False
    sound.stop()


def test_sound_switched_off_plays_nothing(tmp_path: Path) -> None:
    sound = Sound(SoundConfig(enabled=False), tmp_path, which=_which("aplay", "espeak-ng"))
    assert not sound.status().audible and sound.announce(Verdict.ALLOW) is False


# --- playing -----------------------------------------------------------------


def _held_player(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A player that notes each file it is given, then plays until ``release`` exists."""
    played, release = tmp_path / "played.txt", tmp_path / "release"
    script = tmp_path / "held-player"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$1" >> "{played}"\n'
        "n=0\n"
        f'while [ ! -e "{release}" ] && [ $n -lt 2000 ]; do sleep 0.01; n=$((n+1)); done\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script, played, release


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_playing_never_holds_the_caller_and_the_newest_sound_wins(tmp_path: Path) -> None:
    script, played, release = _held_player(tmp_path)
    sound = Sound(SoundConfig(player=str(script)), tmp_path / "cache", max_pending=2, probe=False)
    sound.start()
    try:
        assert sound.rendered.wait(10)
        assert sound.announce(Verdict.ALLOW)
        assert wait_for(lambda: len(_lines(played)) == 1)  # the player is now held
        # Three more people while it plays: each call returns though the player cannot
        # finish until ``release`` exists; the queue keeps the two newest.
        assert sound.announce(Verdict.REVIEW)
        assert sound.announce(Verdict.DENY)
        assert sound.announce(Verdict.ALLOW)
        assert not release.exists() and len(_lines(played)) == 1
        assert sound.dropped == 1
        release.touch()
        assert sound.wait_idle(10)
        assert sound.played == [Verdict.ALLOW, Verdict.DENY, Verdict.ALLOW]
        files = [Path(line).name for line in _lines(played)]
        assert [f.split("-")[0] for f in files] == ["allow", "deny", "allow"]
        assert sound.status().note == ""
    finally:
        release.touch()
        sound.stop()


def test_stop_cuts_a_sound_that_is_playing(tmp_path: Path) -> None:
    script, played, release = _held_player(tmp_path)
    sound = Sound(SoundConfig(player=str(script)), tmp_path / "cache", probe=False).start()
    assert sound.rendered.wait(10) and sound.announce(Verdict.DENY)
    assert wait_for(lambda: len(_lines(played)) == 1)
    sound.stop()
    assert not release.exists()
    assert not any(t.is_alive() for t in sound._threads)


def test_a_hung_player_is_cut_and_the_next_sound_plays(tmp_path: Path) -> None:
    script, _, release = _held_player(tmp_path)
    sound = Sound(
        SoundConfig(player=str(script)), tmp_path / "cache", play_timeout_s=0.2, probe=False
    ).start()
    try:
        assert sound.rendered.wait(10) and sound.announce(Verdict.DENY)
        assert wait_for(lambda: "took over 0.2 s" in sound.status().note)
        assert not sound.status().audible  # the bell takes over meanwhile
        release.touch()
        assert sound.announce(Verdict.ALLOW) and sound.wait_idle(10)
        assert sound.played == [Verdict.ALLOW]
        assert sound.status().note == "" and sound.status().audible
    finally:
        release.touch()
        sound.stop()


def test_a_failing_device_is_found_at_start_and_is_a_note_not_an_exception(
    tmp_path: Path,
) -> None:
    script = tmp_path / "no-device"
    script.write_text('#!/bin/sh\necho "aplay: main: no soundcards found..." >&2\nexit 1\n')
    script.chmod(0o755)
    seen = []
    sound = Sound(SoundConfig(player=str(script)), tmp_path / "cache", on_status=seen.append)
    assert sound.status().audible
    sound.start()
    try:
        assert sound.wait_idle(10)  # the silent probe at start has been tried
        note = sound.status().note
        assert re.fullmatch(
            r"sound: no-device failed \(aplay: main: no soundcards found\.\.\.\); "
            r"the terminal bell rings instead",
            note,
        )
        assert seen[-1].failing and not seen[-1].audible
        assert sound.announce(Verdict.REVIEW) and sound.wait_idle(10)  # tried again, no raise
        assert sound.played == [] and sound.status().failing
    finally:
        sound.stop()


def test_only_a_new_person_is_announced(tmp_path: Path) -> None:
    script, _, release = _held_player(tmp_path)
    release.touch()
    sound = Sound(SoundConfig(player=str(script)), tmp_path / "cache").start()
    try:
        assert sound.rendered.wait(10)
        sound.on_event(samples.event(samples.review(), opened=False))  # a reading, an overrule
        sound.on_event(samples.event(samples.deny(), opened=True))
        assert sound.wait_idle(10)
        assert sound.played == [Verdict.DENY]
    finally:
        sound.stop()


@needs_engine
def test_with_voice_each_verdict_plays_one_file_with_tone_and_prompt(tmp_path: Path) -> None:
    script, played, release = _held_player(tmp_path)
    release.touch()
    config = SoundConfig(player=str(script), voice=True, language="en")
    sound = Sound(config, tmp_path / "cache", probe=False).start()
    try:
        assert sound.rendered.wait(30)
        status = sound.status()
        assert status.voice and status.tones and status.note == ""
        for ann in all_announcements("en"):
            assert sound.announce(ann.verdict) and sound.wait_idle(10)
        for line, ann in zip(_lines(played), all_announcements("en"), strict=True):
            seconds, rms, peak = _duration_and_level(Path(line))
            assert ann.tone.duration_s + 0.3 < seconds < ann.tone.duration_s + 4.5
            assert rms > FLOOR_RMS and peak < CLIPPED
    finally:
        sound.stop()


def test_rendered_files_are_cached_across_starts(tmp_path: Path) -> None:
    script, _, release = _held_player(tmp_path)
    release.touch()
    first = Sound(SoundConfig(player=str(script)), tmp_path / "cache").start()
    assert first.rendered.wait(10)
    first.stop()
    made = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").glob("*-zh_CN-*.wav")}
    assert len(made) == len(Verdict)
    second = Sound(SoundConfig(player=str(script)), tmp_path / "cache").start()
    assert second.rendered.wait(10)
    second.stop()
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").glob("*-zh_CN-*.wav")} == made
    louder = Sound(SoundConfig(player=str(script), volume=1.0), tmp_path / "cache").start()
    assert louder.rendered.wait(10)
    louder.stop()
    assert len(list((tmp_path / "cache").glob("*-zh_CN-*.wav"))) == 2 * len(Verdict)
