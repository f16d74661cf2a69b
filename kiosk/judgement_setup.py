"""Assemble what a judgement needs from files: config, root key, lists, policy.

Shared by ``kiosk scan``, ``kiosk run`` and the demo, so that every entry
point judges with the same material.  Command-line flags override the
configuration for one run (``--root``, ``--trust-list``, ``--revocations``,
``--policy``).  A missing root key or a bad policy file is a configuration
error naming the file; a missing list is a reason on every decision.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from kiosk.adapters.config import ConfigError, KioskConfig, holder_salt, load_config
from kiosk.adapters.list_files import (
    POLICY,
    held_versions,
    load_fetched_policy,
    remember_list_versions,
)
from kiosk.adapters.policy_file import load_policy
from kiosk.adapters.trust_store import TrustState, load_trust_state
from kiosk.core.limits import DEFAULT_SKEW_SECONDS
from kiosk.core.pipeline import ScanContext
from kiosk.core.policy import DEFAULT_POLICY, Policy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Overrides:
    """Paths given on the command line that win over the config file."""

    root: Path | None = None
    trust_list: Path | None = None
    revocations: Path | None = None
    policy: Path | None = None


@dataclass(frozen=True)
class Judgement:
    """The loaded material: config (if any), trust state and policy."""

    config: KioskConfig | None
    trust_state: TrustState
    policy: Policy
    context: ScanContext


def _policy(
    config: KioskConfig | None,
    overrides: Overrides,
    state: TrustState,
    held: dict[str, int],
    now: int,
) -> Policy:
    """--policy, else the server's signed policy when one verifies, else the config's file.

    The config's file is read and checked at every start even when the server's policy
    is used: a typo in it (``mask.requried``) is an error now, not on the day the
    server's policy is gone.
    """
    if overrides.policy is not None:
        return load_policy(overrides.policy)
    if config is None:
        return DEFAULT_POLICY
    local = load_policy(config.policy)
    loaded = load_fetched_policy(config, state.root, now=now, held_version=held.get(POLICY))
    fetched = loaded.value
    if fetched is None and loaded.data is not None:
        log.warning("%s; judging by the config's policy file %s", loaded.problem, config.policy)
    if fetched is not None:
        remember_list_versions(config, policy=fetched[0].version)
        return fetched[1]
    return local


def load_judgement(config_path: Path | None, overrides: Overrides, *, now: int) -> Judgement:
    """Load config (optional when --root is given) and everything it points to."""
    config = load_config(config_path) if config_path is not None else None
    root = overrides.root or (config.root_key if config else None)
    if root is None:
        raise ConfigError("no root key: give --config FILE (with trust.root_key) or --root PEM")
    trust_path = overrides.trust_list or (config.trust_list if config else Path("trust-list.cose"))
    revocations_path = overrides.revocations or (
        config.revocations if config else Path("revocations.cose")
    )
    held = held_versions(config)
    state = load_trust_state(root, trust_path, revocations_path, now=now, held=held)
    remember_list_versions(
        config,
        trust=state.trust.version if state.trust else None,
        revocations=state.revocations.version if state.revocations else None,
    )
    policy = _policy(config, overrides, state, held, now)
    context = ScanContext(
        policy=policy,
        trust=state.trust,
        revocations=state.revocations,
        # No config (``kiosk scan --root``): a salt of this run only, so the holder
        # keys printed cannot be matched against any log.
        holder_salt=holder_salt(config) if config else os.urandom(32),
        skew_s=config.skew_s if config else DEFAULT_SKEW_SECONDS,
        foreign_enabled=config.foreign_enabled if config else False,
    )
    return Judgement(config, state, policy, context)
