"""The ``kiosk`` subcommands, one module each.

Each module has ``register(subparsers)``, which adds its parser and sets
``func`` to a callable taking the parsed arguments and returning an exit code.
Commands parse arguments and print; the rules live in ``kiosk.core``.
"""
