"""``python -m server_stub``: the same as the ``server-stub`` command."""

import sys

from server_stub.cli import main

sys.exit(main())
