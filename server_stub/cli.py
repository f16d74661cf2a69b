"""Entry point of the ``server-stub`` command: the issuer and the central server.

Subcommands live in ``server_stub.commands``, one module each, with the same
``register(subparsers)`` shape as the kiosk's.  Errors exit 2 with one line.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = ("issuer", "serve", "admin")


class StubUsageError(Exception):
    """A usage or input error: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="server-stub", description="Health-code issuer and central server stub.")
    subs = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"server_stub.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"server_stub.commands.{name}":
                continue
            raise
        module.register(subs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except StubUsageError as exc:
        print(f"server-stub: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if os.environ.get("KIOSK_DEBUG"):
            raise
        print(f"server-stub: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
