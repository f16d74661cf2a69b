"""A refused guard action is said in the kiosk's language, with reasons as words.

The core and the service raise their refusals with an English template
(``VisitError`` / ``ActionError``); the screen looks it up in the catalog.
The first test reads those sources: a template not listed in
``kiosk.ui.words.REFUSALS`` (so not in the catalogs) fails it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.port import ActionError
from kiosk.ui.i18n import set_language
from kiosk.ui.words import REFUSALS, refusal_words

ROOT = Path(__file__).resolve().parents[2]
RAISERS = {"VisitError", "ActionError"}


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    set_language("en")


def _templates() -> Iterator[tuple[str, str]]:
    for path in (ROOT / "kiosk" / "core" / "visit.py", ROOT / "kiosk" / "service.py"):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in RAISERS
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                yield f"{path.name}:{node.lineno}", str(node.args[0].value)
            if (  # _open(visit, "what it was")
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "_open"
                and len(node.args) == 2
                and isinstance(node.args[1], ast.Constant)
            ):
                yield f"{path.name}:{node.lineno}", str(node.args[1].value)


def test_every_refusal_template_is_in_the_catalog_list() -> None:
    found = list(_templates())
    assert len(found) >= 10
    missing = [(where, text) for where, text in found if text not in REFUSALS]
    assert not missing


def test_a_barred_approval_is_said_in_chinese_with_the_reason_in_words() -> None:
    error = ActionError(
        "{codes} cannot be approved by a guard (policy guard.never_approve)",
        codes=("NAT_POSITIVE", "TEMPERATURE_HIGH"),
    )
    assert "NAT_POSITIVE" in str(error)  # the log and the service keep the code
    set_language("zh_CN")
    said = refusal_words(error)
    assert "NAT_POSITIVE" not in said and "TEMPERATURE_HIGH" not in said
    assert not said.isascii()
    left = ActionError("cannot {what}: this person left without a decision", what="approve or deny")
    said = refusal_words(left)
    assert not said.isascii() and "approve" not in said
    set_language("en")
    assert refusal_words(left) == "cannot approve or deny: this person left without a decision"
