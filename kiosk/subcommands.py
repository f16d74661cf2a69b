"""The command-line skeleton shared by ``kiosk`` and ``server-stub``.

An argparse parser whose usage errors exit 2 with one line, and
subcommands loaded from a package: each module there has
``register(subparsers)`` and sets ``func`` on its parser.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable


class UsageParser(argparse.ArgumentParser):
    """An ArgumentParser that reports a usage error as usage + one line, exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser(prog: str, description: str, package: str, names: Iterable[str]) -> UsageParser:
    """A parser with one subcommand per module ``package.NAME``."""
    parser = UsageParser(prog=prog, description=description)
    subs = parser.add_subparsers(dest="command", required=True, parser_class=UsageParser)
    for name in names:
        importlib.import_module(f"{package}.{name}").register(subs)
    return parser
