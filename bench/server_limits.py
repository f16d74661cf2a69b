"""Server connection limits, measured: how long a hostile connection is kept.

    python bench/server_limits.py

Starts ``server-stub serve`` with its default limits on a free 127.0.0.1 port
and measures, for one connection each: idle from connect, idle after one
answer (keep-alive), a request head trickled a byte every 0.5 s, and a
registered kiosk's batch body trickled a byte every 0.5 s after a genuine
signed head; then opens 100 idle connections and counts how many requests
beyond them get 503.  The landed server kept the first three 75-80 s.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import sys
import tempfile
import time
from pathlib import Path

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.server_ingest import ADMIN, start_server  # noqa: E402
from kiosk.core.server_signed import batch_statement  # noqa: E402


def held_for(port: int, send: bytes = b"", trickle: bytes = b"", limit_s: float = 120) -> float:
    """Seconds until the server closes (or answers 408 on) the connection."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(send)
        i = 0
        while time.monotonic() - start < limit_s:
            if i < len(trickle):
                try:
                    sock.sendall(trickle[i : i + 1])
                except OSError:
                    break
                i += 1
            sock.settimeout(0.5)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data or b" 408 " in data[:20]:
                break
            if send and b"HTTP/1.1 200" in data[:20]:
                continue  # the answer to the first request: now idle on keep-alive
        return time.monotonic() - start


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(Path(tmp))
        port = int(url.rsplit(":", 1)[1])
        try:
            key = Ed25519PrivateKey.generate()
            pem = key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            requests.post(f"{url}/v1/kiosks", headers=ADMIN, timeout=10,
                          json={"kiosk_id": "k1", "public_key_pem": pem.decode()})  # fmt: skip
            body = b'{"kiosk_id":"k1"}' + b" " * 200
            digest = hashlib.sha256(body).hexdigest()
            sig = base64.b64encode(key.sign(batch_statement("k1", digest))).decode()
            head = (
                f"POST /v1/batches HTTP/1.1\r\nHost: x\r\nX-Kiosk-Id: k1\r\n"
                f"X-Signature: {sig}\r\nX-Body-SHA256: {digest}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode()
            results = {
                "idle from connect": held_for(port),
                "idle after an answer (keep-alive)": held_for(
                    port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                ),
                "request head trickled 1 byte / 0.5 s": held_for(
                    port, b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 300
                ),
                "signed batch body trickled 1 byte / 0.5 s": held_for(port, head, body),
            }
            held = [socket.create_connection(("127.0.0.1", port)) for _ in range(100)]
            refused = 0
            for _ in range(20):
                try:
                    r = requests.get(f"{url}/healthz", timeout=5)
                    refused += r.status_code == 503
                except requests.RequestException:
                    refused += 1
            for s in held:
                s.close()
        finally:
            proc.terminate()
            proc.wait(10)
    for what, seconds in results.items():
        print(f"  {what}: closed after {seconds:.1f} s")
    print(f"  100 idle connections held, then 20 requests: {refused} answered 503")
    return 0


if __name__ == "__main__":
    sys.exit(main())
