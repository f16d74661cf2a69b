"""Connection limits uvicorn does not have: a request's headers must arrive in time.

Measured against the landed server: an idle connection, one trickling its
headers and one trickling its body each stayed open 75-80 s.  uvicorn's
``timeout_keep_alive`` only starts after a response, so a connection that
never sends a whole request is never timed out.  ``guarded_h11(seconds)``
returns an ``H11Protocol`` that closes the connection when a request's
headers are not complete within ``seconds`` of the connection opening or of
the previous response; the body has its own deadline in the app
(``server._read_body``), and ``limit_concurrency`` and the header size cap
(``h11_max_incomplete_event_size``) are uvicorn settings (``uvicorn_config``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol


class _GuardedH11(H11Protocol):
    header_timeout_s = 10.0
    _header_timer: asyncio.TimerHandle | None = None
    closed_slow = 0
    """Connections closed because their headers did not arrive in time (all instances)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            type(self).closed_slow += 1
            self.transport.close()

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not before:
            self._disarm()  # a whole request head arrived

    def on_response_complete(self) -> None:
        self._arm()  # before: a pipelined request handled inside disarms it again
        super().on_response_complete()


def guarded_h11(header_timeout_s: float) -> type[Any]:
    """An H11Protocol class whose request heads must arrive within ``header_timeout_s``."""
    return type("GuardedH11", (_GuardedH11,), {"header_timeout_s": header_timeout_s})
