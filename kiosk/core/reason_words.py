"""Reason codes in a few plain words, and the codes a guard's words describe.

Reason codes stay stable in the log, in JSON and on the wire; people read
words.  ``REASON_WORDS`` gives each code a short phrase, and ``codes_matching``
turns what a guard types in the log search ("fever", "screenshot", "no mask")
into the codes it describes, so the search finds entries by their meaning as
well as by their literal text.  Pure.
"""

from __future__ import annotations

from kiosk.core.errors import ReasonCode

REASON_WORDS: dict[ReasonCode, str] = {
    ReasonCode.EMPTY: "empty scan",
    ReasonCode.TEXT_TOO_LONG: "text too long to be a health code",
    ReasonCode.BAD_PREFIX: "not a health code",
    ReasonCode.FOREIGN_DISABLED: "foreign certificate not accepted here",
    ReasonCode.BASE45_INVALID: "damaged code (not readable)",
    ReasonCode.ZLIB_MISSING: "damaged code (not readable)",
    ReasonCode.ZLIB_CORRUPT: "damaged code (not readable)",
    ReasonCode.ZLIB_TOO_LARGE: "damaged code (too large)",
    ReasonCode.CBOR_MALFORMED: "damaged code (not readable)",
    ReasonCode.CBOR_TOO_DEEP: "damaged code (not readable)",
    ReasonCode.CBOR_TRAILING_BYTES: "damaged code (not readable)",
    ReasonCode.CBOR_DUPLICATE_KEY: "forged or damaged code",
    ReasonCode.COSE_STRUCTURE: "damaged code (not readable)",
    ReasonCode.COSE_CRIT: "code needs features not supported (critical header)",
    ReasonCode.COSE_DUPLICATE_LABEL: "forged or damaged code (header given twice)",
    ReasonCode.CLAIMS_STRUCTURE: "damaged code (not readable)",
    ReasonCode.TIME_OUT_OF_RANGE: "damaged code (impossible date)",
    ReasonCode.STRING_TOO_LONG: "damaged code (text too long)",
    ReasonCode.UNSUPPORTED_VERSION: "code version not supported",
    ReasonCode.UNKNOWN_KID: "issuer not trusted (unknown key)",
    ReasonCode.ALG_MISMATCH: "forged code (wrong signature kind)",
    ReasonCode.ALG_UNSUPPORTED: "forged code (signature kind not accepted)",
    ReasonCode.KEY_NOT_VALID: "issuer key not valid at this time",
    ReasonCode.ISSUER_MISMATCH: "forged code (issuer does not match its key)",
    ReasonCode.BAD_SIGNATURE: "forged or altered code (signature does not match)",
    ReasonCode.SIGNATURE_NOT_LOW_S: "altered code (signature re-encoded)",
    ReasonCode.REVOKED: "code withdrawn by the issuer",
    ReasonCode.NO_TRUST_LIST: "kiosk has no trust list",
    ReasonCode.NO_REVOCATION_LIST: "kiosk has no revocation list",
    ReasonCode.TRUST_LIST_STALE: "trust list out of date",
    ReasonCode.REVOCATION_LIST_STALE: "revocation list out of date",
    ReasonCode.LIST_SIGNATURE: "list signature does not match",
    ReasonCode.LIST_STRUCTURE: "list damaged",
    ReasonCode.LIST_ROLLBACK: "older list refused",
    ReasonCode.LIST_EXPIRED: "list expired",
    ReasonCode.LIST_FROM_FUTURE: "list dated in the future refused",
    ReasonCode.NOT_YET_VALID: "code not valid yet",
    ReasonCode.EXPIRED: "code expired",
    ReasonCode.CODE_TOO_OLD: "code too old: refresh it",
    ReasonCode.COLOUR_NOT_ALLOWED: "code colour not allowed (red code)",
    ReasonCode.COLOUR_REVIEW: "code colour needs a check (yellow code)",
    ReasonCode.NAT_MISSING: "no nucleic acid test",
    ReasonCode.NAT_POSITIVE: "nucleic acid test positive",
    ReasonCode.NAT_TOO_OLD: "nucleic acid test too old",
    ReasonCode.NAT_IN_FUTURE: "nucleic acid test dated in the future",
    ReasonCode.VAC_MISSING: "no vaccination",
    ReasonCode.VAC_TOO_FEW_DOSES: "too few vaccine doses",
    ReasonCode.VAC_TOO_RECENT: "last vaccine dose too recent",
    ReasonCode.VAC_IN_FUTURE: "vaccine dose dated in the future",
    ReasonCode.TRAVEL_MISSING: "no travel record",
    ReasonCode.TRAVEL_RISK_AREA: "visited a risk area",
    ReasonCode.TRAVEL_RECORD_STALE: "travel record too old",
    ReasonCode.TRAVEL_IN_FUTURE: "travel visit dated in the future",
    ReasonCode.TEMPERATURE_HIGH: "fever (temperature high)",
    ReasonCode.TEMPERATURE_INVALID: "temperature reading not plausible: measure again",
    ReasonCode.TEMPERATURE_NEEDED: "take the temperature",
    ReasonCode.MASK_MISSING: "no mask",
    ReasonCode.MASK_NEEDED: "check the mask",
    ReasonCode.FOREIGN_CERTIFICATE: "foreign certificate: check by hand",
    ReasonCode.DUPLICATE_SCAN: "scanned again just now",
    ReasonCode.PASSBACK: "entered here a short while ago (passback)",
    ReasonCode.SHARED_CODE: "same code shown by someone else (screenshot)",
    ReasonCode.CLOCK_SKEW: "kiosk clock is off",
    ReasonCode.CLOCK_BACKWARDS: "kiosk clock went backwards",
    ReasonCode.GUARD_APPROVED: "approved by the guard",
    ReasonCode.GUARD_DENIED: "denied by the guard",
    ReasonCode.APPROVAL_LAPSED: "guard's approval no longer covers every check",
    ReasonCode.LEFT_WITHOUT_DECISION: "left without a decision",
    ReasonCode.INTERNAL_ERROR: "kiosk error: entry refused",
}
"""A short phrase for every reason code (a test checks that none is missing)."""


def codes_matching(text: str) -> list[str]:
    """Codes whose words contain ``text`` (case-insensitive); none for fewer than 3 letters."""
    needle = text.strip().casefold()
    if len(needle) < 3:
        return []
    return [code.value for code, words in REASON_WORDS.items() if needle in words.casefold()]
