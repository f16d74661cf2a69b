"""``python -m kiosk_demo``: the same as the ``kiosk-demo`` command."""

import sys
from collections.abc import Callable

from kiosk.environment import run_or_explain


def _load() -> Callable[[], int]:
    from kiosk_demo.demo import main

    return main


sys.exit(run_or_explain("kiosk-demo", _load))
