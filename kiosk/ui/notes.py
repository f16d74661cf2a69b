"""Notes from the kiosk's parts (sound, camera, sync, entry log) in the kiosk's language.

The adapters and the service say what happened in English, once, for their
logs, the status and sync, as the core does with its reason messages.  What
a guard or an IT person reads — ``kiosk run`` on stderr, the status bar —
goes through ``say``: it finds the English template a note was made from,
translates the template with the catalogs and fills it with the same values
(a value that is itself a known note, such as the cause in
``sound: {error}; tones only``, is translated too).  A note no template
matches comes back as it is: an operating system's or a server's own words.

The texts the sync puts in its status (a refused batch or list, a request
with no answer, the clock's warnings) are notes too: the status bar says
them with ``say_all``, so a Chinese status bar keeps only a server's or the
system's own words in English.

``tests/ui/test_notes.py`` reads the adapters' sources and fails when one of
their notes or log messages has no template here, and the catalog test fails
when a template has no translation.  ``say`` and ``template_of`` take the
family of templates to match (these notes by default): the errors that stop
``kiosk run`` at start are another family (``kiosk.ui.config_words``).
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
    N_("{file}: cannot read: {error}"),
    N_("{file}: not a readable image"),
    N_("{folder}: cannot list folder: {error}"),
    N_("{file}: not a video or image folder (cannot decode it)"),
    N_("{file}: not a video or image folder (no frame could be read)"),
    N_("{file}: not a video or image folder (no png/jpg/bmp/webp inside)"),
    N_("{file}: cannot open video"),
    N_("{source}: cannot read scanned text: {error}"),
    N_("{source}: cannot open {what}"),
    N_("stream"),
    N_("no frame source given (a camera index, URL, video, folder or 'wedge')"),
    N_("{file}: no such file or folder"),
    N_("{file}: not a regular file"),
    N_("{file}: permission denied"),
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
    # --- the sync's status: a failed request, a refused batch, a refused list ---
    N_("{url}: server answered {status} (a redirect to {where}); redirects are never followed"),
    N_("{url}: server answered {status}"),
    N_("{status} (a redirect to {where})"),
    N_("redirects are never followed"),
    N_("{url}: server busy (429)"),
    N_("{url}: server busy (429): {message}"),
    N_("{url}: server error {status}"),
    N_("{url}: server error {status}: {message}"),
    N_("{url}/v1/heads: server {status}: {message}"),
    N_("server refused kiosk {kiosk}: {message} (register it: server-stub admin register-kiosk)"),
    N_("server refused kiosk {kiosk}: {message}"),
    N_("the server has revoked kiosk {kiosk}: {message}"),
    N_("batch refused ({message}); sending a new one"),
    N_("batch too large; sending {n} entries at a time"),
    N_("server refused the batch ({status} {error}): {message}"),
    N_("{n} entries parked: {reason}"),
    N_("{url}: {error}; nothing marked sent"),
    N_("{url}: {error}; nothing can be marked sent"),
    N_("{url}/v1/time: {error}"),
    N_("server {status}: {message}"),
    N_("{error}; keeping the old one"),
    N_("keeping the old one"),
    N_("nothing marked sent"),
    N_("nothing can be marked sent"),
    N_("the server has no site policy"),
    N_("new lists not applied: {error}"),
    N_("{list}: failed: {message}"),
    N_("{list}: failed (version {version}): {message}"),
    N_("{list}: refused: {message}"),
    N_("{list}: refused (version {version}): {message}"),
    N_("trust list"),
    N_("revocation list"),
    N_("site policy"),
    N_("plain http:// to the server: entries cross the network unencrypted"),
    N_(
        "{n} entries parked (refused by the server: {reason});"
        " kiosk sync --retry-parked after a fix"
    ),
    N_("{problem}; judging by the config's policy file {file}"),
    # --- a signed list, policy or key the kiosk refused (kiosk.core.trust, server_signed) ---
    N_("server ack key"),
    N_("root key is not a usable PEM public key: {error}"),
    N_("trust list key {index}"),
    N_("{file}: no {what} yet"),
    N_("{file}: not a valid site policy: {error}"),
    N_("{what}: signature does not verify against the pinned root key"),
    N_("{what}: signature does not verify against the pinned root"),
    N_("{what}: signature does not verify"),
    N_("{what}: signed with {alg}, the root key uses {root_alg}"),
    N_("{what}: issued {seconds} s in the future (iat {iat}); check the kiosk clock"),
    N_("{what}: version {version} is older than the version {held} already held"),
    N_("{what}: version {version} again with other content (a replay); refused"),
    N_("{what}: expired at {time}"),
    N_("{what}: signed for {sites}, not this site {site}"),
    N_("no site"),
    N_("{what}: has no expiry ('exp')"),
    N_("{what}: {size} bytes, more than {cap}"),
    N_("{what}: {size} bytes, too large"),
    N_("{what}: not an ack key certificate"),
    N_("{what}: the ack key must be Ed25519"),
    N_("{what}: spki is not a key ({error})"),
    N_("{what}: expected spki (bytes), iat < exp (integers)"),
    N_("{what}: payload must be a map"),
    N_("{what}: must be a map"),
    N_("{what}: '{key}' must be an integer"),
    N_("{what}: 'exp' must be later than 'iat'"),
    N_("{what}: 'kid' must be {n} bytes"),
    N_("{what}: algorithm {alg} is not supported"),
    N_("{what}: 'spki' must be bytes (DER SubjectPublicKeyInfo)"),
    N_("{what}: 'spki' is not a usable public key ({error})"),
    N_("{what}: key type does not match algorithm {alg}"),
    N_("{what}: 'iss' must be text of 1..{n} characters"),
    N_("{what}: 'keys' must be an array"),
    N_("{what}: 'revoked' must be an array"),
    N_("{what}: entry {i} must be {n} bytes"),
    N_("{what}: 'policy' must be text of at most {n} characters"),
    N_("{what}: 'ver' and 'policy' are required"),
    N_("{what}: 'sites' must be a list of text"),
    # --- a request that got no usable answer (kiosk.adapters.http_fetch) ---
    N_("{url}: answer in an unknown Content-Encoding {encoding}"),
    N_("{url}: answer larger than {cap} bytes (after decompression)"),
    N_("{url}: corrupt compressed answer ({error})"),
    N_("{url}: no complete answer within the {seconds} s deadline"),
    N_("{url}: answer of {size} bytes, more than {cap}"),
    N_("{url}: connection dropped in the middle of the answer ({error})"),
    N_("{url}: connection dropped in the middle of the answer"),
    N_("{url}: no answer within {seconds} s"),
    N_("{url}: TLS failed: the server's certificate is not trusted ({error})"),
    N_("{url}: connection refused (is the server running?)"),
    N_("{url}: connection closed by the server without an answer"),
    N_("{url}: cannot connect ({error})"),
    N_("{url}: request failed ({error})"),
    # --- a signed answer of the server that is not right (kiosk.core.server_signed) ---
    N_("no server ack key is held yet (GET /v1/ack-key or server.ack_key)"),
    N_("no server ack key is held yet"),
    N_("the ack is not signed (no X-Ack-Signature)"),
    N_("the ack's signature does not verify with the server ack key"),
    N_("the signed ack does not have the ack fields"),
    N_("the signed ack is for kiosk {got}, not {kiosk}"),
    N_("the signed ack names another batch"),
    N_("the signed ack is for another body under this batch id"),
    N_("the signed ack names {n} entries, not exactly the {sent} sent"),
    N_("the time answer is not signed"),
    N_("the time answer's signature does not verify"),
    N_("the signed time answer is not for this request"),
    N_("the signed time answer has no server_time_ms"),
    N_("the heads answer is not signed by the server ack key"),
    N_("the signed heads answer is not for this request"),
    N_("the signed heads answer has a malformed head"),
    # --- the kiosk clock (kiosk.core.clock) ---
    N_("kiosk clock is {seconds} s ahead of the server's (signed)"),
    N_("kiosk clock is {seconds} s behind the server's (signed)"),
    N_("kiosk clock is {seconds} s behind its own newest entry: it went backwards"),
    N_(
        "kiosk clock is {seconds} s ahead of the server's Date header"
        " (unsigned: noted, not trusted)"
    ),
    N_("kiosk clock is {seconds} s behind the server's Date header (unsigned: noted, not trusted)"),
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
def _patterns(templates: tuple[str, ...]) -> list[tuple[re.Pattern[str], str]]:
    """Each template as a regular expression, the most literal first (so that
    ``sound: espeak-ng not installed; off`` wins over ``sound: {error}; off``)."""
    found = []
    for template in templates:
        parts = _FIELD.split(template)
        regex = "".join(
            re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
        )
        literal = len(_FIELD.sub("", template))
        found.append((literal, re.compile(regex, re.DOTALL), template))
    found.sort(key=lambda item: -item[0])
    return [(pattern, template) for _literal, pattern, template in found]


def template_of(text: str, templates: tuple[str, ...] = NOTES) -> str | None:
    """The template ``text`` was made from (one of ``templates``), or None."""
    for pattern, template in _patterns(templates):
        if pattern.fullmatch(text):
            return template
    return None


def say(text: str, depth: int = 0, templates: tuple[str, ...] = NOTES) -> str:
    """``text`` (an English note) in the kiosk's language; as it is if none of ``templates``
    matches.  Other families of messages (``kiosk.ui.config_words``) pass their own."""
    for pattern, template in _patterns(templates):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        values = match.groupdict()
        if depth < MAX_DEPTH:
            values = {
                name: _say_value(value, depth + 1, templates) for name, value in values.items()
            }
        try:
            return _(template).format(**values)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def _known(text: str, templates: tuple[str, ...]) -> bool:
    """Is ``text`` a known note, or a chain ``where: what`` with a known note in it?"""
    if template_of(text, templates) is not None:
        return True
    return ": " in text and any(_known(part, templates) for part in text.split(": ", 1))


def _say_value(value: str, depth: int, templates: tuple[str, ...]) -> str:
    """A value inside a note: a known note, said; a chain ``where: what`` holding one (an
    address in front of a refusal: ``http://…/v1/ack-key: server ack key``), said part by
    part; anything else (a path, a server's own words) as it is."""
    if template_of(value, templates) is not None or not _known(value, templates):
        return say(value, depth, templates)
    head, rest = value.split(": ", 1)
    return _("{where}: {what}").format(
        where=_say_value(head, depth, templates), what=_say_value(rest, depth, templates)
    )


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
