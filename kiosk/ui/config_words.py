"""What is wrong with the kiosk's files at start, in the kiosk's language.

``kiosk run`` stops with one line when its configuration, policy, root key or
holder salt is wrong (``kiosk.adapters.config``, ``policy_file``,
``trust_store``, ``kiosk.judgement_setup``).  Those errors are written in
English, once, as the notes are: tests and logs match them.  The IT person
at the kiosk reads them through ``say_config_error``, which finds the
template an error was made from and translates the words around the file,
the key and the value, which stay as written::

    kiosk.toml: key 'ui.language': expected "zh_CN" or "en", got 'fr'
    kiosk.toml：键 'ui.language'：应为 "zh_CN" 或 "en"，实际为 'fr'

These templates are their own family, beside ``kiosk.ui.notes``: they are
said once, at start, and never in the status bar, so the status bar's
matching does not try them.  What an error holds that is itself a note (a
camera's error inside a frame source error) is found among the notes.

``tests/ui/test_notes.py`` reads those modules' sources and fails when one of
their errors, or a value they say was expected, has no template here.
"""

from __future__ import annotations

from kiosk.ui.i18n import N_
from kiosk.ui.notes import NOTES, say, template_of

CONFIG_ERRORS: tuple[str, ...] = (
    # --- a key of a TOML table (kiosk.core.toml_table), with the file in front ---
    N_("{file}: key '{key}': expected {expected}, got {got}"),
    N_("{file}: key '{key}' is missing (a string)"),
    N_("{file}: unknown key '{key}' (see config/kiosk.example.toml for the keys there are)"),
    N_("{file}: unknown key '{key}'"),
    N_("{file}: expected a table of policy settings, got {got}"),
    # --- what a key should have held ---
    N_("a table"),
    N_("a string"),
    N_("a non-empty string"),
    N_("true or false"),
    N_("a whole number from {low} to {high}"),
    N_("a number from {low} to {high}"),
    N_('"auto" or a number from {low} to {high}'),
    N_("one of {options}"),
    N_("1-64 letters, digits, '-', '_' or '.'"),
    N_("false (EU DCC certificates, prefix HC1:, are not read by this version)"),
    N_("a secret of your own, or no holder_salt at all (then holder_salt_file is used)"),
    N_("a directory"),
    N_("an http:// or https:// URL"),
    N_("https:// (plain http:// only to 127.0.0.1, or with server.insecure_http = true)"),
    N_("a PEM file of CA certificates that exists"),
    N_('"zh_CN" or "en"'),
    N_("an Ed25519 public key PEM file"),
    N_("a list of distinct colours from G, Y, R"),
    N_("a whole number of quarter hours"),
    N_("no colour that is also in colours.allow"),
    N_("a whole number no more than lists.max_hours ({limit})"),
    N_('a list of reason codes (e.g. "NAT_POSITIVE")'),
    N_("{expected}; {code} is not a reason code"),
    # --- reading a file (kiosk.adapters.config.read_capped, read_toml) ---
    N_("{file}: file not found ({what})"),
    N_("{file}: permission denied ({what})"),
    N_("{file}: cannot read the {what}: {error}"),
    N_("{file}: is a directory, expected a {what}"),
    N_("{file}: the {what} must be a regular file (not a device or pipe)"),
    N_("{file}: the {what} is {size} bytes, more than {cap}"),
    N_("{file}: the {what} is more than {cap} bytes"),
    N_("{file}: not UTF-8 text ({reason})"),
    N_("{file}: not valid TOML: {error}"),
    N_("TOML file"),
    N_("root key (trust.root_key)"),
    N_("holder salt file"),
    N_("identity key"),
    # --- the data folder, the holder salt, the root key ---
    N_("{file}: data_dir {folder} exists and is not a directory"),
    N_("{file}: data_dir {folder}: {error}"),
    N_("{file}: cannot create the holder salt: {error}"),
    N_("{file}: the holder salt must be at least 16 bytes, got {n}"),
    N_("{file}: root key file not found (trust.root_key)"),
    N_("{file}: root key is not a usable PEM public key: {error}"),
    N_("no root key: give --config FILE (with trust.root_key) or --root PEM"),
    # --- kiosk run ---
    N_("{file}: no frame source: set camera.source or give --source"),
    N_("--source {source}: {error}"),
    N_("{file}: camera.source = {source}: {error}"),
)
"""English templates of the errors that stop ``kiosk run`` at start, ``{name}`` for a value."""

WORDS = CONFIG_ERRORS + NOTES
"""The errors, and the notes an error may hold."""


def config_template_of(text: str) -> str | None:
    """The template the error ``text`` was made from, or None."""
    return template_of(text, WORDS)


def say_config_error(text: str) -> str:
    """The error ``text`` in the kiosk's language; as it is if no template matches
    (a library's own words, such as the TOML parser's, stay as they came)."""
    return say(text, templates=WORDS)
