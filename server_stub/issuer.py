"""The issuer: root key, issuer signing keys, signed lists, and minted health codes.

Plays the city's health-code issuer and the central platform's list
signer for tests and demos.  Everything lives in one directory so that a
demo, a test and the server stub can share it:

    root.key.pem / root.pub.pem    the root key that signs the lists (ES256)
    keys/<kid>.key.pem             issuer signing keys (PKCS#8 PEM)
    state.json                     key metadata, list versions, revoked holders
    trust-list.cose                the current signed trust list
    revocations.cose               the current signed revocation list

It reuses the kiosk's own codec (``kiosk.core``) so that what it mints is
exactly what the kiosk reads.  Private key files are written mode 0600.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from kiosk.adapters.list_files import write_atomic
from kiosk.core import cbor, codec, cose, server_signed, trust
from kiosk.core.errors import DecodeError
from kiosk.core.model import (
    AreaVisit,
    Colour,
    Credential,
    HealthCode,
    NucleicAcidTest,
    RiskLevel,
    TravelRecord,
    Vaccination,
)

DEFAULT_REGION = "CN-330100"
DEFAULT_VALIDITY_S = 300
"""Codes are dynamic: five minutes by default, so a screenshot goes stale."""
KEY_LIFETIME_S = 2 * 365 * 86400
LIST_LIFETIME_S = 7 * 86400


class IssuerError(Exception):
    """An issuer directory or request is not usable; the message says why."""


def _write_atomic(path: Path, data: bytes, *, private: bool = False) -> None:
    write_atomic(path, data, mode=0o600 if private else 0o644)


def _private_pem(key: cose.PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_pem(key: cose.PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def new_private_key(alg: str) -> cose.PrivateKey:
    """A fresh signing key for ``ES256`` or ``EdDSA``."""
    name = alg.upper()
    if name == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if name == "EDDSA":
        return ed25519.Ed25519PrivateKey.generate()
    raise IssuerError(f"algorithm {alg!r} is not one of ES256, EdDSA")


def load_private_key(path: Path) -> cose.PrivateKey:
    """Load a PKCS#8 PEM private key of a supported kind."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise IssuerError(f"{path}: file not found") from None
    except (ValueError, TypeError) as exc:
        raise IssuerError(f"{path}: not a usable PEM private key ({exc})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise IssuerError(f"{path}: key type {type(key).__name__} is not ES256 or EdDSA")
    return key


def holder_id_for(name: str, region: str = DEFAULT_REGION) -> bytes:
    """A stable pseudonymous holder id for a demo person (16 bytes)."""
    return hashlib.sha256(f"holder:{region}:{name}".encode()).digest()[:16]


@dataclass(frozen=True)
class KeyRecord:
    """One issuer signing key as kept in ``state.json``."""

    kid: bytes
    alg: int
    issuer: str
    not_before: int
    expires_at: int
    file: str


class Issuer:
    """An issuer directory: keys, list versions, revocations, and minting."""

    def __init__(self, directory: Path, state: dict[str, Any]) -> None:
        self.directory = directory
        self._state = state

    # --- life cycle --------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        *,
        now: int,
        region: str = DEFAULT_REGION,
        algs: Sequence[str] = ("ES256", "EdDSA"),
    ) -> Issuer:
        """Make a new issuer: root key, one key per algorithm, lists version 1."""
        directory = Path(directory)
        if (directory / "state.json").exists():
            raise IssuerError(f"{directory}: an issuer already exists here")
        directory.mkdir(parents=True, exist_ok=True)
        root = ec.generate_private_key(ec.SECP256R1())
        _write_atomic(directory / "root.key.pem", _private_pem(root), private=True)
        _write_atomic(directory / "root.pub.pem", _public_pem(root.public_key()))
        state: dict[str, Any] = {
            "region": region,
            "keys": [],
            "trust_version": 0,
            "revocation_version": 0,
            "revoked": [],
            "default_key": None,
        }
        issuer = cls(directory, state)
        for alg in algs:
            issuer._add_key(alg, now=now)
        issuer._state["default_key"] = issuer._state["keys"][0]["kid"]
        issuer._publish_trust_list(now)
        issuer._publish_revocations(now)
        return issuer

    @classmethod
    def open(cls, directory: Path) -> Issuer:
        directory = Path(directory)
        path = directory / "state.json"
        try:
            state = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            raise IssuerError(
                f"{directory}: no issuer here (run 'server-stub issuer init')"
            ) from None
        except (OSError, ValueError) as exc:
            raise IssuerError(f"{path}: unreadable issuer state ({exc})") from None
        return cls(directory, state)

    @classmethod
    def open_or_create(cls, directory: Path, *, now: int, region: str = DEFAULT_REGION) -> Issuer:
        if (Path(directory) / "state.json").exists():
            return cls.open(directory)
        return cls.create(directory, now=now, region=region)

    def _save(self) -> None:
        _write_atomic(self.directory / "state.json", json.dumps(self._state, indent=2).encode())

    # --- keys --------------------------------------------------------------

    @property
    def region(self) -> str:
        return str(self._state["region"])

    @property
    def root_public_pem(self) -> bytes:
        return (self.directory / "root.pub.pem").read_bytes()

    def _root(self) -> cose.PrivateKey:
        return load_private_key(self.directory / "root.key.pem")

    def key_records(self) -> list[KeyRecord]:
        return [
            KeyRecord(bytes.fromhex(k["kid"]), k["alg"], k["iss"], k["nbf"], k["exp"], k["file"])
            for k in self._state["keys"]
        ]

    def _add_key(self, alg: str, *, now: int, not_before: int | None = None) -> bytes:
        key = new_private_key(alg)
        kid = cose.kid_of(key.public_key())
        name = f"keys/{kid.hex()}.key.pem"
        _write_atomic(self.directory / name, _private_pem(key), private=True)
        self._state["keys"].append(
            {
                "kid": kid.hex(),
                "alg": cose.alg_of_key(key),
                "iss": self.region,
                "nbf": now - 86400 if not_before is None else not_before,
                "exp": now + KEY_LIFETIME_S,
                "file": name,
            }
        )
        return kid

    def key_for(
        self, alg: str | None = None, kid: bytes | None = None
    ) -> tuple[bytes, cose.PrivateKey]:
        """The newest key of an algorithm (or a given kid) with its private key."""
        records = self.key_records()
        if kid is not None:
            records = [r for r in records if r.kid == kid]
        if alg is not None:
            wanted = cose.ALG_BY_NAME.get(alg.upper())
            if wanted is None:
                raise IssuerError(f"algorithm {alg!r} is not one of ES256, EdDSA")
            records = [r for r in records if r.alg == wanted]
        if not records:
            raise IssuerError(f"no issuer key for alg={alg} kid={kid.hex() if kid else None}")
        record = records[-1]
        return record.kid, load_private_key(self.directory / record.file)

    def rotate(self, alg: str, *, now: int) -> bytes:
        """Add a new issuer key and publish a new trust list version; returns the kid."""
        kid = self._add_key(alg, now=now, not_before=now)
        self._publish_trust_list(now)
        return kid

    # --- lists -------------------------------------------------------------

    @property
    def trust_list_version(self) -> int:
        return int(self._state["trust_version"])

    @property
    def revocation_version(self) -> int:
        return int(self._state["revocation_version"])

    def trust_list(self) -> bytes:
        return (self.directory / "trust-list.cose").read_bytes()

    def revocation_list(self) -> bytes:
        return (self.directory / "revocations.cose").read_bytes()

    def _sign_list(self, payload: dict[str, Any]) -> bytes:
        root = self._root()
        return cose.encode_sign1(root, cbor.dumps(payload), kid=cose.kid_of(root.public_key()))

    def _trusted_keys(self) -> list[trust.TrustedKey]:
        out = []
        for r in self.key_records():
            _, priv = self.key_for(kid=r.kid)
            pub = priv.public_key()
            spki = pub.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            out.append(
                trust.TrustedKey(r.kid, r.alg, pub, spki, r.issuer, r.not_before, r.expires_at)
            )
        return out

    def _publish_trust_list(self, now: int) -> None:
        self._state["trust_version"] += 1
        payload = trust.trust_list_payload(
            self._state["trust_version"], now, now + LIST_LIFETIME_S, self._trusted_keys()
        )
        _write_atomic(self.directory / "trust-list.cose", self._sign_list(payload))
        self._save()

    def _publish_revocations(self, now: int) -> None:
        self._state["revocation_version"] += 1
        revoked = [bytes.fromhex(h) for h in self._state["revoked"]]
        payload = trust.revocation_list_payload(
            self._state["revocation_version"], now, now + LIST_LIFETIME_S, revoked
        )
        _write_atomic(self.directory / "revocations.cose", self._sign_list(payload))
        self._save()

    def sign_policy(self, text: str, *, version: int, now: int) -> bytes:
        """A site policy (TOML text) signed by the root, as the kiosks fetch it."""
        return self._sign_list(trust.signed_policy_payload(version, now, text))

    def policy_version(self, text: str, sites: Sequence[str]) -> int:
        """The version for this policy content: the same while it stays, one more for any
        change (a restore from backup included), kept in the issuer state on disk."""
        digest = server_signed.policy_digest(text, sites)
        held = self._state.get("policy", {"version": 0, "digest": ""})
        if held["digest"] != digest:
            held = {"version": int(held["version"]) + 1, "digest": digest}
            self._state["policy"] = held
            self._save()
        return int(held["version"])

    def sign_site_policy(
        self, text: str, *, sites: Sequence[str], now: int, valid_s: int = 7 * 86400
    ) -> tuple[int, bytes]:
        """A site policy with its version counter, sites and expiry, signed by the root."""
        version = self.policy_version(text, sites)
        payload = server_signed.site_policy_payload(
            version, now, text, sites=sites, expires_at=now + valid_s
        )
        return version, self._sign_list(payload)

    def certify_ack_key(self, spki: bytes, *, now: int, valid_s: int = 365 * 86400) -> bytes:
        """The server's ack key (Ed25519 SPKI DER) certified by the root, as kiosks fetch it."""
        return self._sign_list(server_signed.ack_key_payload(spki, now, now + valid_s))

    def republish(self, *, now: int) -> None:
        """Sign both lists again with fresh times (new versions)."""
        self._publish_trust_list(now)
        self._publish_revocations(now)

    def revoke(self, holder_id: bytes, *, now: int, issuer: str | None = None) -> int:
        """Revoke a holder; returns the new revocation list version."""
        if len(holder_id) != 16:
            raise IssuerError(f"a holder id is 16 bytes, got {len(holder_id)}")
        h = trust.revocation_hash(issuer or self.region, holder_id).hex()
        if h not in self._state["revoked"]:
            self._state["revoked"].append(h)
        self._publish_revocations(now)
        return self.revocation_version

    # --- minting -----------------------------------------------------------

    def credential(
        self,
        *,
        name: str,
        colour: Colour | str = Colour.GREEN,
        now: int,
        holder_id: bytes | None = None,
        vaccination: Vaccination | None = None,
        nucleic_acid: NucleicAcidTest | None = None,
        travel: TravelRecord | None = None,
        validity_s: int = DEFAULT_VALIDITY_S,
        issuer: str | None = None,
    ) -> Credential:
        """Build the credential a code would carry (not signed)."""
        region = issuer or self.region
        return Credential(
            issuer=region,
            issued_at=now,
            expires_at=now + validity_s,
            code=HealthCode(
                version=codec.SCHEMA_VERSION,
                holder_id=holder_id if holder_id is not None else holder_id_for(name, region),
                name=name,
                colour=Colour(colour),
                vaccination=vaccination,
                nucleic_acid=nucleic_acid,
                travel=travel,
            ),
        )

    def sign(
        self, credential: Credential, *, alg: str | None = None, kid: bytes | None = None
    ) -> str:
        """Sign a credential with an issuer key and return the QR text.

        The code is read back with the kiosk's own decoder before it is given
        out: what the spec forbids (an empty or 100-character name, ``exp`` not
        after ``iat``, a time out of range) is refused, never minted.
        """
        key_id, key = self.key_for(alg, kid)
        text = codec.encode(credential, key, kid=key_id)
        try:
            codec.decode(text)
        except DecodeError as exc:
            raise IssuerError(f"refusing to mint a code the spec forbids: {exc.message}") from None
        return text

    def mint(self, *, alg: str | None = None, **fields: Any) -> str:
        """Build and sign a code in one step; see ``credential`` for the fields."""
        return self.sign(self.credential(**fields), alg=alg)


def good_certificates(now: int, *, tz_hours: int = 8) -> dict[str, Any]:
    """Certificates that pass the default policy at ``now``: for demos and tests."""
    today = (dt.datetime.fromtimestamp(now, dt.UTC) + dt.timedelta(hours=tz_hours)).date()
    return {
        "vaccination": Vaccination(3, today - dt.timedelta(days=120)),
        "nucleic_acid": NucleicAcidTest(False, now - 20 * 3600),
        "travel": TravelRecord(
            now - 3600, (AreaVisit("CN-330106", RiskLevel.LOW, today - dt.timedelta(days=2)),)
        ),
    }


def high_risk_travel(now: int, *, days_ago: int = 5, area: str = "CN-110105") -> TravelRecord:
    """A travel record with a high-risk area visited ``days_ago`` days before ``now``."""
    day = dt.datetime.fromtimestamp(now, dt.UTC).date() - dt.timedelta(days=days_ago)
    return TravelRecord(now - 600, (AreaVisit(area, RiskLevel.HIGH, day),))
