"""Entry point of the ``server-stub`` command: the issuer and the central server.

Subcommands live in ``server_stub.commands``, one module each, with the same
``register(subparsers)`` shape as the kiosk's.  Errors exit 2 with one line.
"""

from __future__ import annotations

import argparse
import os
import sys

from kiosk.subcommands import build_parser as build_parser_for

COMMANDS = ("issuer", "serve", "admin")


class StubUsageError(Exception):
    """A usage or input error: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    return build_parser_for(
        "server-stub",
        "Health-code issuer and central server stub.",
        "server_stub.commands",
        COMMANDS,
    )


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
