"""The central server stub: an HTTP API that takes kiosk batches and serves signed lists.

``create_app(settings)`` builds the FastAPI application; ``ServerThread``
runs it with uvicorn on a free loopback port inside the current process
(tests and benchmarks); ``server-stub serve`` runs it as its own process.

    POST /v1/trace          source tracing for the health authority (admin credential)
    POST /v1/kiosks         register a kiosk (admin credential) or re-key it (admin, or
                            signed by its current key); a revoked kiosk is refused
    POST /v1/batches        a signed batch of log entries -> an ack signed by the ack key
    GET  /v1/time?nonce=N   the server's time and the nonce, signed with the ack key
    GET  /v1/heads?nonce=N  the chain heads acknowledged to the (signing) kiosk, signed
    GET  /v1/ack-key        the ack key's certificate, signed by the root (COSE_Sign1)
    GET  /v1/trust-list     the signed trust list (application/cose, ETag = version)
    GET  /v1/revocations    the signed revocation list (same)
    GET  /v1/policy         the site policy TOML, signed by the root key (COSE_Sign1)
    GET  /v1/stats          entries per kiosk; recent entries only with the admin credential
    GET  /v1/report?day=D&utc_offset_min=M   the day's report per kiosk, site, all (admin)
    GET  /v1/dashboard?day=D&utc_offset_min=M   the same as one read-only HTML page (admin)
    GET  /healthz           liveness
    GET/POST /v1/admin/faults   the injected faults (loopback only)

A batch is checked in this order, and nothing is stored unless every check
passes: from the headers alone, before any body is read, kiosk known and not
revoked (403) and its signature over ``batch_statement(kiosk id, the body's
SHA-256 in X-Body-SHA256)`` (401); then size (413), the body's SHA-256
against the signed one (401), JSON and schema (422), batch id seen before
(same body: the same answer again; other body: 409), replay window on
``sent_at_ms`` (400), every entry read strictly and its hash recomputed, the
batch's entries linked to each other (422); then, inside the storing
transaction, no seq already held by another entry of the kiosk (409
SEQ_CONFLICT, recorded and counted in ``/v1/stats``) and the chain linked to
the entries held just before and after (422 BAD_CHAIN).  Then the batch is
stored in that one SQLite transaction.  Every response carries a ``Date``
header (uvicorn's).

Connections are bounded (``guarded_http``, ``ServerSettings``): an idle one
is closed after ``keep_alive_s``, a request head must arrive within
``header_timeout_s``, a body within ``body_timeout_s`` (408), and above
``limit_concurrency`` connections + requests the answer is 503 at once.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime as dt
import functools
import hashlib
import hmac
import itertools
import json
import logging
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kiosk.core import cbor, cose
from kiosk.core.entry import Entry, canonical_body, entry_from_wire
from kiosk.core.errors import KioskError
from kiosk.core.report import day_window
from kiosk.core.server_signed import (
    Head,
    ack_bytes,
    ack_fields,
    batch_statement,
    heads_fields,
    heads_statement,
    health_statement,
    policy_digest,
    rekey_statement,
    time_fields,
)
from server_stub.ack_signer import AckSigner, load_or_create_ack_key, public_spki
from server_stub.faults import Fault, FaultInjector, FaultSpecError, format_faults, parse_faults
from server_stub.guarded_http import guarded_h11
from server_stub.health import MAX_HEALTH_BYTES, parse_health
from server_stub.issuer import Issuer, IssuerError
from server_stub.reports import dashboard_html, full_report
from server_stub.store_port import (
    ChainBreakError,
    ConflictError,
    SeqConflictError,
    Store,
    open_store,
)
from server_stub.trace import trace

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest batch body accepted; a bigger one is answered 413 before it is parsed."""

REPLAY_WINDOW_S = 24 * 3600
"""A new batch whose ``sent_at_ms`` is further than this from server time is a replay."""

MAX_ENTRIES_PER_BATCH = 10_000
"""More entries than this in one batch is a schema error."""

MAX_HEADS = 20_000
"""Most chain heads returned by /v1/heads (the newest; one per batch)."""

FAULT_PATHS = frozenset({"/v1/batches", "/v1/trust-list", "/v1/revocations", "/v1/policy"})
"""The endpoints that injected faults apply to (what a kiosk calls)."""

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})

log = logging.getLogger("server_stub")


@dataclass(frozen=True)
class ServerSettings:
    """Everything the server needs; paths are files it reads on each request."""

    issuer_dir: Path
    db_path: Path
    policy_path: Path
    faults: tuple[Fault, ...] = ()
    fault_seed: int | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    replay_window_s: float = REPLAY_WINDOW_S
    max_entries: int = MAX_ENTRIES_PER_BATCH
    keep_alive_s: float = 5.0
    """An idle keep-alive connection is closed after this (uvicorn ``timeout_keep_alive``)."""
    header_timeout_s: float = 10.0
    """A request's headers must be complete this long after the connection opened or the
    last response (``guarded_http``)."""
    body_timeout_s: float = 30.0
    """A request body must be complete this long after its headers (408 otherwise)."""
    limit_concurrency: int = 64
    """Connections plus running requests above this get 503 at once (uvicorn)."""
    max_header_bytes: int = 16 * 1024
    """Largest request head (h11 ``max_incomplete_event_size``)."""
    sites: tuple[str, ...] = ("*",)
    """The sites the served policy is signed for; ``*`` is every site."""
    policy_valid_s: int = 7 * 86400
    """A signed policy expires this long after it is signed."""
    sign_acks: bool = True
    """False only to measure what signing costs (bench/server_ingest.py); kiosks refuse
    unsigned acks."""
    ack_key_path: Path | None = None
    """The server's Ed25519 ack key (PEM); None: ``server-ack-key.pem`` beside the database."""
    db_url: str | None = None
    """A ``postgresql://`` URL: the store is that database (``server_stub.pg_store``) and
    ``db_path`` only says where the ack key is kept by default."""
    clock: Callable[[], float] = field(default=time.time, compare=False)


class Rejected(Exception):
    """A request refused with an HTTP status and one line saying why."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def _error(status: int, error: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    for part in header.split(","):
        tag = part.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def list_version(data: bytes, fallback: int) -> int:
    """The ``ver`` inside a signed list (unverified: it only names the ETag)."""
    try:
        payload = cbor.loads(cose.parse_sign1(data).payload)
        version = payload["ver"]
    except (KioskError, KeyError, TypeError):
        return fallback
    return version if isinstance(version, int) else fallback


def load_ed25519_public_pem(pem: str | bytes) -> ed25519.Ed25519PublicKey:
    """An Ed25519 public key from PEM; ValueError with one line otherwise."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM public key ({exc})") from None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        raise ValueError(f"expected an Ed25519 public key, got {type(key).__name__}")
    return key


# --- batches ------------------------------------------------------------------


class BatchHandler:
    """Checks and stores one batch; synchronous, run in a worker thread."""

    def __init__(self, store: Store, settings: ServerSettings) -> None:
        self.store = store
        self.settings = settings
        self._keys: dict[str, tuple[str, ed25519.Ed25519PublicKey]] = {}
        self._keys_lock = threading.Lock()

    def _public_key(self, kiosk_id: str) -> ed25519.Ed25519PublicKey | None:
        record = self.store.kiosk_record(kiosk_id)
        if record is None:
            return None
        pem, revoked_ms = record
        if revoked_ms is not None:
            raise Rejected(403, "KIOSK_REVOKED", f"kiosk {kiosk_id!r} was revoked by the operator")
        with self._keys_lock:
            cached = self._keys.get(kiosk_id)
            if cached is not None and cached[0] == pem:
                return cached[1]
        key = load_ed25519_public_pem(pem)
        with self._keys_lock:
            self._keys[kiosk_id] = (pem, key)
        return key

    def authenticate(self, headers: Mapping[str, str]) -> tuple[str, str]:
        """Who sends, from the headers alone, before any of the body is read.

        Returns (kiosk id, the body's declared SHA-256); raises Rejected: 401
        without an id, a hash or a signature that verifies, 403 for a kiosk
        that is unknown or revoked.
        """
        kiosk_id = headers.get("x-kiosk-id", "")
        if not kiosk_id:
            raise Rejected(401, "NO_KIOSK_ID", "the X-Kiosk-Id header is missing")
        key = self._public_key(kiosk_id)
        if key is None:
            raise Rejected(403, "UNKNOWN_KIOSK", f"kiosk {kiosk_id!r} is not registered")
        declared = headers.get("x-body-sha256", "").lower()
        if len(declared) != 64 or any(c not in "0123456789abcdef" for c in declared):
            raise Rejected(401, "BAD_SIGNATURE", "X-Body-SHA256 must be 64 hex digits")
        try:
            signature = base64.b64decode(headers.get("x-signature", ""), validate=True)
        except (binascii.Error, ValueError):
            raise Rejected(401, "BAD_SIGNATURE", "X-Signature is not base64") from None
        try:
            key.verify(signature, batch_statement(kiosk_id, declared))
        except InvalidSignature:
            raise Rejected(
                401, "BAD_SIGNATURE", f"signature does not verify with kiosk {kiosk_id}'s key"
            ) from None
        return kiosk_id, declared

    def handle(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """The ack fields for a batch (to be signed); raises Rejected with the status to answer."""
        response, kiosk_id, digest = self._handle(body, headers)
        return ack_fields(
            kiosk_id=kiosk_id,
            batch_id=response["batch_id"],
            body_sha256=digest,
            accepted=response["accepted"],
            stored=response["stored"],
            duplicates=response["duplicates"],
            server_time_ms=int(self.settings.clock() * 1000),
            head=Head(**response["head"]) if response.get("head") else None,
        )

    def _handle(self, body: bytes, headers: Mapping[str, str]) -> tuple[dict[str, Any], str, str]:
        kiosk_id, declared = self.authenticate(headers)
        digest = hashlib.sha256(body).hexdigest()
        if digest != declared:
            raise Rejected(401, "BAD_SIGNATURE", "the body does not match its signed SHA-256")

        batch = self._parse(body, kiosk_id)
        batch_id = batch["batch_id"]
        if headers.get("idempotency-key", "") != batch_id:
            raise Rejected(422, "SCHEMA", "Idempotency-Key must equal the batch_id")
        seen = self.store.find_batch(batch_id)
        if seen is not None:
            again = self._again(seen.kiosk_id, seen.body_sha256, seen.response, kiosk_id, digest)
            return again, kiosk_id, digest

        now_ms = int(self.settings.clock() * 1000)
        window_ms = int(self.settings.replay_window_s * 1000)
        if abs(batch["sent_at_ms"] - now_ms) > window_ms:
            raise Rejected(
                400,
                "REPLAY",
                f"sent_at_ms is {(batch['sent_at_ms'] - now_ms) / 1000:+.0f} s from server time, "
                f"outside the +-{self.settings.replay_window_s:.0f} s window",
            )
        entries, bodies = self._entries(batch["entries"], kiosk_id)
        last = max(entries, key=lambda e: e.seq, default=None)
        head = batch.get("head")
        if head is not None and (
            last is None
            or not isinstance(head, dict)
            or head.get("seq") != last.seq
            or head.get("hash") != last.hash
        ):
            raise Rejected(422, "BAD_HEAD", "the batch's signed head is not its last entry")
        try:
            stored, new = self.store.store_batch(
                kiosk_id=kiosk_id,
                batch_id=batch_id,
                body_sha256=digest,
                entries=entries,
                bodies=bodies,
                now_ms=now_ms,
                head=None if last is None else (last.seq, last.hash),
            )
        except SeqConflictError as exc:
            self.store.record_seq_conflict(exc, batch_id=batch_id, now_ms=now_ms)
            log.warning("refused batch %s: %s", batch_id, exc)
            raise Rejected(409, "SEQ_CONFLICT", str(exc)) from None
        except ConflictError as exc:
            raise Rejected(409, "ENTRY_CONFLICT", str(exc)) from None
        except ChainBreakError as exc:
            raise Rejected(422, "BAD_CHAIN", str(exc)) from None
        if not new:
            again = self._again(
                stored.kiosk_id, stored.body_sha256, stored.response, kiosk_id, digest
            )
            return again, kiosk_id, digest
        return stored.response, kiosk_id, digest

    @staticmethod
    def _again(
        seen_kiosk: str, seen_digest: str, response: dict[str, Any], kiosk_id: str, digest: str
    ) -> dict[str, Any]:
        if seen_kiosk != kiosk_id or seen_digest != digest:
            raise Rejected(
                409, "BATCH_CONFLICT", "this batch_id was already used with a different body"
            )
        return response

    def _parse(self, body: bytes, kiosk_id: str) -> dict[str, Any]:
        try:
            batch = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise Rejected(422, "MALFORMED_JSON", f"body is not JSON: {exc}") from None
        if not isinstance(batch, dict):
            raise Rejected(422, "SCHEMA", "body must be a JSON object")
        expected = {"kiosk_id", "batch_id", "sent_at_ms", "entries"}
        missing = sorted(expected - batch.keys())
        if missing:
            raise Rejected(422, "SCHEMA", f"batch field '{missing[0]}' is missing")
        extra = sorted(batch.keys() - expected - {"head"})
        if extra:
            raise Rejected(422, "SCHEMA", f"batch field '{extra[0]}' is not a batch field")
        if batch["kiosk_id"] != kiosk_id:
            raise Rejected(422, "SCHEMA", "batch kiosk_id differs from the X-Kiosk-Id header")
        batch_id = batch["batch_id"]
        try:
            if not isinstance(batch_id, str) or str(uuid.UUID(batch_id)) != batch_id:
                raise ValueError
        except ValueError:
            raise Rejected(422, "SCHEMA", "batch_id must be a lowercase UUID text") from None
        sent = batch["sent_at_ms"]
        if isinstance(sent, bool) or not isinstance(sent, int) or sent < 0:
            raise Rejected(422, "SCHEMA", "sent_at_ms must be a whole number of milliseconds")
        entries = batch["entries"]
        if not isinstance(entries, list):
            raise Rejected(422, "SCHEMA", "entries must be a list")
        if len(entries) > self.settings.max_entries:
            raise Rejected(
                422, "SCHEMA", f"{len(entries)} entries, more than {self.settings.max_entries}"
            )
        return batch

    @staticmethod
    def _entries(raw: list[Any], kiosk_id: str) -> tuple[list[Entry], list[str]]:
        """Read every entry strictly and recompute its hash; returns the entries and the
        canonical body text each hash covers (what the database keeps)."""
        entries: list[Entry] = []
        bodies: list[str] = []
        ids: set[str] = set()
        for i, item in enumerate(raw):
            try:
                entry = entry_from_wire(item)
                body = canonical_body(entry)
            except ValueError as exc:
                raise Rejected(422, "SCHEMA", f"entry {i}: {exc}") from None
            if entry.kiosk_id != kiosk_id:
                raise Rejected(422, "SCHEMA", f"entry {i}: kiosk_id is not the sender's")
            # the hash formula of kiosk.core.entry.chain_hash, keeping the text it covers
            computed = hashlib.sha256((entry.prev_hash + body).encode("utf-8")).hexdigest()
            if computed != entry.hash:
                raise Rejected(
                    422, "BAD_HASH", f"entry {i} (seq {entry.seq}): hash does not match its fields"
                )
            if entry.id in ids:
                raise Rejected(422, "SCHEMA", f"entry {i}: id {entry.id} appears twice")
            ids.add(entry.id)
            entries.append(entry)
            bodies.append(body)
        by_seq = sorted(entries, key=lambda e: e.seq)
        for before, after in itertools.pairwise(by_seq):
            if after.seq == before.seq:
                raise Rejected(422, "SCHEMA", f"seq {after.seq} appears twice")
            if after.seq == before.seq + 1 and after.prev_hash != before.hash:
                raise Rejected(
                    422, "BAD_CHAIN", f"seq {after.seq} does not link to seq {before.seq}"
                )
        return entries, bodies


# --- faults -------------------------------------------------------------------


class FaultMiddleware:
    """Applies the injected faults to the kiosk endpoints (pure ASGI, no buffering otherwise)."""

    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in FAULT_PATHS:
            await self.app(scope, receive, send)
            return
        fault = self.injector.pick(scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        log.info("fault injected: %s on %s", fault, scope["path"])
        if fault.kind in ("500", "429"):
            await self._drain(receive)
            status = int(fault.kind)
            headers = {"Retry-After": f"{fault.param:g}"} if status == 429 else {}
            response = _error(status, f"FAULT_{status}", "injected fault", **headers)
            await response(scope, receive, send)
            return
        if fault.kind == "redirect":
            await self._drain(receive)
            where = f"http://127.0.0.1:9{scope['path']}"
            await Response(status_code=307, headers={"Location": where})(scope, receive, send)
            return
        if fault.kind == "bomb":
            await self._drain(receive)
            bomb = Response(_gzip_bomb(), headers={"Content-Encoding": "gzip"})
            await bomb(scope, receive, send)
            return
        if fault.kind == "poison":
            buffered = await self._buffer(receive)
            if scope["path"] == "/v1/batches" and _holds_seq(buffered, int(fault.param)):
                response = _error(422, "POISON", "injected: this batch is refused for good")
                await response(scope, receive, send)
                return

            async def again() -> Message:
                return buffered.pop(0) if buffered else await receive()

            await self.app(scope, again, send)
            return
        if fault.kind == "delay":
            # Take the whole request first: the server has it even if the client gives up.
            buffered = await self._buffer(receive)
            await asyncio.sleep(fault.param)

            async def replay() -> Message:
                return buffered.pop(0) if buffered else await receive()

            await self.app(scope, replay, send)
            return
        # drop / truncate: let the request take effect, then lose the answer.
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        await send(start)
        if fault.kind == "drip":
            for i in range(min(len(body), 20)):
                await send(
                    {"type": "http.response.body", "body": body[i : i + 1], "more_body": True}
                )
                await asyncio.sleep(fault.param)
            return
        if fault.kind == "truncate" and body:
            await send(
                {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
            )
        # Returning without the final body message makes uvicorn close the connection.

    @staticmethod
    async def _buffer(receive: Receive) -> list[Message]:
        messages: list[Message] = []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request" or not message.get("more_body", False):
                return messages

    @staticmethod
    async def _drain(receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return


@functools.cache
def _gzip_bomb() -> bytes:
    """64 MiB of zeros, gzip-compressed (~64 KB)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    return b"".join([*(z.compress(block) for _ in range(64)), z.flush()])


def _holds_seq(messages: list[Message], seq: int) -> bool:
    """Does the buffered batch hold an entry with this seq (0: any batch)?"""
    if seq == 0:
        return True
    try:
        batch = json.loads(b"".join(m.get("body", b"") for m in messages))
        return any(e.get("seq") == seq for e in batch["entries"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


class _QuietFaults(logging.Filter):
    """Hides uvicorn's complaint about the responses the faults cut short on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


# --- the application ------------------------------------------------------------


async def _read_body(request: Request, limit: int, timeout_s: float = 30.0) -> bytes:
    """The request body, or Rejected(413) once it passes ``limit`` bytes, or Rejected(408)
    when it is not complete within ``timeout_s`` (a trickled body).

    The rest of an oversized body is read and thrown away (up to 4x the
    limit) so that the client sees the 413 instead of a reset connection.
    """
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > 4 * limit:
        raise Rejected(413, "TOO_LARGE", f"body of {length} bytes, more than {limit}")
    chunks: list[bytes] = []
    size = 0
    too_large = length is not None and length.isdigit() and int(length) > limit
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    too_large = True
                    chunks.clear()
                    if size > 4 * limit:
                        break
                elif not too_large:
                    chunks.append(chunk)
    except ClientDisconnect:
        raise Rejected(499, "CLIENT_GONE", "the client closed the connection") from None
    except TimeoutError:
        raise Rejected(
            408, "BODY_TIMEOUT", f"the body did not arrive within {timeout_s:g} s"
        ) from None
    if too_large:
        raise Rejected(413, "TOO_LARGE", f"body of {length or size} bytes, more than {limit}")
    return b"".join(chunks)


def _check_rekey(
    request: Request, body: bytes, kiosk_id: str, record: tuple[str, int | None]
) -> None:
    """A re-key without the admin credential must be signed by the kiosk's current key."""
    pem, revoked_ms = record
    if revoked_ms is not None:
        raise Rejected(403, "KIOSK_REVOKED", f"kiosk {kiosk_id!r} was revoked by the operator")
    refused = Rejected(
        403,
        "REKEY_REFUSED",
        f"kiosk {kiosk_id!r} is registered: a new key needs the admin credential or a request"
        " signed by its current key",
    )
    if request.headers.get("x-kiosk-id", "") != kiosk_id:
        raise refused
    try:
        signature = base64.b64decode(request.headers.get("x-signature", ""), validate=True)
        load_ed25519_public_pem(pem).verify(signature, rekey_statement(body))
    except (binascii.Error, ValueError, InvalidSignature):
        raise refused from None


def _site_and_salt(data: dict[str, Any]) -> tuple[str | None, bytes | None]:
    """Optional ``site`` (text) and ``holder_salt`` (hex, 16 to 4096 bytes) of an enrolment."""
    site = data.get("site")
    salt_hex = data.get("holder_salt")
    if site is not None and (not isinstance(site, str) or len(site) > 200):
        raise Rejected(422, "SCHEMA", "site: expected text of at most 200 characters")
    if salt_hex is None:
        return site, None
    try:
        if not isinstance(salt_hex, str):
            raise ValueError
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        raise Rejected(422, "SCHEMA", "holder_salt: expected hex") from None
    if not 16 <= len(salt) <= 4096:
        raise Rejected(422, "SCHEMA", "holder_salt: expected 16 to 4096 bytes")
    return site, salt


def _loopback_only(request: Request) -> None:
    host = request.client.host if request.client else ""
    if host not in LOOPBACK:
        raise Rejected(403, "LOOPBACK_ONLY", "admin endpoints answer on 127.0.0.1 only")


def ack_key_path(settings: ServerSettings) -> Path:
    return settings.ack_key_path or settings.db_path.with_name("server-ack-key.pem")


def make_signer(settings: ServerSettings) -> AckSigner:
    """The ack key (made on first start) and its certificate from the issuer's root."""
    key = load_or_create_ack_key(ack_key_path(settings))
    issuer = Issuer.open(settings.issuer_dir)
    certificate = issuer.certify_ack_key(public_spki(key), now=int(settings.clock()) - 60)
    return AckSigner(key, certificate)


def create_app(settings: ServerSettings) -> FastAPI:
    """The server application; opens (or creates) the database at ``settings.db_path``
    (or ``settings.db_url``)."""
    store = open_store(settings.db_url or settings.db_path)
    handler = BatchHandler(store, settings)
    signer = make_signer(settings)
    injector = FaultInjector(settings.faults, seed=settings.fault_seed)
    app = FastAPI(title="Checkpoint central server stub", docs_url=None, redoc_url=None)
    app.state.store = store
    app.state.signer = signer
    app.state.injector = injector
    app.state.settings = settings

    @app.exception_handler(Rejected)
    async def _rejected(_request: Request, exc: Rejected) -> JSONResponse:
        return _error(exc.status, exc.error, exc.message)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"ok": True, "server_time_ms": int(settings.clock() * 1000)}

    def is_admin(request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return False
        digest = hashlib.sha256(token.strip().encode("utf-8")).hexdigest()
        return any(hmac.compare_digest(digest, h) for h in store.admin_token_hashes())

    def require_admin(request: Request) -> None:
        if not is_admin(request):
            raise Rejected(
                401,
                "ADMIN_REQUIRED",
                "this needs the operator's admin credential (Authorization: Bearer TOKEN,"
                " from server-stub admin init-admin)",
            )

    @app.post("/v1/kiosks")
    async def register_kiosk(request: Request) -> JSONResponse:
        """Register a kiosk (admin credential) or re-key one (admin, or signed by its current
        key over ``rekey_statement(body)`` in ``X-Signature``)."""
        admin = is_admin(request)
        body = await _read_body(request, 64 * 1024)
        try:
            data = json.loads(body)
            kiosk_id = data["kiosk_id"]
            pem = data["public_key_pem"]
            if not isinstance(kiosk_id, str) or not kiosk_id or not isinstance(pem, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise Rejected(
                422, "SCHEMA", 'expected {"kiosk_id": "...", "public_key_pem": "..."}'
            ) from None
        try:
            load_ed25519_public_pem(pem)
        except ValueError as exc:
            raise Rejected(422, "BAD_KEY", f"public_key_pem: {exc}") from None
        site, salt = _site_and_salt(data)
        if not admin:
            record = store.kiosk_record(kiosk_id)
            if record is None:
                require_admin(request)
            else:
                _check_rekey(request, body, kiosk_id, record)
            if site is not None or salt is not None:
                require_admin(request)  # a site and a salt are the operator's to set
        changed = store.register_kiosk(
            kiosk_id, pem, now_ms=int(settings.clock() * 1000), site=site, holder_salt=salt
        )
        log.info("kiosk %s %s (%s)", kiosk_id, "keyed" if changed else "unchanged",
                 "admin" if admin else "signed by its current key")  # fmt: skip
        return JSONResponse(
            {"kiosk_id": kiosk_id, "changed": changed}, status_code=201 if changed else 200
        )

    def _day(day: str, utc_offset_min: int) -> tuple[int, int]:
        try:
            parsed = dt.date.fromisoformat(day)
        except ValueError:
            raise Rejected(422, "SCHEMA", "day: expected YYYY-MM-DD") from None
        if not -14 * 60 <= utc_offset_min <= 14 * 60:
            raise Rejected(422, "SCHEMA", "utc_offset_min: expected -840 to 840")
        return day_window(parsed, utc_offset_min)

    @app.get("/v1/report")
    async def report(request: Request, day: str, utc_offset_min: int = 0) -> dict[str, Any]:
        """The supervisor's report for a site-local day: all sites, each site, each kiosk, and
        kiosk health (admin credential; see server_stub.reports)."""
        require_admin(request)
        start, end = _day(day, utc_offset_min)
        now = int(settings.clock() * 1000)
        return await run_in_threadpool(
            functools.partial(
                full_report, store, start_ms=start, end_ms=end, utc_offset_min=utc_offset_min,
                now_ms=now,
            )
        )  # fmt: skip

    @app.get("/v1/dashboard")
    async def dashboard(request: Request, day: str, utc_offset_min: int = 0) -> Response:
        """The same as one read-only HTML page (admin credential): all sites' charts and
        numbers, and kiosk health.  Self-contained: no script, nothing fetched."""
        require_admin(request)
        start, end = _day(day, utc_offset_min)
        now = int(settings.clock() * 1000)
        page = await run_in_threadpool(
            functools.partial(
                dashboard_html, store, start_ms=start, end_ms=end,
                utc_offset_min=utc_offset_min, now_ms=now,
            )
        )  # fmt: skip
        return Response(page, media_type="text/html; charset=utf-8")

    @app.post("/v1/trace")
    async def trace_case(request: Request) -> dict[str, Any]:
        """Source tracing for the health authority (admin credential; see server_stub.trace).

        POST, not GET: the holder id stays out of URLs and access logs."""
        require_admin(request)
        body = await _read_body(request, 4096)
        try:
            data = json.loads(body)
            issuer = data["issuer"]
            holder = bytes.fromhex(data["holder_id"])
            start_ms, end_ms = int(data["since_ms"]), int(data["until_ms"])
            window_min = int(data.get("window_min", 15))
            if not isinstance(issuer, str) or not holder or not 0 <= window_min <= 24 * 60:
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            raise Rejected(
                422, "SCHEMA",
                'expected {"issuer": "...", "holder_id": "HEX", "since_ms": N, "until_ms": N,'
                ' "window_min": 15}',
            ) from None  # fmt: skip
        found = await run_in_threadpool(
            trace, store, issuer=issuer, holder_id=holder, start_ms=start_ms, end_ms=end_ms,
            window_min=window_min,
        )  # fmt: skip
        log.info("trace run by the admin: %d visits", len(found.visits))
        return found.to_json()

    @app.post("/v1/batches")
    async def post_batch(request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        # who sends is checked on the headers alone: a stranger gets nothing read
        await run_in_threadpool(handler.authenticate, headers)
        body = await _read_body(request, settings.max_body_bytes, settings.body_timeout_s)
        fields = await run_in_threadpool(handler.handle, body, headers)
        if not settings.sign_acks:
            return Response(ack_bytes(fields), media_type="application/json")
        ack, signature = signer.sign(fields)
        return Response(ack, media_type="application/json", headers={"X-Ack-Signature": signature})

    @app.get("/v1/time")
    def signed_time(nonce: str = "") -> Response:
        """The server's time and the kiosk's nonce, signed with the ack key."""
        if not 16 <= len(nonce) <= 64 or not nonce.isalnum():
            raise Rejected(422, "SCHEMA", "nonce must be 16-64 letters or digits")
        fields = time_fields(nonce, int(settings.clock() * 1000))
        body, signature = signer.sign(fields)
        return Response(body, media_type="application/json", headers={"X-Ack-Signature": signature})

    @app.get("/v1/heads")
    def heads(request: Request, nonce: str = "") -> Response:
        """The chain heads this server acknowledged to the asking kiosk, signed with the ack
        key; the kiosk signs ``heads_statement(kiosk id, nonce)`` (``kiosk log verify
        --server``)."""
        kiosk_id = request.headers.get("x-kiosk-id", "")
        if not 16 <= len(nonce) <= 64 or not nonce.isalnum():
            raise Rejected(422, "SCHEMA", "nonce must be 16-64 letters or digits")
        key = handler._public_key(kiosk_id) if kiosk_id else None
        if key is None:
            raise Rejected(403, "UNKNOWN_KIOSK", f"kiosk {kiosk_id!r} is not registered")
        try:
            signature = base64.b64decode(request.headers.get("x-signature", ""), validate=True)
            key.verify(signature, heads_statement(kiosk_id, nonce))
        except (binascii.Error, ValueError, InvalidSignature):
            raise Rejected(401, "BAD_SIGNATURE", "X-Signature does not verify") from None
        held = store.acked_heads(kiosk_id, limit=MAX_HEADS)
        fields = heads_fields(kiosk_id, nonce, int(settings.clock() * 1000), held)
        body, signed = signer.sign(fields)
        return Response(body, media_type="application/json", headers={"X-Ack-Signature": signed})

    @app.post("/v1/health")
    async def kiosk_health(request: Request) -> dict[str, Any]:
        """A kiosk's health report (``server_stub.health``), signed by its key over
        ``health_statement(kiosk id, SHA-256 of the body)``; the newest is kept."""
        body = await _read_body(request, MAX_HEALTH_BYTES)
        kiosk_id = request.headers.get("x-kiosk-id", "")
        key = handler._public_key(kiosk_id) if kiosk_id else None
        if key is None:
            raise Rejected(403, "UNKNOWN_KIOSK", f"kiosk {kiosk_id!r} is not registered")
        try:
            signature = base64.b64decode(request.headers.get("x-signature", ""), validate=True)
            key.verify(signature, health_statement(kiosk_id, hashlib.sha256(body).hexdigest()))
        except (binascii.Error, ValueError, InvalidSignature):
            raise Rejected(401, "BAD_SIGNATURE", "X-Signature does not verify") from None
        try:
            sent_at_ms, fields = parse_health(body, kiosk_id)
        except ValueError as exc:
            raise Rejected(422, "SCHEMA", str(exc)) from None
        now_ms = int(settings.clock() * 1000)
        kept = store.record_health(
            kiosk_id, received_ms=now_ms, sent_at_ms=sent_at_ms, fields=fields
        )
        return {"kept": kept, "server_time_ms": now_ms}

    @app.get("/v1/ack-key")
    def ack_key() -> Response:
        """The ack key's certificate, signed by the root the kiosks pin."""
        return Response(signer.certificate, media_type="application/cose")

    def _list(kind: str, request: Request) -> Response:
        try:
            issuer = Issuer.open(settings.issuer_dir)
            if kind == "trust":
                version, data = issuer.trust_list_version, issuer.trust_list()
            else:
                version, data = issuer.revocation_version, issuer.revocation_list()
        except (IssuerError, OSError) as exc:
            raise Rejected(503, "NO_LIST", f"{kind} list unavailable: {exc}") from None
        etag = f'"{list_version(data, version)}"'
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={"ETag": etag})
        return Response(data, media_type="application/cose", headers={"ETag": etag})

    @app.get("/v1/trust-list")
    def trust_list(request: Request) -> Response:
        return _list("trust", request)

    @app.get("/v1/revocations")
    def revocations(request: Request) -> Response:
        return _list("revocation", request)

    signed_policies: dict[tuple[str, int], tuple[int, bytes]] = {}
    policy_lock = threading.Lock()

    @app.get("/v1/policy")
    def policy(request: Request) -> Response:
        """The site policy TOML, signed by the root key like the lists.

        Its version is a counter the issuer keeps (``Issuer.policy_version``):
        one more for every change of the text or the sites, never an mtime (two
        edits in one second, or a restore from backup, each get a new version).
        The payload names ``settings.sites`` and expires after
        ``settings.policy_valid_s``; it is signed again when half of that is gone.
        """
        try:
            text = settings.policy_path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise Rejected(503, "NO_POLICY", f"policy unavailable: {exc}") from None
        digest = policy_digest(text, settings.sites)
        now = int(settings.clock())
        with policy_lock:
            try:
                issuer = Issuer.open(settings.issuer_dir)
                version = issuer.policy_version(text, settings.sites)
                cached = signed_policies.get((digest, version))
                if cached is None or now - cached[0] > settings.policy_valid_s // 2:
                    _, data = issuer.sign_site_policy(
                        text, sites=settings.sites, now=now, valid_s=settings.policy_valid_s
                    )
                    cached = signed_policies[(digest, version)] = (now, data)
            except (IssuerError, OSError) as exc:
                raise Rejected(503, "NO_POLICY", f"policy cannot be signed: {exc}") from None
        signed_at, data = cached
        etag = f'"{version}-{digest[:16]}-{signed_at}"'
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers={"ETag": etag})
        return Response(data, media_type="application/cose", headers={"ETag": etag})

    @app.get("/v1/stats")
    def stats(request: Request, recent: int = 5, chain: bool = False) -> dict[str, Any]:
        """Counts for anyone; recent entries (names, holder keys, hashes) for the admin only."""
        admin = is_admin(request)
        if not admin and "recent" in request.query_params and recent > 0:
            require_admin(request)
        kiosks = []
        for s in store.stats():
            row: dict[str, Any] = {
                "kiosk_id": s.kiosk_id,
                "entries": s.entries,
                "batches": s.batches,
                "first_seq": s.first_seq,
                "last_seq": s.last_seq,
                "last_at_ms": s.last_at_ms,
                "verdicts": s.verdicts,
                "seq_conflicts": store.seq_conflicts(s.kiosk_id),
            }
            if admin:
                row["recent"] = store.recent(s.kiosk_id, max(0, min(recent, 100)))
            if chain:
                check = store.check_chain(s.kiosk_id)
                row["chain"] = {"ok": check.ok, "message": check.message}
            kiosks.append(row)
        return {
            "server_time_ms": int(settings.clock() * 1000),
            "entries": sum(k["entries"] for k in kiosks),
            "kiosks": kiosks,
            "faults_injected": dict(injector.injected),
        }

    @app.get("/v1/admin/faults")
    def get_faults(request: Request) -> dict[str, Any]:
        _loopback_only(request)
        return {"faults": format_faults(injector.faults), "injected": dict(injector.injected)}

    @app.post("/v1/admin/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        _loopback_only(request)
        body = await _read_body(request, 64 * 1024)
        try:
            data = json.loads(body)
            spec = data["spec"]
            if not isinstance(spec, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            raise Rejected(422, "SCHEMA", 'expected {"spec": "drop:0.2,500:0.1,..."}') from None
        try:
            injector.set(parse_faults(spec))
        except FaultSpecError as exc:
            raise Rejected(422, "BAD_FAULT_SPEC", str(exc)) from None
        return {"faults": format_faults(injector.faults), "injected": dict(injector.injected)}

    app.add_middleware(FaultMiddleware, injector=injector)
    return app


# --- running it -----------------------------------------------------------------


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket; port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP for asyncio to set TCP_NODELAY on accepted connections;
    # without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def uvicorn_config(
    app: Any, settings: ServerSettings, *, log_level: str = "warning"
) -> uvicorn.Config:
    """uvicorn with the server's connection limits (see ``ServerSettings``)."""
    logging.getLogger("uvicorn.error").addFilter(_QuietFaults())
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        date_header=True,
        server_header=False,
        lifespan="off",
        http=guarded_h11(settings.header_timeout_s),
        timeout_keep_alive=max(1, round(settings.keep_alive_s)),
        limit_concurrency=settings.limit_concurrency,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_graceful_shutdown=5,
    )


class ServerThread:
    """The server on a free 127.0.0.1 port in a background thread; a context manager."""

    def __init__(self, settings: ServerSettings, *, host: str = "127.0.0.1") -> None:
        self.settings = settings
        self.app = create_app(settings)
        self._sock = bind_socket(host, 0)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._server = uvicorn.Server(uvicorn_config(self.app, settings))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True
        )

    @property
    def store(self) -> Store:
        return self.app.state.store  # type: ignore[no-any-return]

    @property
    def injector(self) -> FaultInjector:
        return self.app.state.injector  # type: ignore[no-any-return]

    def start(self) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("server thread did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()
        self.store.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
