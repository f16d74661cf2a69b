"""Typed, checked reading of one table of a parsed TOML document.

The kiosk reads two TOML files at start, its configuration and the site
policy, into frozen objects; both must say exactly which key is wrong and
what was expected, and both refuse keys they do not know (a typo such as
``mask.requried`` must not be silently ignored).  ``Table`` is that reader,
for both: every accessor takes the key, its default and its bounds, records
that the key was seen, and raises ``TableError`` naming the full key
(``mask.required``) on a wrong type or an out-of-range value.  The caller
adds where the table came from (a file's path, the server's signed policy).

Pure: it reads a mapping that ``tomllib`` already produced; paths, files and
clocks are the callers' business.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TypeVar

_E = TypeVar("_E", bound=Enum)

SHOWN_MAX = 60
"""Longest rendering of a wrong value in an error message."""


class TableError(ValueError):
    """A key of a TOML table is wrong; the message names the full key and what was expected."""


def shown(value: object) -> str:
    """``repr`` of a wrong value, cut to ``SHOWN_MAX`` characters."""
    text = repr(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 3] + "..."


class Table:
    """One table: typed access by key, with the keys seen remembered for ``check_unknown``."""

    def __init__(
        self, data: Mapping[str, object], prefix: str = "", unknown_hint: str = ""
    ) -> None:
        self.data = data
        self.prefix = prefix
        self.unknown_hint = unknown_hint
        self.seen: set[str] = set()

    def error(self, message: str) -> Exception:
        """The exception to raise for ``message``; a caller's subclass adds where it came from."""
        return TableError(message)

    def fail(self, key: str, expected: str, got: object) -> Exception:
        return self.error(f"key '{self.prefix}{key}': expected {expected}, got {shown(got)}")

    def child(self, data: Mapping[str, object], prefix: str) -> Table:
        """A sub-table read the same way (a subclass returns its own kind)."""
        return Table(data, prefix, self.unknown_hint)

    def get(self, key: str, default: object) -> object:
        self.seen.add(key)
        return self.data.get(key, default)

    def has(self, key: str) -> bool:
        return key in self.data

    def sub(self, key: str) -> Table:
        value = self.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(key, "a table", value)
        return self.child(value, f"{self.prefix}{key}.")

    def string(self, key: str, default: str | None = None, *, nonempty: bool = False) -> str:
        """A string; ``default`` None makes the key required."""
        self.seen.add(key)
        if key not in self.data:
            if default is None:
                raise self.error(f"key '{self.prefix}{key}' is missing (a string)")
            return default
        value = self.data[key]
        if not isinstance(value, str) or (nonempty and not value.strip()):
            raise self.fail(key, "a non-empty string" if nonempty else "a string", value)
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def integer(self, key: str, default: int, *, low: int, high: int) -> int:
        value = self.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(key, f"a whole number from {low} to {high}", value)
        return value

    def number(self, key: str, default: float, *, low: float, high: float) -> float:
        value = self.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise self.fail(key, f"a number from {low:g} to {high:g}", value)
        return float(value)

    def number_or_auto(
        self, key: str, default: float | None, *, low: float, high: float
    ) -> float | None:
        """A number in range, or the string ``"auto"`` (None)."""
        value = self.get(key, "auto" if default is None else default)
        if value == "auto":
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not low <= value <= high
        ):
            raise self.fail(key, f'"auto" or a number from {low:g} to {high:g}', value)
        return float(value)

    def choice(self, key: str, default: _E, allowed: Iterable[_E]) -> _E:
        """One of the ``allowed`` enum members, given by its value."""
        options = tuple(allowed)
        value = self.get(key, default.value)
        for option in options:
            if isinstance(value, str) and value == option.value:
                return option
        raise self.fail(key, "one of " + ", ".join(str(o.value) for o in options), value)

    def check_unknown(self) -> None:
        """Refuse any key of the table that no accessor asked for."""
        for key in self.data:
            if key not in self.seen:
                raise self.error(f"unknown key '{self.prefix}{key}'{self.unknown_hint}")
