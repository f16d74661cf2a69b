"""The guard's language: gettext catalogs, chosen once per kiosk (``[ui] language``).

Every string a guard or an IT person reads is marked in the code with ``_``
(translated where it is used) or ``N_`` (a table entry, translated later with
``_``), extracted with Babel into ``kiosk/locale/kiosk.pot``, translated in
``kiosk/locale/<language>/LC_MESSAGES/kiosk.po`` and compiled to the ``.mo``
file beside it, which the standard library's ``gettext`` reads at run time.
English is the source language: ``en`` needs no catalog.

The compiled ``.mo`` files are committed, so a kiosk needs no Babel to run;
``tests/ui/test_language.py`` checks that every marked string has a
translation and that each ``.mo`` matches its ``.po``.

Reason codes are never translated: they stay stable in the log, JSON and
sync.  The screen shows the words for a code (``kiosk.ui.words``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import gettext
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.dom import DOMNode

DOMAIN = "kiosk"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
LANGUAGES = ("zh_CN", "en")
"""Languages the screen speaks; the first is the default for a Hangzhou site."""

_state: dict[str, gettext.NullTranslations | str] = {
    "catalog": gettext.NullTranslations(),
    "language": "en",
}


def set_language(language: str) -> None:
    """Use ``language`` ("zh_CN" or "en") for every string shown from now on.

    Raises ValueError for a language without a catalog.
    """
    if language not in LANGUAGES:
        raise ValueError(f"no catalog for language {language!r} (there are: {LANGUAGES})")
    catalog: gettext.NullTranslations
    if language == "en":
        catalog = gettext.NullTranslations()
    else:
        catalog = gettext.translation(DOMAIN, LOCALE_DIR, [language])
    _state["catalog"] = catalog
    _state["language"] = language


def language() -> str:
    """The language strings are shown in now."""
    return str(_state["language"])


@contextlib.contextmanager
def speaking(language_name: str) -> Iterator[None]:
    """Strings in ``language_name`` inside the block; the language before it afterwards."""
    before = language()
    set_language(language_name)
    try:
        yield
    finally:
        set_language(before)


def _catalog() -> gettext.NullTranslations:
    catalog = _state["catalog"]
    assert isinstance(catalog, gettext.NullTranslations)
    return catalog


def _(message: str) -> str:
    """``message`` in the kiosk's language (English when untranslated)."""
    return _catalog().gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """The form of a counted message for ``count`` in the kiosk's language."""
    return _catalog().ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark a string for the catalog without translating it (tables built at import)."""
    return message


def localize_bindings(node: DOMNode) -> None:
    """Show a widget's, screen's or app's key descriptions (the footer) in the kiosk's language.

    Textual reads ``BINDINGS`` once per class; each instance gets a copy, whose
    descriptions (marked ``N_`` in the class) are translated here.
    """
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [
            dataclasses.replace(b, description=_(b.description) if b.description else "")
            for b in bindings
        ]
