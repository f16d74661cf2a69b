"""What the central server signs for a kiosk: its ack key certificate and each batch ack.

An ack marks entries sent, and sent entries are purged after retention, so
an ack believed from anyone loses entries (a 307 sent a batch elsewhere and
that host's ack marked 10/10 sent; the central server had 0).  The server
therefore signs every ack with an Ed25519 *ack key*, and the kiosk learns
that key in one of two ways:

- **published**: ``GET /v1/ack-key`` serves a COSE_Sign1 by the root key the
  kiosk already pins, payload ``{typ: "server-ack-key", spki, iat, exp}``
  (``typ`` keeps it from ever being read as a list or a policy, which have
  none); the kiosk keeps the last good one on disk;
- **pinned**: ``server.ack_key`` in the kiosk config names the PEM file.

An ack is the exact bytes of a JSON object (``ack_fields``) and the
``X-Ack-Signature`` header, base64 of the Ed25519 signature over those bytes.
``check_ack`` accepts it only when the signature verifies and the ack names
this kiosk, this batch id, the SHA-256 of the exact batch body sent, and
exactly the entry ids sent (no more, no fewer).  Its ``server_time_ms`` is
then a time the server vouches for (``kiosk.core.clock``).

Pure: no I/O, no clock reads.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.core import cbor, cose
from kiosk.core.errors import DecodeError, ListError, ReasonCode
from kiosk.core.trust import RootKey

ACK_KEY_TYPE = "server-ack-key"
ACK_VERSION = 1
MAX_ACK_KEY_CERT_BYTES = 4096


class AckError(Exception):
    """An ack that must not mark anything sent; the message says why in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class AckKey:
    """The server's ack key, as certified by the root (or pinned)."""

    public_key: Ed25519PublicKey
    issued_at: int
    expires_at: int | None


@dataclass(frozen=True)
class Head:
    """A point of a kiosk's chain: the seq and hash of an entry."""

    seq: int
    hash: str


@dataclass(frozen=True)
class VerifiedAck:
    """An ack that verified: what the server stored and when it says it did."""

    batch_id: str
    accepted: tuple[str, ...]
    stored: int
    duplicates: int
    server_time_ms: int
    head: Head | None


# --- the ack key ---------------------------------------------------------------


def ack_key_payload(spki: bytes, issued_at: int, expires_at: int) -> dict[str, Any]:
    """The payload map of an ack key certificate, ready for the root to sign."""
    return {"typ": ACK_KEY_TYPE, "spki": spki, "iat": issued_at, "exp": expires_at}


def _ed25519(spki: bytes, what: str) -> Ed25519PublicKey:
    try:
        key = cose.load_public_key_der(spki)
    except (ValueError, TypeError, DecodeError) as exc:
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: spki is not a key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: the ack key must be Ed25519")
    return key


def parse_ack_key_cert(data: bytes, root: RootKey, *, now: int, skew_s: int = 300) -> AckKey:
    """Verify an ack key certificate against the pinned root; ListError if refused."""
    what = "server ack key"
    if len(data) > MAX_ACK_KEY_CERT_BYTES:
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: {len(data)} bytes, too large")
    try:
        sign1 = cose.parse_sign1(data)
        alg = cose.header_alg(sign1.protected_map)
        payload = cbor.loads(sign1.payload)
    except DecodeError as exc:
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: {exc.message}") from None
    signed = cose.sig_structure(sign1.protected, sign1.payload)
    if alg != root.alg or not cose.verify_signature(
        root.public_key, root.alg, sign1.signature, signed
    ):
        raise ListError(
            ReasonCode.LIST_SIGNATURE, f"{what}: signature does not verify against the pinned root"
        )
    if not isinstance(payload, dict) or payload.get("typ") != ACK_KEY_TYPE:
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: not an ack key certificate")
    spki, iat, exp = payload.get("spki"), payload.get("iat"), payload.get("exp")
    if type(spki) is not bytes or type(iat) is not int or type(exp) is not int or exp <= iat:
        raise ListError(
            ReasonCode.LIST_STRUCTURE, f"{what}: expected spki (bytes), iat < exp (integers)"
        )
    if now > exp + skew_s:
        raise ListError(ReasonCode.LIST_EXPIRED, f"{what}: expired at {exp}")
    # No "issued in the future" check: a kiosk whose clock is behind must still sync,
    # since the signed acks are how it learns the right time.
    return AckKey(_ed25519(spki, what), iat, exp)


def pinned_ack_key(key: object) -> AckKey:
    """An ack key pinned in the config (already loaded from PEM)."""
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError(f"the server ack key must be Ed25519, got {type(key).__name__}")
    return AckKey(key, 0, None)


# --- acks ------------------------------------------------------------------------


def ack_fields(
    *,
    kiosk_id: str,
    batch_id: str,
    body_sha256: str,
    accepted: Sequence[str],
    stored: int,
    duplicates: int,
    server_time_ms: int,
    head: Head | None,
) -> dict[str, Any]:
    """The JSON object of an ack (the server serialises it once and signs those bytes)."""
    return {
        "v": ACK_VERSION,
        "kiosk_id": kiosk_id,
        "batch_id": batch_id,
        "body_sha256": body_sha256,
        "accepted": list(accepted),
        "stored": stored,
        "duplicates": duplicates,
        "server_time_ms": server_time_ms,
        "head": None if head is None else {"seq": head.seq, "hash": head.hash},
    }


def ack_bytes(fields: Mapping[str, Any]) -> bytes:
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def check_ack(
    body: bytes,
    signature_b64: str | None,
    key: AckKey | None,
    *,
    kiosk_id: str,
    batch_id: str,
    body_sha256: str,
    sent_ids: Sequence[str],
) -> VerifiedAck:
    """The ack, verified and matched to the batch sent; AckError otherwise."""
    if key is None:
        raise AckError("no server ack key is held yet (GET /v1/ack-key or server.ack_key)")
    if not signature_b64:
        raise AckError("the ack is not signed (no X-Ack-Signature)")
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key.public_key.verify(signature, body)
    except (binascii.Error, ValueError, InvalidSignature):
        raise AckError("the ack's signature does not verify with the server ack key") from None
    try:
        ack = json.loads(body)
        if not isinstance(ack, dict) or ack.get("v") != ACK_VERSION:
            raise ValueError
        accepted = ack["accepted"]
        if not isinstance(accepted, list) or not all(isinstance(i, str) for i in accepted):
            raise ValueError
        stored, duplicates, time_ms = ack["stored"], ack["duplicates"], ack["server_time_ms"]
        if not all(type(n) is int for n in (stored, duplicates, time_ms)):
            raise ValueError
        raw_head = ack["head"]
        head = None
        if raw_head is not None:
            if type(raw_head.get("seq")) is not int or not isinstance(raw_head.get("hash"), str):
                raise ValueError
            head = Head(raw_head["seq"], raw_head["hash"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise AckError("the signed ack does not have the ack fields") from None
    if ack.get("kiosk_id") != kiosk_id:
        raise AckError(f"the signed ack is for kiosk {ack.get('kiosk_id')!r}, not {kiosk_id}")
    if ack.get("batch_id") != batch_id:
        raise AckError("the signed ack names another batch")
    if ack.get("body_sha256") != body_sha256:
        raise AckError("the signed ack is for another body under this batch id")
    if len(accepted) != len(sent_ids) or set(accepted) != set(sent_ids):
        raise AckError(
            f"the signed ack names {len(accepted)} entries, not exactly the {len(sent_ids)} sent"
        )
    return VerifiedAck(batch_id, tuple(accepted), stored, duplicates, time_ms, head)


# --- what the kiosk signs ------------------------------------------------------------

BATCH_STATEMENT = b"checkpoint-batch-v2\n"


def batch_statement(kiosk_id: str, body_sha256: str) -> bytes:
    """What a kiosk's ``X-Signature`` covers: its id and the SHA-256 of the batch body.

    Signing the hash (sent as ``X-Body-SHA256``) rather than the body lets the
    server check who is sending before it reads a large body; the body is then
    checked against the hash.
    """
    return BATCH_STATEMENT + kiosk_id.encode("utf-8") + b"\n" + body_sha256.encode("ascii")


HEALTH_STATEMENT = b"checkpoint-health-v1\n"


def health_statement(kiosk_id: str, body_sha256: str) -> bytes:
    """What a kiosk signs to report its health (``POST /v1/health``): its id and the
    SHA-256 of the report's body (another prefix than a batch's: one is never the other)."""
    return HEALTH_STATEMENT + kiosk_id.encode("utf-8") + b"\n" + body_sha256.encode("ascii")


REKEY_STATEMENT = b"checkpoint-rekey-v1\n"


def rekey_statement(body: bytes) -> bytes:
    """What a kiosk's current key signs to ask for a new key (``POST /v1/kiosks``)."""
    return REKEY_STATEMENT + body


# --- signed time ---------------------------------------------------------------------


def time_fields(nonce: str, server_time_ms: int) -> dict[str, Any]:
    """The answer of ``GET /v1/time?nonce=...``: signed like an ack."""
    return {"v": ACK_VERSION, "typ": "time", "nonce": nonce, "server_time_ms": server_time_ms}


def check_time(body: bytes, signature_b64: str | None, key: AckKey | None, *, nonce: str) -> int:
    """The server time from a signed time answer naming our nonce; AckError otherwise."""
    if key is None:
        raise AckError("no server ack key is held yet")
    if not signature_b64:
        raise AckError("the time answer is not signed")
    try:
        key.public_key.verify(base64.b64decode(signature_b64, validate=True), body)
        data = json.loads(body)
    except (binascii.Error, ValueError, InvalidSignature):
        raise AckError("the time answer's signature does not verify") from None
    if not isinstance(data, dict) or data.get("typ") != "time" or data.get("nonce") != nonce:
        raise AckError("the signed time answer is not for this request")
    at = data.get("server_time_ms")
    if type(at) is not int:
        raise AckError("the signed time answer has no server_time_ms")
    return at


# --- the site policy's scope -----------------------------------------------------------


@dataclass(frozen=True)
class PolicyScope:
    """What a signed site policy says beyond its text: where it holds, until when, and the
    digest that makes its version mean one content."""

    version: int
    sites: tuple[str, ...]
    expires_at: int | None
    digest: str
    """SHA-256 over the policy text and its sites: one version, one content."""


ANY_SITE = "*"


def policy_digest(text: str, sites: Sequence[str]) -> str:
    return hashlib.sha256(
        json.dumps([text, sorted(sites)], ensure_ascii=False).encode("utf-8")
    ).hexdigest()


def policy_scope(data: bytes, root: RootKey) -> PolicyScope:
    """Read ``sites`` and ``exp`` of a signed policy (signature checked again); ListError.

    A policy signed before sites and expiry existed has neither: it is read as
    ``sites = ()``, which no kiosk accepts (``check_policy_scope``).
    """
    what = "site policy"
    try:
        sign1 = cose.parse_sign1(data)
        payload = cbor.loads(sign1.payload)
    except DecodeError as exc:
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: {exc.message}") from None
    signed = cose.sig_structure(sign1.protected, sign1.payload)
    if not cose.verify_signature(root.public_key, root.alg, sign1.signature, signed):
        raise ListError(ReasonCode.LIST_SIGNATURE, f"{what}: signature does not verify")
    if not isinstance(payload, dict):
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: payload must be a map")
    version, text = payload.get("ver"), payload.get("policy")
    sites, exp = payload.get("sites", []), payload.get("exp")
    if type(version) is not int or type(text) is not str:
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: 'ver' and 'policy' are required")
    if not isinstance(sites, list) or not all(type(x) is str for x in sites):
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: 'sites' must be a list of text")
    if exp is not None and type(exp) is not int:
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: 'exp' must be an integer")
    return PolicyScope(version, tuple(sites), exp, policy_digest(text, sites))


def check_policy_scope(
    scope: PolicyScope,
    *,
    site: str,
    now: int,
    skew_s: int,
    held: PolicyScope | None,
) -> None:
    """Refuse (ListError) a policy for another site, an expired one, or the version held
    with other content."""
    what = "site policy"
    if ANY_SITE not in scope.sites and site not in scope.sites:
        names = ", ".join(repr(s) for s in scope.sites) or "no site"
        raise ListError(
            ReasonCode.LIST_STRUCTURE, f"{what}: signed for {names}, not this site {site!r}"
        )
    if scope.expires_at is None:
        raise ListError(ReasonCode.LIST_STRUCTURE, f"{what}: has no expiry ('exp')")
    if now > scope.expires_at + skew_s:
        raise ListError(ReasonCode.LIST_EXPIRED, f"{what}: expired at {scope.expires_at}")
    if held is not None and held.version == scope.version and held.digest != scope.digest:
        raise ListError(
            ReasonCode.LIST_ROLLBACK,
            f"{what}: version {scope.version} again with other content (a replay); refused",
        )


def site_policy_payload(
    version: int, issued_at: int, text: str, *, sites: Sequence[str], expires_at: int
) -> dict[str, Any]:
    """The payload of a signed site policy with its scope, ready for the root to sign."""
    return {
        "ver": version,
        "iat": issued_at,
        "policy": text,
        "sites": list(sites),
        "exp": expires_at,
    }


# --- acknowledged chain heads ----------------------------------------------------------

HEADS_STATEMENT = b"checkpoint-heads-v1\n"


def heads_statement(kiosk_id: str, nonce: str) -> bytes:
    """What a kiosk signs to ask for the heads the server acknowledged to it."""
    return HEADS_STATEMENT + kiosk_id.encode("utf-8") + b"\n" + nonce.encode("ascii")


def heads_fields(
    kiosk_id: str, nonce: str, server_time_ms: int, heads: Sequence[tuple[int, str]]
) -> dict[str, Any]:
    return {
        "v": ACK_VERSION,
        "typ": "heads",
        "kiosk_id": kiosk_id,
        "nonce": nonce,
        "server_time_ms": server_time_ms,
        "heads": [[seq, h] for seq, h in heads],
    }


def check_heads(
    body: bytes, signature_b64: str | None, key: AckKey | None, *, kiosk_id: str, nonce: str
) -> tuple[Head, ...]:
    """The acknowledged heads from a signed answer for this kiosk and nonce; AckError."""
    if key is None:
        raise AckError("no server ack key is held yet")
    try:
        key.public_key.verify(base64.b64decode(signature_b64 or "", validate=True), body)
        data = json.loads(body)
    except (binascii.Error, ValueError, InvalidSignature):
        raise AckError("the heads answer is not signed by the server ack key") from None
    if (
        not isinstance(data, dict)
        or data.get("typ") != "heads"
        or data.get("kiosk_id") != kiosk_id
        or data.get("nonce") != nonce
        or not isinstance(data.get("heads"), list)
    ):
        raise AckError("the signed heads answer is not for this request")
    heads = []
    for item in data["heads"]:
        if not (isinstance(item, list) and len(item) == 2 and type(item[0]) is int
                and isinstance(item[1], str)):  # fmt: skip
            raise AckError("the signed heads answer has a malformed head")
        heads.append(Head(item[0], item[1]))
    return tuple(heads)


def compare_heads(heads: Sequence[Head], local: Mapping[int, str]) -> tuple[int, list[str]]:
    """Compare acknowledged heads with the local log (seq -> hash of the entries held):
    (heads compared, one line per mismatch).  Heads whose seq is no longer held locally
    (purged) are not compared."""
    compared = 0
    problems = []
    for head in heads:
        mine = local.get(head.seq)
        if mine is None:
            continue
        compared += 1
        if mine != head.hash:
            problems.append(
                f"seq {head.seq}: the server acknowledged hash {head.hash[:16]}..., the local"
                f" log now has {mine[:16]}...: entries already synced were rewritten"
            )
    return compared, problems
