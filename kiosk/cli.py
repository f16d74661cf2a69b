"""Entry point of the ``kiosk`` command: parse arguments and dispatch.

No rules live here.  A usage or configuration error exits 2 with one line
that names what is wrong (file, key, expected value), never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from kiosk.adapters.config import ConfigError
from kiosk.adapters.store import StoreError
from kiosk.subcommands import build_parser as build_parser_for

COMMANDS = ("scan", "decode", "log", "report", "sync", "keygen", "run")


def build_parser() -> argparse.ArgumentParser:
    return build_parser_for("kiosk", "Checkpoint health-code kiosk.", "kiosk.commands", COMMANDS)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, StoreError) as exc:
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
