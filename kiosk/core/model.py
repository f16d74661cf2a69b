"""Value types that flow through the kiosk: credential, decision, entry.

Everything here is a frozen dataclass or an enum so that a value, once built,
cannot change on its way from the decoder to the log.  Nothing here does I/O
or reads a clock; times are epoch seconds (``int``) or ``datetime.date``
passed in from outside.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from kiosk.core.errors import Reason


class Verdict(StrEnum):
    """What the guard is told to do."""

    ALLOW = "ALLOW"
    DENY = "DENY"
    REVIEW = "REVIEW"


class Colour(StrEnum):
    """The health code's colour, as the issuer signed it."""

    GREEN = "G"
    YELLOW = "Y"
    RED = "R"

    @property
    def word(self) -> str:
        return {"G": "green", "Y": "yellow", "R": "red"}[self.value]


class RiskLevel(StrEnum):
    """Risk level of an area in the travel record, ordered low < medium < high."""

    LOW = "L"
    MEDIUM = "M"
    HIGH = "H"

    @property
    def rank(self) -> int:
        return {"L": 0, "M": 1, "H": 2}[self.value]

    @property
    def word(self) -> str:
        return {"L": "low", "M": "medium", "H": "high"}[self.value]


@dataclass(frozen=True, slots=True)
class Vaccination:
    """Inoculation certificate: doses received and the date of the last one."""

    doses: int
    last_dose: dt.date


@dataclass(frozen=True, slots=True)
class NucleicAcidTest:
    """Nucleic acid test certificate: result and sample collection time."""

    positive: bool
    sampled_at: int


@dataclass(frozen=True, slots=True)
class AreaVisit:
    """One line of the travel record: an area, its risk level, the last visit."""

    area: str
    level: RiskLevel
    last_visit: dt.date


@dataclass(frozen=True, slots=True)
class TravelRecord:
    """Digital travel record: when it was made and the areas visited."""

    made_at: int
    visits: tuple[AreaVisit, ...]


@dataclass(frozen=True, slots=True)
class HealthCode:
    """The ``hck`` map of the claims (docs/wire-format.md#claims)."""

    version: int
    holder_id: bytes
    name: str
    colour: Colour
    vaccination: Vaccination | None = None
    nucleic_acid: NucleicAcidTest | None = None
    travel: TravelRecord | None = None


@dataclass(frozen=True, slots=True)
class Credential:
    """The CWT claims of a health code: issuer, validity window and the code."""

    issuer: str
    issued_at: int
    expires_at: int
    code: HealthCode


@dataclass(frozen=True, slots=True)
class Envelope:
    """A decoded but not yet verified COSE_Sign1 (docs/wire-format.md#cose_sign1)."""

    prefix: str
    protected: bytes
    alg: int
    kid: bytes
    payload: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class VerifiedCredential:
    """A credential whose signature checked out against a trusted key."""

    credential: Credential
    kid: bytes
    alg: int


@dataclass(frozen=True, slots=True)
class Observations:
    """What the guard measured at the door; ``None`` means not measured."""

    temperature_c: float | None = None
    mask: bool | None = None


class CertificateKind(StrEnum):
    """The three certificates a code may carry."""

    VACCINATION = "vaccination"
    NUCLEIC_ACID = "nucleic_acid"
    TRAVEL = "travel"


class CertificateStatus(StrEnum):
    """How a certificate fared against the policy."""

    OK = "ok"
    MISSING = "missing"
    FAILED = "failed"
    REVIEW = "review"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class CertificateState:
    """One certificate as shown to the guard: status and a plain-words summary."""

    kind: CertificateKind
    status: CertificateStatus
    summary: str
    params: tuple[tuple[str, str], ...] = ()
    """The facts in ``summary`` by name (see ``Reason.params``); empty: nothing to show."""

    def param(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.params if k == name), default)


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict for one scanned code, with every reason behind it.

    ``credential`` is set only when the signature verified; a rejected code
    still carries whatever could be read for display (``name`` may be empty).
    """

    verdict: Verdict
    reasons: tuple[Reason, ...]
    decided_at: int
    name: str = ""
    colour: Colour | None = None
    issuer: str = ""
    holder_key: str = ""
    certificates: tuple[CertificateState, ...] = field(default_factory=tuple)
    credential: VerifiedCredential | None = None
    signed: bool = False
    """The issuer's signature verified: ``name``, ``colour`` and ``certificates`` are the
    issuer's own, even when the code was then refused (expired, withdrawn, not yet valid,
    which leave ``credential`` empty so that nothing can turn them into an ALLOW)."""

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(r.code.value for r in self.reasons)
