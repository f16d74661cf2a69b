"""Reason codes, one per kind of rejection, and the error type that carries them.

A reason code is stable: it is logged, exported, synced and matched by other
systems, so a code is never renamed or reused.  The message is for people and
may change.  ``Severity`` says what a reason does to the verdict: a DENY reason
always wins over a REVIEW reason; a NOTE is shown but changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ReasonCode(StrEnum):
    """Every reason the kiosk can give, grouped by the stage that gives it."""

    # --- reading the QR text (docs/wire-format.md#code-text) ---
    EMPTY = "EMPTY"
    TEXT_TOO_LONG = "TEXT_TOO_LONG"
    BAD_PREFIX = "BAD_PREFIX"
    FOREIGN_DISABLED = "FOREIGN_DISABLED"
    BASE45_INVALID = "BASE45_INVALID"
    ZLIB_MISSING = "ZLIB_MISSING"
    ZLIB_CORRUPT = "ZLIB_CORRUPT"
    ZLIB_TOO_LARGE = "ZLIB_TOO_LARGE"
    CBOR_MALFORMED = "CBOR_MALFORMED"
    CBOR_TOO_DEEP = "CBOR_TOO_DEEP"
    CBOR_TRAILING_BYTES = "CBOR_TRAILING_BYTES"
    CBOR_DUPLICATE_KEY = "CBOR_DUPLICATE_KEY"
    COSE_STRUCTURE = "COSE_STRUCTURE"
    COSE_CRIT = "COSE_CRIT"
    COSE_DUPLICATE_LABEL = "COSE_DUPLICATE_LABEL"
    CLAIMS_STRUCTURE = "CLAIMS_STRUCTURE"
    TIME_OUT_OF_RANGE = "TIME_OUT_OF_RANGE"
    STRING_TOO_LONG = "STRING_TOO_LONG"
    UNSUPPORTED_VERSION = "UNSUPPORTED_VERSION"
    # --- signature and trust (docs/wire-format.md#cose_sign1, #signed-lists) ---
    UNKNOWN_KID = "UNKNOWN_KID"
    ALG_MISMATCH = "ALG_MISMATCH"
    ALG_UNSUPPORTED = "ALG_UNSUPPORTED"
    KEY_NOT_VALID = "KEY_NOT_VALID"
    ISSUER_MISMATCH = "ISSUER_MISMATCH"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    SIGNATURE_NOT_LOW_S = "SIGNATURE_NOT_LOW_S"
    REVOKED = "REVOKED"
    NO_TRUST_LIST = "NO_TRUST_LIST"
    NO_REVOCATION_LIST = "NO_REVOCATION_LIST"
    TRUST_LIST_STALE = "TRUST_LIST_STALE"
    REVOCATION_LIST_STALE = "REVOCATION_LIST_STALE"
    LIST_SIGNATURE = "LIST_SIGNATURE"
    LIST_STRUCTURE = "LIST_STRUCTURE"
    LIST_ROLLBACK = "LIST_ROLLBACK"
    LIST_EXPIRED = "LIST_EXPIRED"
    LIST_FROM_FUTURE = "LIST_FROM_FUTURE"
    # --- validity in time (docs/wire-format.md#validity-in-time) ---
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    CODE_TOO_OLD = "CODE_TOO_OLD"
    # --- site policy ---
    COLOUR_NOT_ALLOWED = "COLOUR_NOT_ALLOWED"
    COLOUR_REVIEW = "COLOUR_REVIEW"
    NAT_MISSING = "NAT_MISSING"
    NAT_POSITIVE = "NAT_POSITIVE"
    NAT_TOO_OLD = "NAT_TOO_OLD"
    NAT_IN_FUTURE = "NAT_IN_FUTURE"
    VAC_MISSING = "VAC_MISSING"
    VAC_TOO_FEW_DOSES = "VAC_TOO_FEW_DOSES"
    VAC_TOO_RECENT = "VAC_TOO_RECENT"
    VAC_IN_FUTURE = "VAC_IN_FUTURE"
    TRAVEL_MISSING = "TRAVEL_MISSING"
    TRAVEL_RISK_AREA = "TRAVEL_RISK_AREA"
    TRAVEL_RECORD_STALE = "TRAVEL_RECORD_STALE"
    TRAVEL_IN_FUTURE = "TRAVEL_IN_FUTURE"
    TEMPERATURE_HIGH = "TEMPERATURE_HIGH"
    TEMPERATURE_INVALID = "TEMPERATURE_INVALID"
    TEMPERATURE_NEEDED = "TEMPERATURE_NEEDED"
    MASK_MISSING = "MASK_MISSING"
    MASK_NEEDED = "MASK_NEEDED"
    FOREIGN_CERTIFICATE = "FOREIGN_CERTIFICATE"
    # --- replay and clock ---
    DUPLICATE_SCAN = "DUPLICATE_SCAN"
    PASSBACK = "PASSBACK"
    SHARED_CODE = "SHARED_CODE"
    CLOCK_SKEW = "CLOCK_SKEW"
    CLOCK_BACKWARDS = "CLOCK_BACKWARDS"
    # --- guard actions ---
    GUARD_APPROVED = "GUARD_APPROVED"
    GUARD_DENIED = "GUARD_DENIED"
    APPROVAL_LAPSED = "APPROVAL_LAPSED"
    LEFT_WITHOUT_DECISION = "LEFT_WITHOUT_DECISION"
    # --- last resort: a bug must fail closed, never ALLOW ---
    INTERNAL_ERROR = "INTERNAL_ERROR"


class Severity(StrEnum):
    """What a reason does to the verdict."""

    DENY = "DENY"
    REVIEW = "REVIEW"
    NOTE = "NOTE"


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason behind a decision: a stable code, its weight, and words for people.

    ``message`` is the English sentence for the log, JSON and sync.  ``params``
    are the facts inside it (ages in seconds, counts, an area's code, dates as
    ISO text), by name, so that a screen in another language can say the same
    from its own template for the code without parsing English.
    """

    code: ReasonCode
    severity: Severity
    message: str
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str, default: str = "") -> str:
        """The value of one of ``params``, or ``default``."""
        return next((v for k, v in self.params if k == name), default)


class Refusal(Exception):
    """A refused action, said from a template so that a screen can say it in its own
    language: ``text`` is the English template (a message catalog's id), ``params``
    fill it, and ``codes`` are the reason codes it is about (shown as words).  The
    exception's own message is the English sentence."""

    def __init__(self, text: str, *, codes: tuple[str, ...] = (), **params: str) -> None:
        self.text = text
        self.codes = codes
        self.params = params
        super().__init__(text.format(codes=", ".join(codes), **params))


class KioskError(Exception):
    """The project's own error: always carries a reason code and a message.

    Decoding, verification and list loading raise only this (or subclasses),
    so that callers can turn any failure into a reasoned DENY.
    """

    def __init__(
        self, code: ReasonCode, message: str, params: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.params = params

    def reason(self, severity: Severity = Severity.DENY) -> Reason:
        return Reason(self.code, severity, self.message, self.params)


class DecodeError(KioskError):
    """The QR text is not a well-formed health code (docs/wire-format.md#code-text, #claims)."""


class VerifyError(KioskError):
    """The code is well formed but not trusted.

    ``docs/wire-format.md#cose_sign1`` and ``#validity-in-time``.
    """


class ListError(KioskError):
    """A trust or revocation list was refused (docs/wire-format.md#signed-lists)."""
