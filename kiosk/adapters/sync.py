"""Talking to the central server: push the entry log in signed batches, fetch signed lists.

Pushing.  ``SyncClient.push_once`` takes the oldest unsent entries, wraps
them in a batch with a fresh ``batch_id`` (also the ``Idempotency-Key``),
signs its id and the body's SHA-256 (``batch_statement``; the hash goes in
``X-Body-SHA256``, so the server knows the sender before it reads the body)
with the kiosk's Ed25519 key and POSTs it.  Only
an ack marks entries sent, and only the ids the ack lists.  After a failure
(timeout, dropped connection, 5xx, 429, unreadable ack) the SAME body is
sent again, so a server that stored it the first time answers with the same
ack and stores nothing twice; a kiosk restarted mid-batch builds a new batch
that overlaps the old one, and the server drops the entry ids it holds.

Poison.  A batch the server refuses for good (``PERMANENT_STATUSES``: a
4xx other than auth, rate, size or a wrong URL) is *parked* in the log with
the server's reason and the rest of the backlog goes on; nothing is
deleted, ``EntryStore.unpark_all`` (``kiosk sync --retry-parked``) puts it
back in line.

Lists.  ``fetch_lists_once`` asks for the trust list, the revocation list
and the site policy with ``If-None-Match``.  A new list must verify against
the pinned root and must not be older than the one held (rollback); a new
policy must parse, name this kiosk's ``site`` (or ``*``), not be expired
(by the server-confirmed clock when there is one), and not repeat the
version held with other content (``kiosk.core.server_signed``).  Anything
refused leaves the old file in place.  Accepted
files are written atomically and handed to ``on_lists`` so the kiosk judges
with them from the next scan, without a restart.

Bounds.  Every request goes through ``http_fetch.BoundedFetcher``: no
redirect is followed, each answer is read with a cap for its kind (lists
``MAX_LIST_BYTES``, policy ``MAX_POLICY_BYTES``, ack ``MAX_ACK_BYTES``)
counted after decompression, and the whole request has one deadline
(``server.deadline_s``).  A failing request is reported to ``on_failure``
at once, so the status bar shows a stalled or refused round as it happens.

Time.  A time the server signed (each ack, or ``/v1/time`` with a fresh
nonce when there is nothing to send) confirms the kiosk clock
(``kiosk.core.clock``); every answer's unsigned ``Date`` header is only
noted.  A confirmed skew beyond ``sync.clock_warn_s``, or (unconfirmed) a
clock earlier than the newest logged entry, is reported.  Failures back
off exponentially with full jitter (``backoff_delay``), and a server's
``Retry-After`` is honoured.

``SyncLoop`` runs rounds on a daemon thread; scanning never waits for it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from kiosk.adapters.config import ConfigError, KioskConfig
from kiosk.adapters.http_fetch import Answer, BoundedFetcher, FetchError
from kiosk.adapters.list_files import (
    fetched_policy_path,
    load_fetched_policy,
    load_revocations,
    load_trust_list,
    parse_signed_policy_bytes,
    remember_list_versions,
    write_atomic,
)
from kiosk.adapters.policy_file import load_policy
from kiosk.adapters.store import EntryStore, StoreError
from kiosk.adapters.sync_reports import (
    ClockReport,
    ListOutcome,
    ListReport,
    PushReport,
    SyncReport,
    SyncStatus,
    parse_http_date,
    parse_retry_after,
)
from kiosk.core.backoff import backoff_delay
from kiosk.core.clock import ServerTime, clock_reasons, confirmed_skew
from kiosk.core.errors import ListError, ReasonCode
from kiosk.core.limits import MAX_LIST_BYTES
from kiosk.core.policy import Policy
from kiosk.core.server_signed import (
    AckError,
    AckKey,
    Head,
    PolicyScope,
    batch_statement,
    check_ack,
    check_heads,
    check_policy_scope,
    check_time,
    heads_statement,
    health_statement,
    parse_ack_key_cert,
    pinned_ack_key,
    policy_scope,
)
from kiosk.core.trust import (
    RevocationList,
    RootKey,
    TrustList,
    parse_revocation_list,
    parse_trust_list,
)

__all__ = [  # the reports live in sync_reports; callers import them from here too
    "ClockReport",
    "ListOutcome",
    "ListReport",
    "PushReport",
    "SyncClient",
    "SyncLoop",
    "SyncReport",
    "SyncStatus",
    "Unreachable",
    "parse_http_date",
    "parse_retry_after",
]

log = logging.getLogger("kiosk.sync")

PERMANENT_STATUSES = frozenset({400, 409, 410, 411, 415, 422})
"""Refusals that sending the same batch again cannot change: the batch is parked.
(401/403 are about the kiosk, 408/429 about load, 413 splits the batch, 404/405
mean a wrong URL: those are retried.)"""

MAX_WAIT_IN_ROUND_S = 10.0
"""Longest pause between retries inside one round; a longer one ends the round."""

MAX_POLICY_BYTES = 256 * 1024
"""Largest signed site policy read from the server (after decompression)."""

MAX_ACK_BYTES = 2 * 1024 * 1024
"""Largest batch acknowledgement read (10,000 entry ids fit with room to spare)."""

MAX_ACK_KEY_BYTES = 4096
"""Largest ack key certificate read."""

ACK_KEY_FILE = "server-ack-key.cose"
"""The last good ack key certificate, in the data directory."""

MAX_SMALL_BYTES = 64 * 1024
"""Largest answer to a probe or a refusal that is only read for its message."""

OnLists = Callable[[TrustList | None, RevocationList | None, Policy | None], None]


# --- the client -------------------------------------------------------------------


class Unreachable(Exception):
    """The server did not give a usable answer: retry later, same batch."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Batch:
    batch_id: str
    body: bytes
    signature: str
    ids: tuple[str, ...]
    sha256: str


def _server_message(response: Answer) -> tuple[str, str]:
    try:
        data = json.loads(response.body)
        return str(data.get("error", "")), str(data.get("message", ""))[:300]
    except (ValueError, AttributeError):
        return "", response.body[:200].decode("utf-8", "replace").replace("\n", " ")


HEALTH_INTERVAL_S = 60.0
"""Most one health report a minute (after rounds that reached the server)."""


class SyncClient:
    """One kiosk's connection to the central server; use from one thread at a time."""

    def __init__(
        self,
        config: KioskConfig,
        store: EntryStore,
        identity: Ed25519PrivateKey,
        *,
        root_key: RootKey,
        sleep: Callable[[float], Any] = time.sleep,
        clock: Callable[[], float] = time.time,
        on_lists: OnLists | None = None,
        rand: Callable[[], float] = random.random,
        session: requests.Session | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not config.server.url:
            raise ValueError(f"{config.path}: server.url is not set, so there is nowhere to sync")
        self.config = config
        self.store = store
        self.identity = identity
        self.root_key = root_key
        self.on_lists = on_lists
        self._sleep = sleep
        self._clock = clock
        self._rand = rand
        self._monotonic = monotonic
        self._base = config.server.url.rstrip("/")
        self._timeout = config.server.timeout_s
        self._fetcher = BoundedFetcher(
            read_timeout_s=config.server.timeout_s,
            deadline_s=config.server.deadline_s,
            verify=str(config.server.ca_file) if config.server.ca_file else True,
            clock=clock,
            session=session,
        )
        self.on_failure: Callable[[str], None] | None = None
        """Told each failed request as it happens (the loop shows it before the round ends)."""
        self.stalled = False
        """The last request hit its deadline or its size cap (a stalled or hostile answer)."""
        self._pending: _Batch | None = None
        self._batch_limit = config.sync.batch_size
        self.failures = 0
        self.requests = 0
        self.skew_s: float | None = None
        self.server_time: ServerTime | None = None
        """The last time the server signed (an ack or a time answer): what the clock judge
        trusts; an unsigned Date header only sets ``skew_s``."""
        self.acked_head: Head | None = None
        self._health_sent_at: float | None = None
        self._ack_key_file = config.data_dir / ACK_KEY_FILE
        self.ack_key: AckKey | None = self._load_ack_key()
        self._lists_fetched_at: float | None = None
        now = int(clock())
        self.trust: TrustList | None = load_trust_list(config.trust_list, root_key, now=now).value
        self.revocations: RevocationList | None = load_revocations(
            config.revocations, root_key, now=now
        ).value
        fetched = load_fetched_policy(config, root_key, now=now)
        self._policy_etag: str | None = None
        self._policy_version: int | None = None
        self._policy_bytes: bytes | None = None
        self._policy_scope: PolicyScope | None = None
        if fetched.value is not None:
            self.policy: Policy | None = fetched.value[1]
            self._policy_version = fetched.value[0].version
            self._policy_bytes = fetched.data
            try:
                self._policy_scope = policy_scope(fetched.data or b"", root_key)
            except ListError:
                self._policy_scope = None
        else:
            try:
                self.policy = load_policy(config.policy)
            except ConfigError:
                self.policy = None  # judging reports the bad file; sync just holds none

    def close(self) -> None:
        self._fetcher.close()

    def _note(self, message: str) -> None:
        if self.on_failure is not None:
            try:
                self.on_failure(message)
            except Exception:  # a bug in the callback must not stop syncing
                log.exception("on_failure callback failed")

    # --- HTTP ----------------------------------------------------------------

    def _request(self, method: str, path: str, *, cap: int, **kwargs: Any) -> Answer:
        """One bounded request (size cap after decompression, total deadline, no redirect)."""
        url = self._base + path
        self.requests += 1
        try:
            response = self._fetcher.fetch(method, url, cap=cap, **kwargs)
        except FetchError as exc:
            self.stalled = exc.kind in ("deadline", "too-large")
            self._note(exc.message)
            raise Unreachable(exc.message) from None
        self.stalled = False
        server = parse_http_date(response.header("Date"))
        if server is not None:
            # Date has whole seconds: the server's time lay somewhere in [Date, Date + 1).
            # Unsigned: it only raises a note, it never confirms the clock.
            self.skew_s = (response.sent_at + response.received_at) / 2 - (server + 0.5)
        if 300 <= response.status < 400 and response.status != 304:
            where = response.header("Location") or "nowhere"
            message = (
                f"{url}: server answered {response.status} (a redirect to {where[:120]});"
                " redirects are never followed"
            )
            self._note(message)
            raise Unreachable(message)
        if response.status == 429 or response.status >= 500:
            _, message = _server_message(response)
            retry = parse_retry_after(response.header("Retry-After"), response.received_at)
            what = "busy (429)" if response.status == 429 else f"error {response.status}"
            detail = f": {message}" if message else ""
            self._note(f"{url}: server {what}{detail}")
            raise Unreachable(f"{url}: server {what}{detail}", retry)
        return response

    # --- pushing ---------------------------------------------------------------

    def _build(self) -> _Batch | None:
        entries = self.store.sendable(self._batch_limit)
        if not entries:
            return None
        sent_at = self._clock() - (self.skew_s or 0.0)
        batch_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "kiosk_id": self.config.kiosk_id,
                "batch_id": batch_id,
                "sent_at_ms": int(sent_at * 1000),
                "entries": [e.to_wire() for e in entries],
                "head": {"seq": entries[-1].seq, "hash": entries[-1].hash},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()
        statement = batch_statement(self.config.kiosk_id, digest)
        signature = base64.b64encode(self.identity.sign(statement)).decode("ascii")
        return _Batch(batch_id, body, signature, tuple(e.id for e in entries), digest)

    def push_once(self) -> PushReport:
        """Send one batch (the failed one again, if any); mark what the ack lists as sent."""
        report = self._push_once()
        if report.error and report.reached and report.retry_after_s == 0.0:
            report = self._push_once()  # the batch was rebuilt: send the new one now
        return report

    def _push_once(self) -> PushReport:
        batch = self._pending or self._build()
        if batch is None:
            self.failures = 0
            return PushReport(backlog=self.store.backlog())
        missing = self._ensure_ack_key()
        if missing:
            self._pending = batch
            return self._failed(missing, reached=False)
        self._pending = batch
        headers = {
            "Content-Type": "application/json",
            "X-Kiosk-Id": self.config.kiosk_id,
            "X-Signature": batch.signature,
            "X-Body-SHA256": batch.sha256,
            "Idempotency-Key": batch.batch_id,
        }
        try:
            response = self._request(
                "POST", "/v1/batches", cap=MAX_ACK_BYTES, data=batch.body, headers=headers
            )
        except Unreachable as exc:
            return self._failed(exc.message, retry_after=exc.retry_after, reached=False)
        if response.status == 200:
            return self._acked(batch, response)
        error, message = _server_message(response)
        status = response.status
        if status in (400, 409) and error in ("REPLAY", "BATCH_CONFLICT"):
            # Too old to be taken as sent (or the id clashed): the same entries in a new batch.
            self._pending = None
            return self._failed(f"batch refused ({message}); sending a new one", retry_after=0.0)
        if status == 413 and self._batch_limit > 1:
            self._pending = None
            self._batch_limit = max(1, len(batch.ids) // 2)
            return self._failed(
                f"batch too large; sending {self._batch_limit} entries at a time", retry_after=0.0
            )
        if status in (401, 403):
            if error == "KIOSK_REVOKED":
                text = f"the server has revoked kiosk {self.config.kiosk_id}: {message}"
            else:
                hint = " (register it: server-stub admin register-kiosk)" if status == 403 else ""
                text = f"server refused kiosk {self.config.kiosk_id}: {message}{hint}"
            self._note(text)
            return self._failed(text)
        if status in PERMANENT_STATUSES:
            return self._park(batch, f"{status} {error}: {message}".strip())
        return self._failed(f"server refused the batch ({status} {error}): {message}")

    def _park(self, batch: _Batch, reason: str) -> PushReport:
        """The server refused this batch for good: set it aside, keep the rest going."""
        count = self.store.park(
            batch.ids, batch_id=batch.batch_id, reason=reason, at_ms=int(self._clock() * 1000)
        )
        self._pending = None
        self._note(f"{count} entries parked: {reason}")
        log.warning("batch %s parked (%d entries): %s", batch.batch_id, count, reason)
        return PushReport(
            batches=0,
            backlog=self.store.backlog(),
            parked=count,
            parked_reason=reason,
        )

    def _acked(self, batch: _Batch, response: Answer) -> PushReport:
        try:
            ack = check_ack(
                response.body,
                response.header("X-Ack-Signature"),
                self.ack_key,
                kiosk_id=self.config.kiosk_id,
                batch_id=batch.batch_id,
                body_sha256=batch.sha256,
                sent_ids=batch.ids,
            )
        except AckError as exc:
            if self.config.server.ack_key is None:
                self.ack_key = None  # fetch the certified key again: it may have been rotated
            message = f"{self._base}/v1/batches: {exc.message}; nothing marked sent"
            self._note(message)
            return self._failed(message, reached=False)
        self.confirm_clock(ack.server_time_ms, response.sent_at, response.received_at)
        self.store.mark_sent(
            list(ack.accepted), batch_id=batch.batch_id, acked_at_ms=int(self._clock() * 1000)
        )
        if ack.head is not None:
            self.acked_head = ack.head
        self._pending = None
        self.failures = 0
        self._batch_limit = self.config.sync.batch_size
        return PushReport(
            pushed=len(ack.accepted),
            stored=ack.stored,
            duplicates=ack.duplicates,
            batches=1,
            backlog=self.store.backlog(),
        )

    def confirm_clock(self, server_time_ms: int, sent: float, received: float) -> None:
        """A time the server signed: the skew it gives is confirmed, not just noted."""
        skew = (sent + received) / 2 - server_time_ms / 1000
        self.server_time = ServerTime(skew, received, self._monotonic())
        self.skew_s = skew

    def ask_time(self) -> str:
        """Ask the server for a signed time now (fetching the ack key if needed), so that
        ``confirmed_skew_s`` holds; returns "" or what went wrong."""
        missing = self._ensure_ack_key()
        if missing:
            return missing
        ok, message = self._probe()
        return "" if ok else message

    def confirmed_skew_s(self) -> float | None:
        """Kiosk minus server time now, carried from the last signed server time."""
        return confirmed_skew(self.server_time, self._clock(), self._monotonic())

    def fetch_heads(self) -> tuple[Head, ...]:
        """The chain heads the server acknowledged to this kiosk (signed); raises
        Unreachable or AckError."""
        missing = self._ensure_ack_key()
        if missing:
            raise Unreachable(missing)
        nonce = secrets.token_hex(16)
        signature = self.identity.sign(heads_statement(self.config.kiosk_id, nonce))
        headers = {
            "X-Kiosk-Id": self.config.kiosk_id,
            "X-Signature": base64.b64encode(signature).decode("ascii"),
        }
        response = self._request(
            "GET", f"/v1/heads?nonce={nonce}", cap=MAX_LIST_BYTES, headers=headers
        )
        if response.status != 200:
            _, message = _server_message(response)
            raise Unreachable(f"{self._base}/v1/heads: server {response.status}: {message}")
        return check_heads(
            response.body,
            response.header("X-Ack-Signature"),
            self.ack_key,
            kiosk_id=self.config.kiosk_id,
            nonce=nonce,
        )

    # --- the ack key -------------------------------------------------------------

    def _load_ack_key(self) -> AckKey | None:
        pinned = self.config.server.ack_key
        if pinned is not None:
            try:
                return pinned_ack_key(load_pem_public_key(pinned.read_bytes()))
            except (OSError, ValueError, TypeError) as exc:
                raise ConfigError(
                    f"{self.config.path}: key 'server.ack_key': expected an Ed25519 public key"
                    f" PEM file, got {pinned} ({exc})"
                ) from None
        try:
            data = self._ack_key_file.read_bytes()
        except OSError:
            return None
        try:
            return parse_ack_key_cert(data, self.root_key, now=int(self._clock()))
        except ListError as exc:
            log.warning("%s: %s", self._ack_key_file, exc.message)
            return None

    def _ensure_ack_key(self) -> str:
        """Hold a verified ack key (fetch the root-signed certificate); an error or ""."""
        if self.ack_key is not None:
            return ""
        try:
            response = self._request("GET", "/v1/ack-key", cap=MAX_ACK_KEY_BYTES)
        except Unreachable as exc:
            return exc.message
        if response.status != 200:
            return f"{self._base}/v1/ack-key: server answered {response.status}"
        try:
            key = parse_ack_key_cert(response.body, self.root_key, now=int(self._clock()))
        except ListError as exc:
            message = f"{self._base}/v1/ack-key: {exc.message}; nothing can be marked sent"
            self._note(message)
            return message
        try:
            write_atomic(self._ack_key_file, response.body)
        except OSError as exc:
            log.warning("%s: cannot write: %s", self._ack_key_file, exc.strerror)
        self.ack_key = key
        return ""

    def _failed(
        self, message: str, *, retry_after: float | None = None, reached: bool = True
    ) -> PushReport:
        self.failures += 1
        return PushReport(
            backlog=self.store.backlog(), error=message, retry_after_s=retry_after, reached=reached
        )

    def push_all(
        self, *, max_attempts: int = 1, should_stop: Callable[[], bool] = lambda: False
    ) -> PushReport:
        """Push batches until the backlog is empty, a failure repeats, or ``should_stop``."""
        total = PushReport(backlog=0)
        attempts = 0
        while not should_stop():
            report = self.push_once()
            total = total + report
            if report.ok:
                attempts = 0
                if report.parked:
                    continue  # the rest of the backlog goes on
                if report.batches == 0 or report.backlog == 0:
                    break
                continue
            attempts += 1
            delay = self.retry_delay(report.retry_after_s)
            if attempts >= max_attempts or delay > MAX_WAIT_IN_ROUND_S:
                break
            self._sleep(delay)
        return total

    def retry_delay(self, retry_after: float | None = None) -> float:
        """How long to wait after ``self.failures`` failures in a row."""
        sync = self.config.sync
        if retry_after is not None:
            return min(retry_after, sync.backoff_max_s)
        return backoff_delay(self.failures, sync.backoff_base_s, sync.backoff_max_s, self._rand())

    # --- lists -----------------------------------------------------------------

    def _fetch_list(self, name: str, path: str, now: int) -> ListOutcome:
        held: TrustList | RevocationList | None = (
            self.trust if name == "trust list" else self.revocations
        )
        headers = {"If-None-Match": f'"{held.version}"'} if held is not None else {}
        try:
            response = self._request("GET", path, cap=MAX_LIST_BYTES, headers=headers)
        except Unreachable as exc:
            return ListOutcome(name, "failed", None if held is None else held.version, exc.message)
        held_version = None if held is None else held.version
        if response.status == 304:
            return ListOutcome(name, "unchanged", held_version)
        if response.status != 200:
            _, message = _server_message(response)
            return ListOutcome(name, "failed", held_version, f"server {response.status}: {message}")
        data = response.body
        try:
            if name == "trust list":
                new: TrustList | RevocationList = parse_trust_list(
                    data, self.root_key, now=now, held_version=held_version
                )
            else:
                new = parse_revocation_list(data, self.root_key, now=now, held_version=held_version)
        except ListError as exc:
            return ListOutcome(name, "refused", held_version, f"{exc.message}; keeping the old one")
        if held is not None and new.version == held.version:
            return ListOutcome(name, "unchanged", held_version)
        target = self.config.trust_list if name == "trust list" else self.config.revocations
        try:
            write_atomic(target, data)
        except OSError as exc:
            return ListOutcome(
                name, "failed", held_version, f"{target}: cannot write: {exc.strerror}"
            )
        if isinstance(new, TrustList):
            self.trust = new
            remember_list_versions(self.config, trust=new.version)
        else:
            self.revocations = new
            remember_list_versions(self.config, revocations=new.version)
        return ListOutcome(name, "updated", new.version)

    def _fetch_policy(self) -> ListOutcome:
        name = "site policy"
        headers = {"If-None-Match": self._policy_etag} if self._policy_etag else {}
        try:
            response = self._request("GET", "/v1/policy", cap=MAX_POLICY_BYTES, headers=headers)
        except Unreachable as exc:
            return ListOutcome(name, "failed", message=exc.message)
        if response.status == 304:
            return ListOutcome(name, "unchanged")
        if response.status == 404:
            return ListOutcome(name, "unchanged", message="the server has no site policy")
        if response.status != 200:
            _, message = _server_message(response)
            return ListOutcome(name, "failed", message=f"server {response.status}: {message}")
        data = response.body
        etag = response.header("ETag")
        if data == self._policy_bytes:
            self._policy_etag = etag
            return ListOutcome(name, "unchanged")
        try:
            signed, policy = parse_signed_policy_bytes(
                data, self.root_key, held_version=self._policy_version
            )
            scope = policy_scope(data, self.root_key)
            check_policy_scope(
                scope,
                site=self.config.site,
                now=int(self.trusted_now()),
                skew_s=self.config.skew_s,
                held=self._policy_scope,
            )
        except ListError as exc:
            return ListOutcome(name, "refused", message=f"{exc.message}; keeping the old one")
        except (UnicodeDecodeError, ValueError) as exc:
            return ListOutcome(name, "refused", message=f"{exc}; keeping the old one")
        target = fetched_policy_path(self.config)
        try:
            write_atomic(target, data)
        except OSError as exc:
            return ListOutcome(name, "failed", message=f"{target}: cannot write: {exc.strerror}")
        refreshed = self._policy_scope is not None and self._policy_scope.version == scope.version
        self.policy = policy
        remember_list_versions(self.config, policy=signed.version)
        self._policy_version = signed.version
        self._policy_bytes = data
        self._policy_scope = scope
        self._policy_etag = etag
        if refreshed:  # the same policy signed again with a later expiry
            return ListOutcome(name, "unchanged", version=signed.version)
        return ListOutcome(name, "updated", version=signed.version)

    def trusted_now(self) -> float:
        """The kiosk clock corrected by the last signed server time, when there is one."""
        skew = self.confirmed_skew_s()
        return self._clock() - (skew or 0.0)

    def fetch_lists_once(self, now: int) -> ListReport:
        """Fetch both signed lists and the site policy; keep what is held when refused."""
        report = ListReport(
            trust=self._fetch_list("trust list", "/v1/trust-list", now),
            revocations=self._fetch_list("revocation list", "/v1/revocations", now),
            policy=self._fetch_policy(),
        )
        if report.reached:
            self._lists_fetched_at = self._clock()
        if report.changed and self.on_lists is not None:
            try:
                self.on_lists(self.trust, self.revocations, self.policy)
            except Exception as exc:  # a bug in the callback must not stop syncing
                log.exception("on_lists callback failed")
                return replace(
                    report,
                    policy=replace(report.policy, message=f"new lists not applied: {exc}"),
                )
        return report

    def lists_due(self) -> bool:
        if self._lists_fetched_at is None:
            return True
        return self._clock() - self._lists_fetched_at >= self.config.sync.lists_interval_s

    # --- a whole round -----------------------------------------------------------

    def _probe(self) -> tuple[bool, str]:
        """Nothing to send: ask the server's signed time (``/v1/time``, with a fresh nonce)
        so the status and the clock stay current; ``/healthz`` before an ack key is held."""
        if self.ack_key is None and self._ensure_ack_key():
            path = "/healthz"
        else:
            path = f"/v1/time?nonce={secrets.token_hex(16)}"
        try:
            response = self._request("GET", path, cap=MAX_SMALL_BYTES)
        except Unreachable as exc:
            self.failures += 1
            return False, exc.message
        if response.status != 200:
            self.failures += 1
            return False, f"{self._base}{path.split('?')[0]}: server answered {response.status}"
        if path.startswith("/v1/time"):
            try:
                at_ms = check_time(
                    response.body,
                    response.header("X-Ack-Signature"),
                    self.ack_key,
                    nonce=path.rsplit("=", 1)[1],
                )
            except AckError as exc:
                self.failures += 1
                message = f"{self._base}/v1/time: {exc.message}"
                self._note(message)
                return False, message
            self.confirm_clock(at_ms, response.sent_at, response.received_at)
        return True, ""

    # --- health report ------------------------------------------------------------

    def health_fields(self) -> dict[str, Any]:
        """What this kiosk reports of itself (``POST /v1/health``; the fields are listed in
        ``server_stub/health.py``)."""
        oldest = self.store.pending(1)
        parked = self.store.parked()
        skew = self.confirmed_skew_s()
        return {
            "kiosk_id": self.config.kiosk_id,
            "sent_at_ms": int(self._clock() * 1000),
            "backlog": self.store.backlog(),
            "oldest_unsent_ms": oldest[0].at_ms if oldest else None,
            "parked": sum(p.count for p in parked),
            "parked_batches": len(parked),
            "trust_list_version": self.trust.version if self.trust else None,
            "revocation_version": self.revocations.version if self.revocations else None,
            "policy_version": self._policy_version,
            "clock_offset_ms": None if skew is None else round(skew * 1000),
            "failed_attempts": self.failures,
        }

    def send_health(self) -> bool:
        """Send the health report, signed like a batch; True when the server kept it.

        Best effort and quiet: a server that does not know the endpoint (404), or a
        failed request, changes nothing here (no failure counted, no status note)."""
        self._health_sent_at = self._monotonic()
        body = json.dumps(self.health_fields(), separators=(",", ":")).encode("utf-8")
        digest = hashlib.sha256(body).hexdigest()
        signature = self.identity.sign(health_statement(self.config.kiosk_id, digest))
        headers = {
            "Content-Type": "application/json",
            "X-Kiosk-Id": self.config.kiosk_id,
            "X-Signature": base64.b64encode(signature).decode("ascii"),
        }
        try:
            response = self._fetcher.fetch(
                "POST", self._base + "/v1/health", cap=MAX_SMALL_BYTES, data=body, headers=headers
            )
        except FetchError:
            return False
        return response.status == 200

    def health_due(self) -> bool:
        """A health report is sent after a round that reached the server, at most once
        every ``HEALTH_INTERVAL_S``."""
        sent = self._health_sent_at
        return sent is None or self._monotonic() - sent >= HEALTH_INTERVAL_S

    def notes(self) -> str:
        """Standing warnings for the status bar (not failures)."""
        notes = []
        if self.config.server.plain_http:
            notes.append("plain http:// to the server: entries cross the network unencrypted")
        parked = self.store.parked()
        if parked:
            count = sum(p.count for p in parked)
            notes.append(
                f"{count} entries parked (refused by the server: {parked[-1].reason});"
                " kiosk sync --retry-parked after a fix"
            )
        return "; ".join(notes)

    def clock_report(self) -> ClockReport:
        now_ms = int(self._clock() * 1000)
        confirmed = self.confirmed_skew_s()
        reasons = clock_reasons(
            now_ms,
            self.store.newest_at_ms(),
            self.skew_s,
            self.config.sync.clock_warn_s,
            confirmed_skew_s=confirmed,
        )
        return ClockReport(
            skew_s=confirmed if confirmed is not None else self.skew_s,
            warning="; ".join(r.message for r in reasons),
            backwards=any(r.code == ReasonCode.CLOCK_BACKWARDS for r in reasons),
            confirmed=confirmed is not None,
        )

    def round(
        self,
        now: int,
        *,
        lists: bool | None = None,
        max_attempts: int = 1,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> SyncReport:
        """Fetch the lists (when due, or when ``lists`` is True) and push the whole backlog."""
        list_report = None
        if lists or (lists is None and self.lists_due()):
            list_report = self.fetch_lists_once(now)
        asked = self.requests
        push = self.push_all(max_attempts=max_attempts, should_stop=should_stop)
        online = push.reached and (list_report is None or list_report.reached)
        if self.requests == asked:
            online, probe_error = self._probe()
            if probe_error:
                push = replace(push, error=probe_error, reached=False)
        delay = self.config.sync.interval_s if push.ok else self.retry_delay(push.retry_after_s)
        return SyncReport(push, list_report, self.clock_report(), online, delay)


# --- the background loop ------------------------------------------------------------


class SyncLoop:
    """Runs ``SyncClient.round`` on a daemon thread every ``sync.interval_s`` (or after a
    backoff); ``status()`` is a snapshot that never blocks."""

    def __init__(self, client: SyncClient, *, clock: Callable[[], float] = time.time) -> None:
        self.client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._status = SyncStatus(
            trust_version=client.trust.version if client.trust else None,
            revocation_version=client.revocations.version if client.revocations else None,
        )
        self._thread = threading.Thread(target=self._run, name="kiosk-sync", daemon=True)
        self.rounds = 0
        client.on_failure = self._failing

    def set_on_lists(self, callback: OnLists) -> None:
        """Hand new lists and policy to ``callback`` after each round that took some."""
        self.client.on_lists = callback

    def confirmed_skew(self) -> float | None:
        """Kiosk minus server time now, from the last signed server time (or None)."""
        return self.client.confirmed_skew_s()

    def _failing(self, message: str) -> None:
        """A request failed mid-round: show it now, not when the round ends."""
        with self._lock:
            self._status = replace(self._status, online=False, last_error=message)

    def start(self) -> SyncLoop:
        self._thread.start()
        return self

    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def trigger(self) -> None:
        """Start a round now (or as soon as the current one ends)."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current request; waits at most ``timeout`` seconds."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            delay = self._round()
            self.rounds += 1
            self._wake.wait(delay)
            self._wake.clear()
        self.client.close()

    def _log_attempt(self, ok: bool, detail: str) -> None:
        """The round's outcome into the log, for the report's time offline; a log that cannot
        take it does not stop the sync (the entries are what matters)."""
        try:
            self.client.store.record_sync_attempt(int(self._clock() * 1000), ok=ok, detail=detail)
        except StoreError as exc:
            log.warning("sync attempt not logged: %s", exc)

    def _round(self) -> float:
        client = self.client
        try:
            report = client.round(int(self._clock()), should_stop=self._stop.is_set)
        except Exception as exc:  # never let the thread die: report and back off
            log.exception("sync round failed")
            client.failures += 1
            with self._lock:
                self._status = replace(self._status, online=False, last_error=f"sync failed: {exc}")
            self._log_attempt(False, f"sync failed: {exc}")
            return client.retry_delay()
        self._log_attempt(report.online, report.push.error or "")
        errors = [report.push.error] if report.push.error else []
        if report.lists is not None:
            errors += [str(o) for o in report.lists.outcomes if o.state in ("failed", "refused")]
        with self._lock:
            self._status = SyncStatus(
                online=report.online,
                last_success_ms=(
                    int(self._clock() * 1000) if report.push.ok else self._status.last_success_ms
                ),
                last_error="; ".join(errors),
                backlog=report.push.backlog,
                clock_skew_s=report.clock.skew_s,
                clock_warning=report.clock.warning,
                clock_confirmed=report.clock.confirmed,
                trust_version=client.trust.version if client.trust else None,
                revocation_version=client.revocations.version if client.revocations else None,
                notes=client.notes(),
            )
        if report.online and client.health_due() and not self._stop.is_set():
            client.send_health()
        return report.next_delay_s
