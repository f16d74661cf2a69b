"""One decision per person: presentations, holds, passback and shared screenshots.

A camera sees the same phone on dozens of consecutive frames, and a person
may lower and raise it again.  This module decides, for each QR text read,
whether it starts a new decision and what it means that it was seen
before:

- **same presentation** — the same text again within ``presentation_gap_s``
  of its last sighting: the same phone still in front of the camera.  No new
  decision.
- **hold** — the same holder (any code of theirs) again within ``hold_s`` of
  their last decision: the person is still at the door, perhaps with a
  refreshed dynamic code.  No new entry.
- **shared code** — a text that already made a decision comes back after
  the phone went away (a gap longer than ``presentation_gap_s``), within
  ``shared_window_s``: a screenshot passed to a second person.  A new
  decision, flagged REVIEW ``SHARED_CODE``.
- **passback** — the same holder decided again after ``hold_s`` but within
  ``repeat_review_s`` (a card passed back through the gate, or a second
  entry without leaving).  A new decision, flagged REVIEW ``PASSBACK``.

Pure and deterministic: times are passed in (seconds, any monotonic base),
memory is bounded by ``max_tracked`` and by forgetting what is older than
the longest window.

"The same code" means the same signed content, not the same QR text: a code
is keyed by its identity (``codec.code_identity``, SHA-256 over the protected
header and the payload, what the signature covers).  Wrapping it in COSE tag
18, recompressing it, adding unprotected headers or flipping its ECDSA ``s``
to ``n - s`` gives another text but the same key, so a re-encoded screenshot
meets the same SHARED_CODE and PASSBACK rules as an exact copy.  A text with
no readable COSE_Sign1 (not a health code) is keyed by the SHA-256 of the text.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

from kiosk.core.codec import identity_of_text
from kiosk.core.errors import Reason, ReasonCode, Severity


class Sighting(StrEnum):
    """What a read of a QR text amounts to."""

    NEW = "new"
    SAME_PRESENTATION = "same_presentation"
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class ReplayRules:
    presentation_gap_s: float = 1.5
    hold_s: float = 5.0
    repeat_review_s: float = 600.0
    shared_window_s: float = 1800.0
    max_tracked: int = 10_000


@dataclass(frozen=True, slots=True)
class Outcome:
    sighting: Sighting
    reasons: tuple[Reason, ...] = ()


@dataclass(slots=True)
class _TextSeen:
    first_t: float
    last_t: float
    decided: bool


def text_digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def replay_key(text: str) -> bytes:
    """What "have I seen this code" is keyed on: the code's identity, else the text's digest."""
    identity = identity_of_text(text)
    return b"C" + identity if identity is not None else b"T" + text_digest(text)


class ReplayGuard:
    """Stateful rules over recent sightings; feed it every read, in time order."""

    def __init__(self, rules: ReplayRules = ReplayRules()) -> None:
        self.rules = rules
        self._texts: OrderedDict[bytes, _TextSeen] = OrderedDict()
        self._holders: OrderedDict[str, float] = OrderedDict()
        self._last_key: tuple[str, bytes] = ("", replay_key(""))

    def _key(self, text: str) -> bytes:
        """``replay_key`` with a one-entry memo: a phone on camera repeats one text."""
        if self._last_key[0] != text:
            self._last_key = (text, replay_key(text))
        return self._last_key[1]

    def sighting(self, text: str, t: float) -> Outcome | None:
        """First stage, before judging: is this read a continuing presentation?

        Returns an Outcome for a read that must not be judged again, or None
        when the text should be judged (then call ``decided``).
        """
        self._forget(t)
        key = self._key(text)
        seen = self._texts.get(key)
        if seen is not None and t - seen.last_t <= self.rules.presentation_gap_s:
            seen.last_t = max(seen.last_t, t)
            self._texts.move_to_end(key)
            return Outcome(Sighting.SAME_PRESENTATION)
        return None

    def decided(self, text: str, holder_key: str, t: float) -> Outcome:
        """Second stage, after judging: a new entry, a hold, or a flagged repeat."""
        digest = self._key(text)
        seen = self._texts.get(digest)
        reasons: list[Reason] = []
        if seen is not None and seen.decided and t - seen.first_t <= self.rules.shared_window_s:
            reasons.append(
                Reason(
                    ReasonCode.SHARED_CODE,
                    Severity.REVIEW,
                    "this code was already shown here: a screenshot shared by two people?",
                )
            )
        self._texts[digest] = _TextSeen(seen.first_t if seen else t, t, True)
        self._texts.move_to_end(digest)
        if holder_key:
            last = self._holders.get(holder_key)
            if last is not None and not reasons:
                if t - last <= self.rules.hold_s:
                    return Outcome(Sighting.HOLD)
                if t - last <= self.rules.repeat_review_s:
                    minutes = max(1, round((t - last) / 60))
                    reasons.append(
                        Reason(
                            ReasonCode.PASSBACK,
                            Severity.REVIEW,
                            f"this person was already let through here {minutes} min ago",
                            (("age_s", str(round(t - last))),),
                        )
                    )
            self._holders[holder_key] = t
            self._holders.move_to_end(holder_key)
        self._trim()
        return Outcome(Sighting.NEW, tuple(reasons))

    def _forget(self, t: float) -> None:
        horizon = max(self.rules.shared_window_s, self.rules.repeat_review_s, self.rules.hold_s)
        while self._texts:
            digest, seen = next(iter(self._texts.items()))
            if t - seen.last_t <= horizon:
                break
            del self._texts[digest]
        while self._holders:
            key, last = next(iter(self._holders.items()))
            if t - last <= horizon:
                break
            del self._holders[key]

    def _trim(self) -> None:
        while len(self._texts) > self.rules.max_tracked:
            self._texts.popitem(last=False)
        while len(self._holders) > self.rules.max_tracked:
            self._holders.popitem(last=False)
