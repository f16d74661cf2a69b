"""``python -m kiosk``: the same as the ``kiosk`` command."""

import sys
from collections.abc import Callable

from kiosk.environment import run_or_explain


def _load() -> Callable[[], int]:
    from kiosk.cli import main

    return main


sys.exit(run_or_explain("kiosk", _load))
