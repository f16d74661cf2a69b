"""``python -m server_stub``: the same as the ``server-stub`` command."""

import sys
from collections.abc import Callable

from kiosk.environment import run_or_explain


def _load() -> Callable[[], int]:
    from server_stub.cli import main

    return main


sys.exit(run_or_explain("server-stub", _load))
