"""The central server stub as a child process on 127.0.0.1, for demos and tests.

Starts ``python -m server_stub serve`` (port 0 picks a free port unless one
is given), waits for its ``listening on URL`` line, keeps reading its output
so it never blocks on a full pipe, and stops it (terminate, then kill).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path


class ServerStartError(RuntimeError):
    """The server process exited or stayed silent instead of listening."""


class ServerProcess:
    """``server-stub serve`` as a child process; a context manager."""

    def __init__(
        self,
        issuer_dir: Path,
        db: Path,
        policy: Path,
        *extra: str,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        self.db = db
        self.args = [sys.executable, "-m", "server_stub", "serve", "--issuer-dir", str(issuer_dir)]
        self.args += ["--db", str(db), "--policy", str(policy), "--host", host, "--port", str(port)]
        self.args += list(extra)
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.log: list[str] = []

    def start(self, timeout: float = 20.0) -> ServerProcess:
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        for line in self.proc.stdout:
            self.log.append(line)
            if line.startswith("listening on "):
                self.url = line.split()[-1]
                break
            if time.monotonic() > deadline:
                break
        if not self.url:
            self.stop()
            raise ServerStartError("server did not start:\n" + "".join(self.log[-20:]))
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.log.append(line)
            del self.log[:-200]

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
