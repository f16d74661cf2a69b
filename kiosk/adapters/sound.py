"""The kiosk's voice: a tone and an optional spoken prompt for each new verdict.

What is played is described in ``kiosk.core.announcements``; this adapter
renders it to WAV files and plays them with a system player.

- Tones are rendered here (sine beeps with soft edges, numpy + ``wave``): no
  engine needed.
- Prompts are rendered by the espeak-ng speech engine (``-v cmn`` Mandarin,
  ``-v en`` English), offline; trimmed of silence and brought to one level.
- For each verdict the tone and the prompt are joined into one WAV file,
  rendered once at start on a background thread and cached under
  ``<data_dir>/sound`` by a hash of everything that made them.
- Playback runs on its own thread from a small bounded queue: ``announce``
  only appends (the oldest waiting sound is dropped when full — the newest
  person matters), so a slow, busy or missing sound device never delays a
  scan.  A player that hangs is killed after ``PLAY_TIMEOUT_S``.

Nothing here raises into the kiosk: a missing player or engine, or one that
fails, turns into a one-line note in ``SoundStatus`` (logged once), e.g.
"sound: espeak-ng not installed; tones only".
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import subprocess
import threading
import wave
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from kiosk.adapters.config import SoundConfig
from kiosk.core.announcements import (
    PROMPT_GAP_S,
    RAMP_S,
    Announcement,
    SoundStatus,
    Tone,
    all_announcements,
)
from kiosk.core.model import Verdict
from kiosk.port import KioskEvent, VisitEvent

log = logging.getLogger("kiosk.sound")

SAMPLE_RATE = 22050
"""Tones are rendered at espeak-ng's own rate, so a tone and a prompt join without resampling."""
TONE_PEAK = 0.5
"""A tone's peak at volume 1, as a fraction of full scale.  A sine is loud for its peak
(RMS 0.35 here), so this keeps tones about as loud as the prompts after them."""
SPEECH_PEAK = 0.9
"""A prompt's peak at volume 1 after levelling (espeak-ng's own peaks vary with the text)."""
SILENCE_LEVEL = 0.01
"""Speech quieter than this (fraction of full scale) at either end is trimmed."""
EDGE_S = 0.02
"""Silence kept at each end of a trimmed prompt."""
SPEECH_TIMEOUT_S = 20.0
"""Longest the speech engine may take for one prompt before it is given up on."""
PLAY_TIMEOUT_S = 10.0
"""Longest one sound may play (a hung device is killed, the next sound plays)."""
PROBE_S = 0.05
"""The silence played at start to find out whether the device works."""
MAX_PENDING = 2
"""Sounds waiting to play; a newer one pushes out the oldest."""

PLAYERS: dict[str, tuple[str, ...]] = {"aplay": ("-q",), "paplay": (), "play": ("-q",)}
"""Known players, in the order ``player = "auto"`` tries them, with their quiet options."""
ENGINES = ("espeak-ng", "espeak")
"""Speech engines, first found is used."""
VOICES = {"zh_CN": "cmn", "en": "en"}
"""espeak-ng voice per prompt language."""

CACHE_VERSION = "1"
"""Part of every cached file's hash: bump when rendering changes."""


class SoundError(Exception):
    """A sound could not be rendered (the message says why, in one line)."""


# --- WAV files ---------------------------------------------------------------


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    """Write mono float samples (-1..1) as 16-bit PCM, atomically (no half file in the cache)."""
    pcm = np.clip(np.round(samples * 32767.0), -32767, 32767).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    tmp.replace(path)
    return path


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples (-1..1) and the rate of a 16-bit PCM WAV file (channels averaged)."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            data = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise SoundError(f"{path.name}: not a readable WAV file ({exc})") from None
    if width != 2:
        raise SoundError(f"{path.name}: {8 * width}-bit samples, expected 16-bit")
    samples = np.frombuffer(data, dtype="<i2").astype(np.float64) / 32767.0
    if channels > 1:
        samples = samples[: len(samples) // channels * channels]
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def level(samples: np.ndarray) -> tuple[float, float]:
    """(RMS, peak) of float samples, as fractions of full scale."""
    if len(samples) == 0:
        return 0.0, 0.0
    return float(np.sqrt(np.mean(samples**2))), float(np.max(np.abs(samples)))


# --- rendering ---------------------------------------------------------------


def tone_samples(tone: Tone, *, volume: float, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A tone's beeps as float samples: sines with ``RAMP_S`` fades, silence between."""
    parts = []
    ramp = max(1, int(RAMP_S * rate))
    for beep in tone.beeps:
        n = round(beep.duration_s * rate)
        t = np.arange(n) / rate
        wave_ = np.sin(2 * np.pi * beep.frequency_hz * t)
        envelope = np.ones(n)
        edge = min(ramp, n // 2)
        if edge:
            envelope[:edge] = np.linspace(0.0, 1.0, edge)
            envelope[n - edge :] = np.linspace(1.0, 0.0, edge)
        parts.append(wave_ * envelope * TONE_PEAK * volume)
        parts.append(np.zeros(round(beep.gap_after_s * rate)))
    return np.concatenate(parts) if parts else np.zeros(0)


def render_tone(tone: Tone, path: Path, *, volume: float, rate: int = SAMPLE_RATE) -> Path:
    """Render a tone to a WAV file."""
    return write_wav(path, tone_samples(tone, volume=volume, rate=rate), rate)


def find_engine(which: Callable[[str], str | None] = shutil.which) -> str | None:
    """The speech engine's path (espeak-ng, else espeak), or None."""
    for name in ENGINES:
        found = which(name)
        if found:
            return found
    return None


def speech_samples(
    text: str, language: str, *, engine: str, volume: float, workdir: Path
) -> tuple[np.ndarray, int]:
    """Speak ``text`` with the engine into samples: trimmed, and levelled to ``SPEECH_PEAK``."""
    voice = VOICES.get(language)
    if voice is None:
        raise SoundError(f"no voice for language {language!r}")
    workdir.mkdir(parents=True, exist_ok=True)
    raw = workdir / f".speech-{os.getpid()}-{threading.get_ident()}.wav"
    name = Path(engine).name
    try:
        result = subprocess.run(
            [engine, "-v", voice, "-w", str(raw), "--", text],
            capture_output=True,
            timeout=SPEECH_TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            said = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise SoundError(f"{name} failed ({said[-1] if said else f'exit {result.returncode}'})")
        samples, rate = read_wav(raw)
    except subprocess.TimeoutExpired:
        raise SoundError(f"{name} took over {SPEECH_TIMEOUT_S:g} s") from None
    except OSError as exc:
        raise SoundError(f"{name} cannot run ({exc.strerror})") from None
    finally:
        raw.unlink(missing_ok=True)
    loud = np.flatnonzero(np.abs(samples) > SILENCE_LEVEL)
    if len(loud) == 0:
        raise SoundError(f"{name} gave silence for {text!r}")
    edge = int(EDGE_S * rate)
    samples = samples[max(0, loud[0] - edge) : loud[-1] + edge + 1]
    _, peak = level(samples)
    return samples * (SPEECH_PEAK * volume / peak), rate


def render_prompt(text: str, language: str, path: Path, *, engine: str, volume: float) -> Path:
    """Speak ``text`` into a WAV file (see ``speech_samples``)."""
    samples, rate = speech_samples(
        text, language, engine=engine, volume=volume, workdir=path.parent
    )
    return write_wav(path, samples, rate)


def render_announcement(
    ann: Announcement,
    path: Path,
    *,
    volume: float,
    tones: bool = True,
    engine: str | None = None,
) -> Path:
    """One WAV file for a verdict: its tone (if ``tones``), then its prompt (with an ``engine``).

    Raises SoundError when the prompt cannot be spoken or nothing is left to play.
    """
    rate = SAMPLE_RATE
    speech = None
    if engine is not None:
        speech, rate = speech_samples(
            ann.prompt, ann.language, engine=engine, volume=volume, workdir=path.parent
        )
    parts = []
    if tones:
        parts.append(tone_samples(ann.tone, volume=volume, rate=rate))
    if speech is not None:
        if parts:
            parts.append(np.zeros(int(PROMPT_GAP_S * rate)))
        parts.append(speech)
    if not parts:
        raise SoundError("nothing to play (tones and voice both off)")
    return write_wav(path, np.concatenate(parts), rate)


def find_player(
    setting: str, which: Callable[[str], str | None] = shutil.which
) -> tuple[list[str] | None, str]:
    """The command that plays a WAV file (the file's path goes last), or None with a note."""
    if setting == "none":
        return None, "sound: player = none; off"
    if setting != "auto":
        found = which(setting)
        if not found:
            return None, f"sound: player {setting!r} not found; off"
        return [found, *PLAYERS.get(Path(setting).name, ())], ""
    for name, options in PLAYERS.items():
        found = which(name)
        if found:
            return [found, *options], ""
    return None, "sound: no audio player (aplay, paplay or sox's play); off"


# --- the kiosk's sound -------------------------------------------------------


class Sound:
    """Renders the verdicts' sounds at start and plays one per new person, off the caller's thread.

    ``announce`` (and ``on_event``, a ``KioskService.subscribe`` callback) only
    queue; ``start`` begins rendering and playing; ``stop`` ends both.
    ``on_status`` is called (on a sound thread) whenever ``status()`` changes.
    With ``probe``, a moment of silence is played first, so that a machine with
    no working sound device says so (and rings the bell) before the first person.
    """

    def __init__(
        self,
        config: SoundConfig,
        cache_dir: Path,
        *,
        which: Callable[[str], str | None] = shutil.which,
        max_pending: int = MAX_PENDING,
        play_timeout_s: float = PLAY_TIMEOUT_S,
        on_status: Callable[[SoundStatus], None] | None = None,
        probe: bool = True,
    ) -> None:
        self.config = config
        self.cache_dir = cache_dir
        self._play_timeout_s = play_timeout_s
        self._on_status = on_status
        self._cond = threading.Condition()
        self._pending: deque[Verdict | None] = deque(maxlen=max_pending)
        """Sounds to play, oldest first; None is the silent probe of the device at start."""
        self._files: dict[Verdict, Path] = {}
        self._busy = False
        self._playing: subprocess.Popen[bytes] | None = None
        self._probe = probe
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self.rendered = threading.Event()
        """Set once every verdict's file is rendered (or rendering gave up)."""
        self.played: list[Verdict] = []
        """Verdicts played so far, in order (the last few hundred)."""
        self.dropped = 0
        """Sounds pushed out of the queue by newer ones before they played."""

        self._command: list[str] | None = None
        self._engine: str | None = None
        notes = []
        if not config.enabled:
            notes.append("sound: off")
        elif not (config.tones or config.voice):
            notes.append("sound: tones and voice both off")
        else:
            self._command, note = find_player(config.player, which)
            if note:
                notes.append(note)
            elif config.voice:
                self._engine = find_engine(which)
                if self._engine is None:
                    notes.append(
                        "sound: espeak-ng not installed; tones only"
                        if config.tones
                        else "sound: espeak-ng not installed; off"
                    )
        self._status = SoundStatus(
            enabled=config.enabled,
            tones=bool(self._command) and config.tones,
            voice=bool(self._command) and self._engine is not None,
            player=Path(self._command[0]).name if self._command else "",
            language=config.language,
            note=notes[0] if notes else "",
        )
        self._can_play = self._status.audible
        if self._status.note:
            log.warning("%s", self._status.note)

    # --- status --------------------------------------------------------

    def status(self) -> SoundStatus:
        with self._cond:
            return self._status

    def _set_status(self, **change: object) -> None:
        with self._cond:
            new = replace(self._status, **change)  # type: ignore[arg-type]
            if new == self._status:
                return
            self._status = new
        if new.note:
            log.warning("%s", new.note)
        if self._on_status is not None:
            try:
                self._on_status(new)
            except Exception:
                log.exception("a sound status callback failed")

    # --- the caller's side: never blocks ---------------------------------

    def announce(self, verdict: Verdict) -> bool:
        """Queue ``verdict``'s sound; False when sound is off.  Returns at once."""
        with self._cond:
            if not self._can_play or self._stopping:
                return False
            if len(self._pending) == self._pending.maxlen and self._pending[0] is not None:
                self.dropped += 1
            self._pending.append(verdict)
            self._cond.notify_all()
        return True

    def on_event(self, event: KioskEvent) -> None:
        """``KioskService.subscribe`` callback: one sound per new person (``opened``)."""
        if isinstance(event, VisitEvent) and event.opened:
            self.announce(event.visit.verdict)

    # --- threads -------------------------------------------------------

    def start(self) -> Sound:
        """Render every verdict's file, then play as announced (both on daemon threads)."""
        if not self._can_play:
            self.rendered.set()
            return self
        if self._probe:
            with self._cond:
                self._pending.append(None)
        for name, target in (("sound-render", self._render_all), ("sound-play", self._play_loop)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop playing (the current sound is cut) and rendering; wait a little for the threads."""
        with self._cond:
            self._stopping = True
            self._pending.clear()
            playing = self._playing
            self._cond.notify_all()
        if playing is not None:
            with contextlib.suppress(OSError):
                playing.kill()
        for thread in self._threads:
            thread.join(timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until nothing is queued or playing; False if that took over ``timeout``."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)

    def _file_key(self, ann: Announcement, engine: str | None) -> str:
        made_of = repr(
            (CACHE_VERSION, ann, self.config.tones, self.config.volume,
             engine and Path(engine).name, SAMPLE_RATE, TONE_PEAK, SPEECH_PEAK)
        )  # fmt: skip
        digest = hashlib.sha256(made_of.encode()).hexdigest()[:16]
        return f"{ann.verdict.value.lower()}-{ann.language}-{digest}.wav"

    def _render_all(self) -> None:
        """Tones first for every verdict (fast, no engine), then each with its prompt."""
        try:
            anns = all_announcements(self.config.language)
            if self.config.tones:
                for ann in anns:
                    self._render_one(ann, None)
            if self._engine is not None:
                for ann in anns:
                    if self._stopping or not self._render_one(ann, self._engine):
                        break
        except Exception as exc:  # never into the kiosk: note it and play what there is
            log.exception("rendering sounds failed")
            self._set_status(note=f"sound: rendering failed ({exc})")
        finally:
            self.rendered.set()

    def _render_one(self, ann: Announcement, engine: str | None) -> bool:
        path = self.cache_dir / self._file_key(ann, engine)
        if not path.exists():
            try:
                render_announcement(
                    ann, path, volume=self.config.volume, tones=self.config.tones, engine=engine
                )
            except (SoundError, OSError) as exc:
                if engine is None:
                    self._set_status(tones=False, note=f"sound: cannot render tones ({exc})")
                else:
                    why = f"sound: {exc}; tones only" if self.config.tones else f"sound: {exc}; off"
                    self._set_status(voice=False, note=why)
                return False
        with self._cond:
            self._files[ann.verdict] = path
        return True

    def _play_loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stopping)
                if self._stopping:
                    return
                verdict = self._pending.popleft()
                self._busy = True
            try:
                path = self._file_for(verdict)
                if path is not None:
                    self._play(verdict, path)
            except Exception as exc:  # never end the thread: the next sound tries again
                log.exception("playing a sound failed")
                self._set_status(failing=True, note=f"sound: cannot play ({exc})")
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _file_for(self, verdict: Verdict | None) -> Path | None:
        if verdict is None:
            path = self.cache_dir / "probe-silence.wav"
            if not path.exists():
                write_wav(path, np.zeros(int(PROBE_S * SAMPLE_RATE)), SAMPLE_RATE)
            return path
        with self._cond:
            found = self._files.get(verdict)
        if found is None:  # not rendered yet: a late tone beats a missing one
            self.rendered.wait(SPEECH_TIMEOUT_S)
            with self._cond:
                found = self._files.get(verdict)
        return found

    def _play(self, verdict: Verdict | None, path: Path) -> None:
        assert self._command is not None
        name = Path(self._command[0]).name
        problem = ""
        try:
            with self._cond:
                if self._stopping:
                    return
                self._playing = subprocess.Popen(
                    [*self._command, str(path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
                proc = self._playing
            try:
                _, err = proc.communicate(timeout=self._play_timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                problem = f"sound: {name} took over {self._play_timeout_s:g} s; cut"
            else:
                if proc.returncode != 0 and not self._stopping:
                    said = err.decode("utf-8", "replace").strip().splitlines()
                    problem = f"sound: {name} failed ({said[-1] if said else proc.returncode})"
        except OSError as exc:
            problem = f"sound: {name} cannot run ({exc.strerror})"
        finally:
            with self._cond:
                self._playing = None
        if problem:
            self._set_status(failing=True, note=f"{problem}; the terminal bell rings instead")
            return
        with self._cond:
            if verdict is not None:
                self.played.append(verdict)
                del self.played[:-500]
            recovered = self._status.failing
        if recovered:
            self._set_status(failing=False, note="")
