"""``kiosk keygen``: make this kiosk's signing key (once) and say how to register it.

    kiosk keygen --config kiosk.toml

Creates ``identity_key`` (mode 0600) if it does not exist, writes the public
key next to it, creates the deployment's holder salt file (``holder_salt_file``,
32 random bytes, mode 0600) unless the config gives a salt or the file exists,
and prints the public key PEM and the admin command that registers it with
the central server, with the kiosk's site and its deployment's holder salt
(kept by the server for tracing only).  Running it again changes nothing.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path
from typing import Any

from kiosk.adapters.config import ensure_data_dir, holder_salt, load_config
from kiosk.adapters.identity import load_or_create_identity, public_key_path, public_pem


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("keygen", help="make the kiosk's signing key, print its public key")
    p.add_argument("--config", type=Path, required=True, help="kiosk config file (TOML)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    ensure_data_dir(config)
    if not config.holder_salt:
        salt_existed = config.holder_salt_file.exists()
        holder_salt(config)
        print(f"{'kept' if salt_existed else 'created'} {config.holder_salt_file} (holder salt)")
    existed = config.identity_key.exists()
    key = load_or_create_identity(config.identity_key)
    pub_path = public_key_path(config.identity_key)
    print(f"{'kept' if existed else 'created'} {config.identity_key}")
    print(public_pem(key).decode("ascii"), end="")
    print("register this kiosk with the central server:")
    salt = "" if config.holder_salt else f" --holder-salt-file {config.holder_salt_file}"
    site = f" --site {shlex.quote(config.site)}" if config.site else ""
    print(
        f"  server-stub admin register-kiosk --db SERVER_DB --id {config.kiosk_id} "
        f"--public-key {pub_path}{site}{salt}"
    )
    if config.holder_salt:
        print("(the config holds the holder salt itself: to let the health authority trace a")
        print(" positive case, put it in a 0600 file and add --holder-salt-file FILE)")
    else:
        print("(the holder salt goes to the server only, over the operator's channel: it lets")
        print(" the health authority trace a positive case; never copy it anywhere else)")
    return 0
