"""One HTTP request to the central server with a bounded answer: size, time, no redirects.

``requests`` alone trusts the peer too much (measured against this project):
it follows redirects (a 307 carries a signed batch to another host), its
``timeout`` bounds each socket read and not the whole answer (a peer dripping
one byte a second never times out), and ``response.content`` inflates a
gzip body fully before anyone can check a size (300 KB on the wire became
676 MB).  ``BoundedFetcher.fetch`` therefore:

- never follows a redirect (``allow_redirects=False``; a 3xx is an answer
  the caller refuses);
- asks for ``Accept-Encoding: identity`` and reads the raw bytes itself
  (``stream=True``); a peer that compresses anyway is inflated here with
  ``zlib.decompressobj`` and a running cap, so the cap is checked against
  the bytes *after* decompression as they arrive;
- keeps one deadline for the whole request: a watchdog timer shuts the
  socket down when it passes, so a drip, a trickled header or a stalled
  body all end at the deadline, whatever the per-read timeout.

It raises ``FetchError`` with one line naming the URL and what went wrong;
``FetchError.retry_after`` carries a server's ``Retry-After`` when it sent
one.  It does not interpret status codes: the caller does.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK_BYTES = 64 * 1024
"""Bytes asked of the socket per read."""


class FetchError(Exception):
    """No usable answer: refused, dropped, too large, too slow, or redirected."""

    def __init__(self, message: str, kind: str = "unreachable") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        """``unreachable``, ``deadline``, ``too-large``, ``encoding``."""


@dataclass(frozen=True)
class Answer:
    """A whole answer, read within its cap and deadline."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    sent_at: float
    received_at: float

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


class _WatchedAdapter(HTTPAdapter):
    """An adapter that remembers the connection in use, so a watchdog can cut it."""

    def __init__(self) -> None:
        self.current: Any = None
        super().__init__(pool_connections=2, pool_maxsize=2, max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        adapter = self

        class _Pool(HTTPConnectionPool):
            def _make_request(self, conn: Any, *a: Any, **kw: Any) -> Any:
                adapter.current = conn
                return super()._make_request(conn, *a, **kw)

        class _TlsPool(HTTPSConnectionPool):
            def _make_request(self, conn: Any, *a: Any, **kw: Any) -> Any:
                adapter.current = conn
                return super()._make_request(conn, *a, **kw)

        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}

    def cut(self) -> None:
        """Shut the current connection's socket down (wakes a blocked read)."""
        sock = getattr(self.current, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Inflater:
    """Content-Encoding gzip / deflate inflated with a running cap; identity passed through."""

    def __init__(self, encoding: str, cap: int, url: str) -> None:
        self.cap = cap
        self.url = url
        self.size = 0
        enc = encoding.strip().lower()
        if enc in ("", "identity"):
            self._z = None
        elif enc in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == "deflate":
            self._z = zlib.decompressobj()
        else:
            raise FetchError(
                f"{url}: answer in an unknown Content-Encoding {enc!r}", kind="encoding"
            )

    def _count(self, data: bytes) -> bytes:
        self.size += len(data)
        if self.size > self.cap:
            raise FetchError(
                f"{self.url}: answer larger than {self.cap} bytes (after decompression)",
                kind="too-large",
            )
        return data

    def feed(self, data: bytes) -> bytes:
        if self._z is None:
            return self._count(data)
        out = bytearray()
        try:
            # Never ask for more than one byte past the cap: a bomb stops here.
            out += self._count(self._z.decompress(data, self.cap - self.size + 1))
            while self._z.unconsumed_tail:
                tail = self._z.unconsumed_tail
                out += self._count(self._z.decompress(tail, self.cap - self.size + 1))
        except zlib.error as exc:
            raise FetchError(
                f"{self.url}: corrupt compressed answer ({exc})", kind="encoding"
            ) from None
        return bytes(out)

    def finish(self) -> bytes:
        if self._z is None:
            return b""
        try:
            return self._count(self._z.flush())
        except zlib.error as exc:
            raise FetchError(
                f"{self.url}: corrupt compressed answer ({exc})", kind="encoding"
            ) from None


class BoundedFetcher:
    """Requests to one server, each bounded in size and total time; one thread at a time."""

    def __init__(
        self,
        *,
        read_timeout_s: float,
        deadline_s: float,
        verify: bool | str = True,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ) -> None:
        self.read_timeout_s = read_timeout_s
        self.deadline_s = deadline_s
        self._clock = clock
        self.session = session or requests.Session()
        self.session.verify = verify
        self.session.trust_env = False  # no proxy or netrc from the environment
        self.session.headers["User-Agent"] = "checkpoint-kiosk"
        self.session.headers["Accept-Encoding"] = "identity"
        self._adapter = _WatchedAdapter()
        self.session.mount("http://", self._adapter)
        self.session.mount("https://", self._adapter)

    def close(self) -> None:
        self.session.close()

    def fetch(
        self,
        method: str,
        url: str,
        *,
        cap: int,
        deadline_s: float | None = None,
        **kwargs: Any,
    ) -> Answer:
        """The whole answer, or FetchError; ``cap`` bounds the body after decompression."""
        deadline = self.deadline_s if deadline_s is None else deadline_s
        cut = threading.Event()

        def watchdog() -> None:
            cut.set()
            self._adapter.cut()

        timer = threading.Timer(deadline, watchdog)
        timer.daemon = True
        sent = self._clock()
        started = time.monotonic()
        timer.start()
        try:
            return self._fetch(method, url, cap, started, deadline, cut, sent, **kwargs)
        finally:
            timer.cancel()

    def _fetch(
        self,
        method: str,
        url: str,
        cap: int,
        started: float,
        deadline: float,
        cut: threading.Event,
        sent: float,
        **kwargs: Any,
    ) -> Answer:
        timeout = min(self.read_timeout_s, deadline)
        try:
            response = self.session.request(
                method, url, timeout=timeout, stream=True, allow_redirects=False, **kwargs
            )
        except requests.RequestException as exc:
            if cut.is_set():
                raise FetchError(
                    f"{url}: no complete answer within the {deadline:g} s deadline",
                    kind="deadline",
                ) from None
            raise FetchError(describe(exc, url, timeout)) from None
        try:
            length = response.headers.get("Content-Length", "")
            if (
                length.isdigit()
                and int(length) > cap
                and not response.headers.get("Content-Encoding")
            ):
                raise FetchError(
                    f"{url}: answer of {length} bytes, more than {cap}", kind="too-large"
                )
            inflater = _Inflater(response.headers.get("Content-Encoding", ""), cap, url)
            body = bytearray()
            raw = response.raw
            while True:
                if time.monotonic() - started > deadline:
                    cut.set()
                    break
                try:
                    chunk = raw.read(CHUNK_BYTES, decode_content=False)
                except Exception as exc:  # urllib3 / http.client errors of every kind
                    if cut.is_set():
                        break
                    raise FetchError(
                        f"{url}: connection dropped in the middle of the answer"
                        f" ({type(exc).__name__})"
                    ) from None
                if not chunk:
                    break
                body += inflater.feed(chunk)
            if cut.is_set():
                raise FetchError(
                    f"{url}: no complete answer within the {deadline:g} s deadline",
                    kind="deadline",
                )
            body += inflater.finish()
            return Answer(
                status=response.status_code,
                headers=response.headers,
                body=bytes(body),
                sent_at=sent,
                received_at=self._clock(),
            )
        finally:
            response.close()


def describe(exc: requests.RequestException, url: str, timeout: float) -> str:
    """One line for a failed request."""
    if isinstance(exc, requests.Timeout):
        return f"{url}: no answer within {timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return f"{url}: TLS failed: the server's certificate is not trusted ({exc})"[:300]
    if isinstance(
        exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    ):
        return f"{url}: connection dropped in the middle of the answer"
    if isinstance(exc, requests.ConnectionError):
        text = str(exc)
        if "Connection refused" in text:
            return f"{url}: connection refused (is the server running?)"
        if "RemoteDisconnected" in text or "Connection aborted" in text or "reset" in text:
            return f"{url}: connection closed by the server without an answer"
        if "IncompleteRead" in text or "Connection broken" in text:
            return f"{url}: connection dropped in the middle of the answer"
        return f"{url}: cannot connect ({type(exc).__name__})"
    return f"{url}: request failed ({type(exc).__name__})"
