"""Entry point of the ``kiosk`` command: parse arguments and dispatch.

No rules live here.  A usage or configuration error exits 2 with one line
that names what is wrong (file, key, expected value), never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from kiosk.adapters.config import ConfigError

COMMANDS = ("scan", "decode", "log", "sync", "keygen", "run", "demo")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kiosk", description="Checkpoint health-code kiosk.")
    subs = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"kiosk.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kiosk.commands.{name}":
                continue
            raise
        module.register(subs)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if os.environ.get("KIOSK_DEBUG"):
            raise
        print(
            f"kiosk: internal error: {type(exc).__name__}: {exc} (KIOSK_DEBUG=1 shows where)",
            file=sys.stderr,
        )
        return 1
