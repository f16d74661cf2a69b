"""The ``server-stub`` subcommands, one module each."""
