"""A server frozen mid-request: it accepts connections on 127.0.0.1 and never answers.

Tests use it to show that scanning and logging go on *while* a sync request is
outstanding, without timing anything: the listener records each connection it
accepted, and ``outstanding()`` says whether the client still holds one open,
waiting for the answer that never comes.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class FrozenServer:
    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = int(self._listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.accepted = threading.Event()
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="frozen-server", daemon=True)

    def __enter__(self) -> FrozenServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._connections.append(conn)
            self.accepted.set()

    def outstanding(self) -> int:
        """Connections the client still holds open (a request waiting for its answer)."""
        count = 0
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            conn.setblocking(False)
            try:
                while conn.recv(65536):  # read the unanswered request; b"" means it hung up
                    pass
            except BlockingIOError:
                count += 1  # still open, nothing more to read: the client waits for us
            except OSError:
                pass
        return count

    def close(self) -> None:
        self._closed = True
        try:
            self._listener.close()
        finally:
            with self._lock:
                for conn in self._connections:
                    conn.close()
                self._connections.clear()
