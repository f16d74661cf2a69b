"""Signed trust list and revocation list (docs/wire-format.md#signed-lists): parse, verify, index.

Both lists are COSE_Sign1 objects signed by the root key pinned in the
kiosk's configuration.  A list is refused (``ListError``) when its
signature does not verify against that root, when its structure is wrong,
or when its version is lower than the one the kiosk already holds
(rollback), or when its ``iat`` lies more than the skew in the future (a
list "from the future" would look fresh for as long as it likes).  A list
past its own ``exp`` is still returned: a kiosk offline for days keeps
working from its last good lists, every decision then carries LIST_EXPIRED,
and the site policy decides what that does (``policy.judge_list_dates``).

The trust list is indexed by kid; a kid may map to several keys, and the
verifier tries every one of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.core import cbor, cose, limits
from kiosk.core.errors import DecodeError, ListError, ReasonCode


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """One issuer signing key from the trust list."""

    kid: bytes
    alg: int
    public_key: cose.PublicKey
    spki: bytes
    issuer: str
    not_before: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class TrustList:
    """A verified trust list: issuer keys indexed by kid."""

    version: int
    issued_at: int
    expires_at: int
    keys: Mapping[bytes, tuple[TrustedKey, ...]]

    def keys_for(self, kid: bytes) -> tuple[TrustedKey, ...]:
        return self.keys.get(kid, ())

    @property
    def key_count(self) -> int:
        return sum(len(v) for v in self.keys.values())


@dataclass(frozen=True, slots=True)
class RevocationList:
    """A verified revocation list: the set of revoked holder hashes."""

    version: int
    issued_at: int
    expires_at: int
    revoked: frozenset[bytes]

    def is_revoked(self, issuer: str, holder_id: bytes) -> bool:
        return revocation_hash(issuer, holder_id) in self.revoked


@dataclass(frozen=True, slots=True)
class RootKey:
    """The pinned root public key and the one algorithm it signs with."""

    public_key: cose.PublicKey
    alg: int


def revocation_hash(issuer: str, holder_id: bytes) -> bytes:
    """First 16 bytes of SHA-256 over ``utf8(iss) || 0x00 || id``.

    ``docs/wire-format.md#signed-lists``.
    """
    return hashlib.sha256(issuer.encode("utf-8") + b"\x00" + holder_id).digest()[
        : limits.REVOCATION_HASH_LEN
    ]


def load_root_key(pem: bytes) -> RootKey:
    """Load the pinned root public key from PEM bytes."""
    try:
        key = cose.load_public_key_pem(pem)
        return RootKey(key, cose.alg_of_key(key))
    except (ValueError, TypeError) as exc:
        raise ListError(
            ReasonCode.LIST_STRUCTURE, f"root key is not a usable PEM public key: {exc}"
        ) from None


def _structure(what: str, message: str) -> ListError:
    return ListError(ReasonCode.LIST_STRUCTURE, f"{what}: {message}")


def _verified_payload(data: bytes, root: RootKey, what: str) -> dict[str, Any]:
    if len(data) > limits.MAX_LIST_BYTES:
        raise _structure(what, f"{len(data)} bytes, more than {limits.MAX_LIST_BYTES}")
    try:
        sign1 = cose.parse_sign1(data, max_items=limits.MAX_LIST_CBOR_ITEMS)
        alg = cose.header_alg(sign1.protected_map)
    except DecodeError as exc:
        raise _structure(what, exc.message) from None
    if alg != root.alg:
        raise ListError(
            ReasonCode.LIST_SIGNATURE,
            f"{what}: signed with {cose.ALG_NAMES.get(alg, alg)}, the root key uses "
            f"{cose.ALG_NAMES[root.alg]}",
        )
    to_check = cose.sig_structure(sign1.protected, sign1.payload)
    if not cose.verify_signature(root.public_key, root.alg, sign1.signature, to_check):
        raise ListError(
            ReasonCode.LIST_SIGNATURE,
            f"{what}: signature does not verify against the pinned root key",
        )
    try:
        payload = cbor.loads(sign1.payload, max_items=limits.MAX_LIST_CBOR_ITEMS)
    except DecodeError as exc:
        raise _structure(what, exc.message) from None
    if not isinstance(payload, dict):
        raise _structure(what, "payload must be a map")
    return payload


def _int(m: Mapping[str, Any], key: str, what: str) -> int:
    value = m.get(key)
    if type(value) is not int:
        raise _structure(what, f"'{key}' must be an integer")
    return value


def check_issued_at(what: str, iat: int, now: int, skew_s: int) -> None:
    """Refuse a signed object whose ``iat`` lies more than the skew in the future."""
    if iat > now + skew_s:
        raise ListError(
            ReasonCode.LIST_FROM_FUTURE,
            f"{what}: issued {iat - now} s in the future (iat {iat}); check the kiosk clock",
        )


def _header(
    payload: Mapping[str, Any], what: str, held_version: int | None, now: int, skew_s: int
) -> tuple[int, int, int]:
    ver = _int(payload, "ver", what)
    iat = _int(payload, "iat", what)
    exp = _int(payload, "exp", what)
    if exp <= iat:
        raise _structure(what, "'exp' must be later than 'iat'")
    check_issued_at(what, iat, now, skew_s)
    if held_version is not None and ver < held_version:
        raise ListError(
            ReasonCode.LIST_ROLLBACK,
            f"{what}: version {ver} is older than the version {held_version} already held",
        )
    return ver, iat, exp


def _trusted_key(entry: Any, index: int) -> TrustedKey:
    what = f"trust list key {index}"
    if not isinstance(entry, dict):
        raise _structure(what, "must be a map")
    kid = entry.get("kid")
    if type(kid) is not bytes or len(kid) != limits.KID_LEN:
        raise _structure(what, f"'kid' must be {limits.KID_LEN} bytes")
    alg = _int(entry, "alg", what)
    if alg not in cose.ALG_NAMES:
        raise _structure(what, f"algorithm {alg} is not supported")
    spki = entry.get("spki")
    if type(spki) is not bytes:
        raise _structure(what, "'spki' must be bytes (DER SubjectPublicKeyInfo)")
    try:
        public_key = cose.load_public_key_der(spki)
    except (ValueError, TypeError) as exc:
        raise _structure(what, f"'spki' is not a usable public key ({exc})") from None
    if cose.alg_of_key(public_key) != alg:
        raise _structure(what, f"key type does not match algorithm {cose.ALG_NAMES[alg]}")
    iss = entry.get("iss")
    if type(iss) is not str or not 1 <= len(iss) <= limits.MAX_ISSUER_LEN:
        raise _structure(what, f"'iss' must be text of 1..{limits.MAX_ISSUER_LEN} characters")
    nbf = _int(entry, "nbf", what)
    exp = _int(entry, "exp", what)
    return TrustedKey(kid, alg, public_key, spki, iss, nbf, exp)


def parse_trust_list(
    data: bytes,
    root: RootKey,
    *,
    now: int,
    held_version: int | None = None,
    skew_s: int = limits.DEFAULT_SKEW_SECONDS,
) -> TrustList:
    """Verify and parse a signed trust list; raise ListError if it must be refused.

    A list past its ``exp`` is still returned (see the module docstring).
    """
    what = "trust list"
    payload = _verified_payload(data, root, what)
    ver, iat, exp = _header(payload, what, held_version, now, skew_s)
    keys = payload.get("keys")
    if not isinstance(keys, list):
        raise _structure(what, "'keys' must be an array")
    index: dict[bytes, list[TrustedKey]] = {}
    for i, entry in enumerate(keys):
        key = _trusted_key(entry, i)
        index.setdefault(key.kid, []).append(key)
    return TrustList(ver, iat, exp, {k: tuple(v) for k, v in index.items()})


def parse_revocation_list(
    data: bytes,
    root: RootKey,
    *,
    now: int,
    held_version: int | None = None,
    skew_s: int = limits.DEFAULT_SKEW_SECONDS,
) -> RevocationList:
    """Verify and parse a signed revocation list; raise ListError if it must be refused."""
    what = "revocation list"
    payload = _verified_payload(data, root, what)
    ver, iat, exp = _header(payload, what, held_version, now, skew_s)
    revoked = payload.get("revoked")
    if not isinstance(revoked, list):
        raise _structure(what, "'revoked' must be an array")
    for i, h in enumerate(revoked):
        if type(h) is not bytes or len(h) != limits.REVOCATION_HASH_LEN:
            raise _structure(what, f"entry {i} must be {limits.REVOCATION_HASH_LEN} bytes")
    return RevocationList(ver, iat, exp, frozenset(revoked))


MAX_POLICY_TEXT = 65536
"""Longest site policy text accepted from the central server (characters)."""


@dataclass(frozen=True, slots=True)
class SignedPolicy:
    """A site policy distributed by the central server, signed by the root key.

    The text is the policy TOML; the caller parses it (``kiosk.core.policy``).
    """

    version: int
    issued_at: int
    text: str


def parse_signed_policy(
    data: bytes, root: RootKey, *, held_version: int | None = None
) -> SignedPolicy:
    """Verify a signed site policy; raise ListError if it must be refused.

    Same envelope as the lists (COSE_Sign1 by the pinned root), payload
    ``{ver, iat, policy: text}``.  Unsigned or wrongly signed policy is
    refused, so nobody on the network can loosen a site's rules, and so is
    a version lower than the one held (rollback).
    """
    what = "site policy"
    payload = _verified_payload(data, root, what)
    ver = _int(payload, "ver", what)
    iat = _int(payload, "iat", what)
    if held_version is not None and ver < held_version:
        raise ListError(
            ReasonCode.LIST_ROLLBACK,
            f"{what}: version {ver} is older than the version {held_version} already held",
        )
    text = payload.get("policy")
    if type(text) is not str or len(text) > MAX_POLICY_TEXT:
        raise _structure(what, f"'policy' must be text of at most {MAX_POLICY_TEXT} characters")
    return SignedPolicy(ver, iat, text)


# --- issuing (central server side) ----------------------------------------


def signed_policy_payload(version: int, issued_at: int, text: str) -> dict[str, Any]:
    """The payload map of a signed site policy, ready to sign."""
    return {"ver": version, "iat": issued_at, "policy": text}


def trust_list_payload(
    version: int, issued_at: int, expires_at: int, keys: list[TrustedKey]
) -> dict[str, Any]:
    """The payload map of a trust list, ready to sign."""
    return {
        "ver": version,
        "iat": issued_at,
        "exp": expires_at,
        "keys": [
            {
                "kid": k.kid,
                "alg": k.alg,
                "spki": k.spki,
                "iss": k.issuer,
                "nbf": k.not_before,
                "exp": k.expires_at,
            }
            for k in keys
        ],
    }


def revocation_list_payload(
    version: int, issued_at: int, expires_at: int, revoked: list[bytes]
) -> dict[str, Any]:
    """The payload map of a revocation list, ready to sign."""
    return {"ver": version, "iat": issued_at, "exp": expires_at, "revoked": sorted(revoked)}
