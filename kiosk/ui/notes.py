"""Notes from the kiosk's parts (sound, camera, sync, entry log) in the kiosk's language.

The adapters and the service say what happened in English, once, for their
logs, the status and sync, as the core does with its reason messages.  What
a guard or an IT person reads — ``kiosk run`` on stderr, the status bar —
goes through ``say``: it finds the English template a note was made from,
translates the template with the catalogs and fills it with the same values
(a value that is itself a known note, such as the cause in
``sound: {error}; tones only``, is translated too).  A note no template
matches comes back as it is: an operating system's or a server's own words.

``tests/ui/test_notes.py`` reads the adapters' sources and fails when one of
their notes or log messages has no template here, and the catalog test fails
when a template has no translation.
"""

from __future__ import annotations

import re
from functools import cache

from kiosk.ui.i18n import N_, _

NOTES: tuple[str, ...] = (
    # --- sound (kiosk.adapters.sound) ---
    N_("sound: off"),
    N_("sound: tones and voice both off"),
    N_("sound: player = none; off"),
    N_("sound: player {player} not found; off"),
    N_("sound: no audio player (aplay, paplay or sox's play); off"),
    N_("sound: espeak-ng not installed; tones only"),
    N_("sound: espeak-ng not installed; off"),
    N_("sound: rendering failed ({error})"),
    N_("sound: cannot render tones ({error})"),
    N_("sound: cannot play ({error})"),
    N_("sound: {error}; tones only"),
    N_("sound: {error}; off"),
    N_("{problem}; the terminal bell rings instead"),
    N_("sound: {player} took over {seconds} s; cut"),
    N_("sound: {player} failed ({error})"),
    N_("sound: {player} cannot run ({error})"),
    N_("no voice for language {language}"),
    N_("{engine} failed ({error})"),
    N_("{engine} took over {seconds} s"),
    N_("{engine} cannot run ({error})"),
    N_("{engine} gave silence for {text}"),
    N_("nothing to play (tones and voice both off)"),
    N_("{file}: not a readable WAV file ({error})"),
    N_("{file}: {bits}-bit samples, expected 16-bit"),
    N_("a sound status callback failed"),
    N_("rendering sounds failed"),
    N_("playing a sound failed"),
    # --- camera (kiosk.adapters.camera) ---
    N_("camera {index}: {note}"),
    N_("camera {index}"),
    N_("exposure {ms} ms not set: backend {backend} has no exposure control"),
    N_("exposure {ms} ms not set: {error}"),
    N_("exposure {ms} ms refused by the camera ({backend}); auto exposure"),
    N_("{camera}: camera lost, reopening"),
    N_("{camera}: cannot open: {error}"),
    N_("{camera}: cannot open"),
    N_("{camera}: read failed: {error}"),
    # --- sync (kiosk.adapters.sync) and the kiosk's identity ---
    N_("batch {batch} parked ({n} entries): {reason}"),
    N_("{file}: cannot write: {error}"),
    N_("on_failure callback failed"),
    N_("on_lists callback failed"),
    N_("sync round failed"),
    N_("sync attempt not logged: {error}"),
    N_("sync failed: {error}"),
    N_("{file}: identity key missing: run kiosk keygen and re-register"),
    N_("{file}: no kiosk identity key (run 'kiosk keygen')"),
    N_("{file}: cannot read the identity key: {error}"),
    N_("{file}: cannot write the identity key: {error}"),
    N_("{file}: not a PEM private key ({error})"),
    N_("{file}: expected an Ed25519 key, got {kind}"),
    # --- the entry log and the service (kiosk.service) ---
    N_("entry log not writable: {fault}"),
    N_("stopping with {n} entries not logged ({fault}): they are lost"),
    N_("frame source failed"),
    N_("opening a visit failed"),
    N_("status round failed; the next one runs in a second"),
    N_("purge skipped: the server has not confirmed the kiosk clock"),
    N_("purging old entries failed; they are kept"),
    N_("a subscriber failed"),
    # --- notes the service writes into the log (the log view shows them) ---
    N_("not yet in the log"),
    N_("temperature {reading} °C"),
    N_("mask worn"),
    N_("no mask"),
    N_("left without a decision after {seconds} s waiting for the guard"),
)
"""English templates of the notes a guard or an IT person may read, ``{name}`` for a value."""

MAX_DEPTH = 3
"""How deep a note inside a note is translated."""

_FIELD = re.compile(r"\{(\w+)\}")


@cache
def _patterns() -> list[tuple[re.Pattern[str], str]]:
    """Each template as a regular expression, the most literal first (so that
    ``sound: espeak-ng not installed; off`` wins over ``sound: {error}; off``)."""
    found = []
    for template in NOTES:
        parts = _FIELD.split(template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        literal = len(_FIELD.sub("", template))
        found.append((literal, re.compile(regex, re.DOTALL), template))
    found.sort(key=lambda item: -item[0])
    return [(pattern, template) for _literal, pattern, template in found]


def template_of(text: str) -> str | None:
    """The template ``text`` was made from, or None."""
    for pattern, template in _patterns():
        if pattern.fullmatch(text):
            return template
    return None


def say(text: str, depth: int = 0) -> str:
    """``text`` (an English note) in the kiosk's language; as it is if no template matches."""
    for pattern, template in _patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = match.groupdict()
        if depth < MAX_DEPTH:
            values = {name: say(value, depth + 1) for name, value in values.items()}
        try:
            return _(template).format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def say_listed(text: str) -> str:
    """``temperature 38.5 °C, no mask`` (readings joined with ``, ``) in the kiosk's language;
    text that is not made of known notes, such as a guard's own reason, as it is."""
    said = say(text)
    if said != text or ", " not in text:
        return said
    parts = text.split(", ")
    if not all(template_of(part) for part in parts):
        return text
    return _(", ").join(say(part) for part in parts)


def say_all(text: str) -> str:
    """Notes joined with ``; `` (as the status joins them), each in the kiosk's language.

    A note may hold ``; `` itself (``sound: espeak-ng not installed; tones only``): from
    each place, the shortest run of pieces that is a known note is said as one."""
    pieces = text.split("; ")
    said = []
    start = 0
    while start < len(pieces):
        for end in range(start + 1, len(pieces) + 1):
            run = "; ".join(pieces[start:end])
            if template_of(run) is not None:
                said.append(say(run))
                start = end
                break
        else:
            said.append(pieces[start])
            start += 1
    return "; ".join(said)
