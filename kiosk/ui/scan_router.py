"""Keys -> scanner or focused field: a keyboard-wedge scanner never types into a dialog.

A wedge scanner is a keyboard.  Whatever has focus (the reason box of an
approval, the temperature box, the log search) would get the next person's
code, and the code's Enter would confirm the dialog.  The scanner gives
itself away by two things a person does not do together: it types a code's
prefix (``HCK1:`` or ``HC1:``) and it types it in a burst, a few milliseconds
a key, where people take a tenth of a second or more.

``ScanRouter`` sees every key first, with its time.  An ``H`` is held back
(not yet given to the focused field) while the router waits for the next key:
if the prefix follows in a burst, every key up to Enter belongs to the
scanner and the focused field keeps its text; if anything else follows, or
nothing follows within ``BURST_GAP_S``, the held keys are handed to the field
in order (``tick`` does that when nothing follows), so the guard loses no
keystroke.  Pure: times are passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BURST_GAP_S = 0.05
"""Longest gap between two keys of a scanner burst.  Wedge scanners type a key
every 1-10 ms; a person's fastest key-to-key gaps are several times this."""

SCAN_IDLE_S = 0.5
"""A scan that stops this long without Enter is over: what it typed is submitted."""

PREFIXES = ("HCK1:", "HC1:")
"""How every code a scanner types starts (the health code, the foreign certificate)."""

CODE_CHARACTERS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
"""What a scanner types: the QR alphanumeric set (Base45's alphabet and the prefixes)."""

Key = tuple[str, str | None]
"""A key as Textual names it, and the character it types (None for e.g. arrows)."""


@dataclass(slots=True)
class Routed:
    """What to do with the keys fed so far."""

    to_focus: list[Key] = field(default_factory=list)
    """Keys for the focused field, in the order they were typed."""
    scanned: list[str] = field(default_factory=list)
    """Whole codes the scanner typed."""


class ScanRouter:
    """Routes keys typed while a field has focus (see the module docstring)."""

    def __init__(self, gap_s: float = BURST_GAP_S, idle_s: float = SCAN_IDLE_S) -> None:
        self.gap_s = gap_s
        self.idle_s = idle_s
        self._held: list[Key] = []
        self._buffer = ""
        self._scanning = False
        self._last_t = 0.0

    @property
    def busy(self) -> bool:
        """True while keys are held back or a scan is being typed."""
        return bool(self._held) or self._scanning

    def feed(self, key: str, character: str | None, t: float) -> Routed:
        routed = self.tick(t)
        if self._scanning:
            self._last_t = t
            if key == "enter":
                routed.scanned.append(self._buffer)
                self._reset()
            elif character is not None and character in CODE_CHARACTERS:
                self._buffer += character
            return routed
        if self._held:
            candidate = self._buffer + (character or "")
            if (
                character
                and t - self._last_t <= self.gap_s
                and any(p.startswith(candidate) for p in PREFIXES)
            ):
                self._held.append((key, character))
                self._buffer = candidate
                self._last_t = t
                if candidate in PREFIXES:
                    self._held = []
                    self._scanning = True
                return routed
            routed.to_focus.extend(self._held)
            self._reset()
        if character == PREFIXES[0][0]:
            self._held = [(key, character)]
            self._buffer = character
            self._last_t = t
            return routed
        routed.to_focus.append((key, character))
        return routed

    def tick(self, t: float) -> Routed:
        """Hand over held keys once no burst followed; end a scan that stopped without Enter."""
        routed = Routed()
        if self._held and t - self._last_t > self.gap_s:
            routed.to_focus.extend(self._held)
            self._reset()
        elif self._scanning and t - self._last_t > self.idle_s:
            routed.scanned.append(self._buffer)
            self._reset()
        return routed

    def _reset(self) -> None:
        self._held = []
        self._buffer = ""
        self._scanning = False
