"""A hostile fake central server on 127.0.0.1: redirects, drips, bombs, forged acks.

``HostileServer(behaviour)`` answers every request with what ``behaviour``
returns for it; it counts the requests and keeps the bodies it was sent, so a
test can see where a batch went.  Answers are written raw to the socket, so
a behaviour can lie about lengths, drip bytes, or compress without asking.
"""

from __future__ import annotations

import contextlib
import gzip
import socketserver
import ssl
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    drip_s: float = 0.0
    """Seconds between single bytes of the body (0: all at once)."""


Behaviour = Callable[[str, str, dict[str, str], bytes], Reply]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


def gzip_bomb(inflated: int) -> bytes:
    """``inflated`` zero bytes, gzip-compressed (about 1/1000 of the size on the wire)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    out = [z.compress(block) for _ in range(inflated // len(block))]
    out.append(z.flush())
    return b"".join(out)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


class HostileServer:
    """A threaded HTTP/1.1 server on a free 127.0.0.1 port; a context manager."""

    def __init__(self, behaviour: Behaviour, *, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour = behaviour
        self.seen: list[Seen] = []
        self.stop_drip = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.seen.append(Seen(self.command, self.path, headers, body))
                reply = outer.behaviour(self.command, self.path, headers, body)
                if "Date" in reply.headers:
                    self.send_response_only(reply.status)  # the behaviour's own Date only
                else:
                    self.send_response(reply.status)
                if "Content-Length" not in reply.headers:
                    self.send_header("Content-Length", str(len(reply.body)))
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if not reply.drip_s:
                    with contextlib.suppress(OSError):  # the kiosk hung up: a cap at work
                        self.wfile.write(reply.body)
                    return
                for i in range(len(reply.body)):
                    if outer.stop_drip.is_set():
                        return
                    try:
                        self.wfile.write(reply.body[i : i + 1])
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(reply.drip_s)

            do_GET = do_POST = _any

        class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_drip.set()
        self._server.shutdown()
        self._server.server_close()

    def count(self, path: str) -> int:
        return sum(1 for s in self.seen if s.path.split("?")[0] == path)
