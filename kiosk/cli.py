"""Entry point of the ``kiosk`` command: parse arguments and dispatch.

No rules live here.  A usage or configuration error exits 2 with one line
that names what is wrong (file, key, expected value), never a traceback:
in the kiosk's language for ``kiosk run`` (what a guard's kiosk prints),
in English for the IT tools.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from kiosk.adapters.config import ConfigError
from kiosk.adapters.store import StoreError
from kiosk.subcommands import build_parser as build_parser_for

COMMANDS = ("scan", "decode", "log", "report", "sync", "keygen", "run")


def build_parser() -> argparse.ArgumentParser:
    return build_parser_for("kiosk", "Checkpoint health-code kiosk.", "kiosk.commands", COMMANDS)


def _error_line(args: argparse.Namespace, exc: Exception) -> str:
    """``kiosk: <what is wrong>``; in the kiosk's language for a command that speaks it
    (``kiosk run`` sets ``said_error``), in English for the IT tools."""
    said = getattr(args, "said_error", None)
    config = getattr(args, "config", None)
    if callable(said) and isinstance(config, Path):
        return str(said(config, exc))
    return f"kiosk: {exc}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, StoreError) as exc:
        print(_error_line(args, exc), file=sys.stderr)
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
