"""Site policy file -> ``Policy``.

The core parses and judges the policy (``kiosk.core.policy``) but reads no
files; this adapter reads the TOML file and puts the file name in front of
every error, so an operator sees which file and which key to fix.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.adapters.config import ConfigError, read_toml
from kiosk.core.policy import Policy, PolicyError, policy_from_mapping


def load_policy(path: str | Path) -> Policy:
    """Read and validate a site policy file; any problem is a ConfigError naming the file."""
    p = Path(path).expanduser()
    data = read_toml(p)
    try:
        return policy_from_mapping(data)
    except PolicyError as exc:
        raise ConfigError(f"{p}: {exc}") from None
