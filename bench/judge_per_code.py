"""Decode + verify + evaluate per code, ES256 vs Ed25519, on one core.

    .venv/bin/python bench/judge_per_code.py [--codes 2000]

Prints median and p95 microseconds per code and codes/s for each algorithm,
side by side in one run, plus the share spent in signature verification.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from kiosk.core import codec, cose
from kiosk.core.pipeline import ScanContext, scan
from kiosk.core.policy import DEFAULT_POLICY
from kiosk.core.trust import load_root_key, parse_revocation_list, parse_trust_list
from server_stub.issuer import Issuer, good_certificates


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--codes", type=int, default=2000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    now = int(time.time())
    with tempfile.TemporaryDirectory() as tmp:
        issuer = Issuer.create(Path(tmp) / "iss", now=now - 86400)
        root = load_root_key(issuer.root_public_pem)
        ctx = ScanContext(
            DEFAULT_POLICY,
            parse_trust_list(issuer.trust_list(), root, now=now),
            parse_revocation_list(issuer.revocation_list(), root, now=now),
            holder_salt=b"bench",
        )
        print("| alg | median µs | p95 µs | codes/s (1 core) | of which signature check µs |")
        print("|---|---|---|---|---|")
        for alg in ("ES256", "EdDSA"):
            texts = [
                issuer.mint(name=f"P *{i}", now=now - 30, alg=alg, **good_certificates(now))
                for i in range(200)
            ]
            for t in texts[:50]:
                assert scan(t, ctx, now).verdict.value == "ALLOW"
            samples = []
            for i in range(args.codes):
                t = texts[i % len(texts)]
                start = time.perf_counter_ns()
                scan(t, ctx, now)
                samples.append((time.perf_counter_ns() - start) / 1000)
            sig = []
            for t in texts:
                env, _ = codec.decode(t)
                key = ctx.trust.keys_for(env.kid)[0]
                data = cose.sig_structure(env.protected, env.payload)
                start = time.perf_counter_ns()
                cose.verify_signature(key.public_key, key.alg, env.signature, data)
                sig.append((time.perf_counter_ns() - start) / 1000)
            samples.sort()
            med = statistics.median(samples)
            p95 = samples[int(len(samples) * 0.95)]
            sig_med = statistics.median(sig)
            print(f"| {alg} | {med:.0f} | {p95:.0f} | {1e6 / med:,.0f} | {sig_med:.0f} |")


if __name__ == "__main__":
    main()
