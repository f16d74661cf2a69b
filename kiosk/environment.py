"""What to say when the kiosk is started outside its environment.

``python3 -m kiosk`` (or ``-m server_stub``) run with a Python that lacks the
project's packages (cv2, textual, cryptography, ...) would print a long
traceback ending in ``ModuleNotFoundError``.  The entry points import their
command line through ``run_or_explain``, which turns that into one line saying
which package is missing and the two ways to get an environment that has it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

HINT = (
    "run it through the project's environment: `python3 run.py {cmd} ...` "
    "(sets it up on first use), or `python3 run.py setup` then `.venv/bin/{cmd} ...`"
)


OWN_PACKAGES = ("kiosk", "server_stub")


def run_or_explain(cmd: str, load: Callable[[], Callable[[], int]]) -> int:
    """Load the command's ``main`` and run it; a missing third-party package is one line,
    exit 2.  A missing module of the project itself is a bug and keeps its traceback."""
    try:
        return load()()
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if not missing or missing in OWN_PACKAGES:
            raise
        print(
            f"{cmd}: this Python ({sys.executable}) lacks the package {missing!r}; "
            + HINT.format(cmd=cmd),
            file=sys.stderr,
        )
        return 2
