"""Reason codes in a few plain words, and the codes a guard's words describe.

Reason codes stay stable in the log, in JSON and on the wire; people read
words.  ``REASON_WORDS`` gives each code a short phrase, and ``codes_matching``
turns what a guard types in the log search ("fever", "screenshot", "no mask")
into the codes it describes, so the search finds entries by their meaning as
well as by their literal text.  The phrases are English and marked ``N_`` for
the message catalogs: the screen shows them in the kiosk's language.  Pure.
"""

from __future__ import annotations

from kiosk.core.errors import ReasonCode


def N_(message: str) -> str:
    """Mark a phrase for the message catalogs; the screen translates it (``kiosk.ui.i18n``).

    The core stays free of gettext: it keeps the English phrase, and Babel finds
    the phrase for the catalogs by this mark.
    """
    return message


REASON_WORDS: dict[ReasonCode, str] = {
    ReasonCode.EMPTY: N_("empty scan"),
    ReasonCode.TEXT_TOO_LONG: N_("text too long to be a health code"),
    ReasonCode.BAD_PREFIX: N_("not a health code"),
    ReasonCode.FOREIGN_DISABLED: N_("foreign certificate not accepted here"),
    ReasonCode.BASE45_INVALID: N_("damaged code (not readable)"),
    ReasonCode.ZLIB_MISSING: N_("damaged code (not readable)"),
    ReasonCode.ZLIB_CORRUPT: N_("damaged code (not readable)"),
    ReasonCode.ZLIB_TOO_LARGE: N_("damaged code (too large)"),
    ReasonCode.CBOR_MALFORMED: N_("damaged code (not readable)"),
    ReasonCode.CBOR_TOO_DEEP: N_("damaged code (not readable)"),
    ReasonCode.CBOR_TRAILING_BYTES: N_("damaged code (not readable)"),
    ReasonCode.CBOR_DUPLICATE_KEY: N_("forged or damaged code"),
    ReasonCode.COSE_STRUCTURE: N_("damaged code (not readable)"),
    ReasonCode.CLAIMS_STRUCTURE: N_("damaged code (not readable)"),
    ReasonCode.TIME_OUT_OF_RANGE: N_("damaged code (impossible date)"),
    ReasonCode.STRING_TOO_LONG: N_("damaged code (text too long)"),
    ReasonCode.UNSUPPORTED_VERSION: N_("code version not supported"),
    ReasonCode.UNKNOWN_KID: N_("issuer not trusted (unknown key)"),
    ReasonCode.ALG_MISMATCH: N_("forged code (wrong signature kind)"),
    ReasonCode.ALG_UNSUPPORTED: N_("forged code (signature kind not accepted)"),
    ReasonCode.KEY_NOT_VALID: N_("issuer key not valid at this time"),
    ReasonCode.ISSUER_MISMATCH: N_("forged code (issuer does not match its key)"),
    ReasonCode.BAD_SIGNATURE: N_("forged or altered code (signature does not match)"),
    ReasonCode.REVOKED: N_("code withdrawn by the issuer"),
    ReasonCode.NO_TRUST_LIST: N_("kiosk has no trust list"),
    ReasonCode.NO_REVOCATION_LIST: N_("kiosk has no revocation list"),
    ReasonCode.TRUST_LIST_STALE: N_("trust list out of date"),
    ReasonCode.REVOCATION_LIST_STALE: N_("revocation list out of date"),
    ReasonCode.LIST_SIGNATURE: N_("list signature does not match"),
    ReasonCode.LIST_STRUCTURE: N_("list damaged"),
    ReasonCode.LIST_ROLLBACK: N_("older list refused"),
    ReasonCode.LIST_EXPIRED: N_("list expired"),
    ReasonCode.NOT_YET_VALID: N_("code not valid yet"),
    ReasonCode.EXPIRED: N_("code expired"),
    ReasonCode.CODE_TOO_OLD: N_("code too old: refresh it"),
    ReasonCode.COLOUR_NOT_ALLOWED: N_("code colour not allowed (red code)"),
    ReasonCode.COLOUR_REVIEW: N_("code colour needs a check (yellow code)"),
    ReasonCode.NAT_MISSING: N_("no nucleic acid test"),
    ReasonCode.NAT_POSITIVE: N_("nucleic acid test positive"),
    ReasonCode.NAT_TOO_OLD: N_("nucleic acid test too old"),
    ReasonCode.NAT_IN_FUTURE: N_("nucleic acid test dated in the future"),
    ReasonCode.VAC_MISSING: N_("no vaccination"),
    ReasonCode.VAC_TOO_FEW_DOSES: N_("too few vaccine doses"),
    ReasonCode.VAC_TOO_RECENT: N_("last vaccine dose too recent"),
    ReasonCode.VAC_IN_FUTURE: N_("vaccine dose dated in the future"),
    ReasonCode.TRAVEL_MISSING: N_("no travel record"),
    ReasonCode.TRAVEL_RISK_AREA: N_("visited a risk area"),
    ReasonCode.TRAVEL_RECORD_STALE: N_("travel record too old"),
    ReasonCode.TEMPERATURE_HIGH: N_("fever (temperature high)"),
    ReasonCode.TEMPERATURE_INVALID: N_("temperature reading not plausible: measure again"),
    ReasonCode.TEMPERATURE_NEEDED: N_("take the temperature"),
    ReasonCode.MASK_MISSING: N_("no mask"),
    ReasonCode.MASK_NEEDED: N_("check the mask"),
    ReasonCode.FOREIGN_CERTIFICATE: N_("foreign certificate: check by hand"),
    ReasonCode.DUPLICATE_SCAN: N_("scanned again just now"),
    ReasonCode.PASSBACK: N_("entered here a short while ago (passback)"),
    ReasonCode.SHARED_CODE: N_("same code shown by someone else (screenshot)"),
    ReasonCode.CLOCK_SKEW: N_("kiosk clock is off"),
    ReasonCode.CLOCK_BACKWARDS: N_("kiosk clock went backwards"),
    ReasonCode.GUARD_APPROVED: N_("approved by the guard"),
    ReasonCode.GUARD_DENIED: N_("denied by the guard"),
    ReasonCode.APPROVAL_LAPSED: N_("guard's approval no longer covers every check"),
    ReasonCode.LEFT_WITHOUT_DECISION: N_("left without a decision"),
    ReasonCode.INTERNAL_ERROR: N_("kiosk error: entry refused"),
    ReasonCode.LIST_FROM_FUTURE: N_("list dated in the future: refused"),
    ReasonCode.SIGNATURE_NOT_LOW_S: N_("forged or altered code (signature form not accepted)"),
    ReasonCode.COSE_DUPLICATE_LABEL: N_("forged or damaged code (a header given twice)"),
    ReasonCode.COSE_CRIT: N_("code needs a feature this kiosk does not have"),
    ReasonCode.TRAVEL_IN_FUTURE: N_("travel record dated in the future"),
}
"""A short phrase for every reason code (a test checks that none is missing)."""


def codes_matching(text: str, words: dict[ReasonCode, str] | None = None) -> list[str]:
    """Codes whose words contain ``text`` (case-insensitive).

    ``words`` are the phrases in the guard's language (default: English).  None for
    fewer than 3 characters in a Latin script, or fewer than 2 in Chinese.
    """
    needle = text.strip().casefold()
    if len(needle) < (3 if needle.isascii() else 2):
        return []
    table = REASON_WORDS if words is None else words
    return [code.value for code, phrase in table.items() if needle in phrase.casefold()]
