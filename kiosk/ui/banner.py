"""Block letters for the verdict, readable from a step away.

Textual's ``Digits`` widget draws numbers only, and the guard needs three
words (ALLOW, DENY, REVIEW) with their symbols (✓ ✗ ?).  This module holds a
five-row font for exactly those characters and draws a word at a whole-number
scale, so the verdict panel can pick the biggest size that fits its box.
Plain strings out, no styling: the panel colours them.
"""

from __future__ import annotations

ROWS = 5
"""Height of one glyph at scale 1, in terminal lines."""

GAP = 1
"""Blank columns between two glyphs at scale 1."""

_INK = "█"

_FONT: dict[str, tuple[str, ...]] = {
    "A": (" ### ", "#   #", "#####", "#   #", "#   #"),
    "D": ("#### ", "#   #", "#   #", "#   #", "#### "),
    "E": ("#####", "#    ", "#### ", "#    ", "#####"),
    "I": ("###", " # ", " # ", " # ", "###"),
    "L": ("#    ", "#    ", "#    ", "#    ", "#####"),
    "N": ("#   #", "##  #", "# # #", "#  ##", "#   #"),
    "O": (" ### ", "#   #", "#   #", "#   #", " ### "),
    "R": ("#### ", "#   #", "#### ", "#  # ", "#   #"),
    "V": ("#   #", "#   #", "#   #", " # # ", "  #  "),
    "W": ("#   #", "#   #", "# # #", "## ##", "#   #"),
    "Y": ("#   #", " # # ", "  #  ", "  #  ", "  #  "),
    "✓": ("    #", "   ##", "#  # ", "## # ", " ##  "),
    "✗": ("#   #", " # # ", "  #  ", " # # ", "#   #"),
    "?": (" ### ", "#   #", "  ## ", "     ", "  #  "),
    " ": ("  ", "  ", "  ", "  ", "  "),
}


def can_draw(text: str) -> bool:
    """True when every character of ``text`` has a glyph in the font."""
    return all(ch in _FONT for ch in text)


def width(text: str, scale: int = 1) -> int:
    """Columns ``text`` takes when drawn at ``scale``."""
    if not text:
        return 0
    glyphs = sum(len(_FONT[ch][0]) for ch in text)
    return (glyphs + GAP * (len(text) - 1)) * scale


def height(scale: int = 1) -> int:
    """Lines a drawing at ``scale`` takes."""
    return ROWS * scale


def draw(text: str, scale: int = 1) -> list[str]:
    """``text`` in block letters: ``height(scale)`` lines of ``width(text, scale)`` columns.

    Raises ``KeyError`` for a character without a glyph (see ``can_draw``);
    the words drawn are the verdict's own, never text from a code.
    """
    gap = " " * GAP
    rows = [gap.join(_FONT[ch][row] for ch in text) for row in range(ROWS)]
    lines: list[str] = []
    for row in rows:
        wide = "".join(cell * scale for cell in row).replace("#", _INK)
        lines.extend([wide] * scale)
    return lines
