"""Fault injection for the server stub: the network and server failures a kiosk must survive.

A spec is a comma-separated list of ``kind:rate[@param]``; rates are
probabilities from 0 to 1 and are tried in the order given, one fault at
most per request:

    drop:0.2        the request is processed, then the connection is closed
                    before the response body: the kiosk never sees the ack
    500:0.1         answer 500 without processing
    429:0.1@2       answer 429 with ``Retry-After: 2`` (seconds; default 1)
    delay:0.5@3     wait 3 s (default 5) before processing, so a kiosk with a
                    shorter timeout gives up while the server still stores
    truncate:0.1    process, then send half the response body and close
    redirect:0.1    answer 307 to another host without processing (a kiosk must not follow)
    drip:0.1@0.5    process, then send the answer one byte every 0.5 s (default 1),
                    20 bytes at most, and close: the kiosk's deadline must end it
    bomb:0.1        answer 200 with a gzip bomb (64 MiB of zeros in ~64 KB) without
                    processing: the kiosk's cap must stop it after decompression
    poison:0.1@3    refuse, for good (422 POISON), a batch holding entry seq 3 (every
                    time it is picked); @0 picks any batch.  Other requests pass

``none`` or an empty spec clears every fault.  Faults apply to the kiosk
endpoints only (batches, lists, policy), never to admin, stats or health.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

KINDS = ("drop", "500", "429", "delay", "truncate", "redirect", "drip", "bomb", "poison")
DEFAULT_PARAM = {
    "drop": 0.0,
    "500": 0.0,
    "429": 1.0,
    "delay": 5.0,
    "truncate": 0.0,
    "redirect": 0.0,
    "drip": 1.0,
    "bomb": 0.0,
    "poison": 0.0,
}


class FaultSpecError(ValueError):
    """A fault spec does not parse; the message names the part that is wrong."""


@dataclass(frozen=True)
class Fault:
    kind: str
    rate: float
    param: float

    def __str__(self) -> str:
        text = f"{self.kind}:{self.rate:g}"
        if self.kind in ("429", "delay", "drip", "poison"):
            text += f"@{self.param:g}"
        return text


def parse_faults(spec: str) -> tuple[Fault, ...]:
    """Parse ``kind:rate[@param],...``; raises FaultSpecError naming the bad part."""
    text = spec.strip()
    if text in ("", "none"):
        return ()
    faults: list[Fault] = []
    for part in text.split(","):
        item = part.strip()
        kind, sep, rest = item.partition(":")
        kind = kind.strip().lower()
        if kind not in KINDS or not sep:
            raise FaultSpecError(
                f"fault {item!r}: expected kind:rate[@param] with kind one of {', '.join(KINDS)}"
            )
        rate_text, at, param_text = rest.partition("@")
        try:
            rate = float(rate_text)
            param = float(param_text) if at else DEFAULT_PARAM[kind]
        except ValueError:
            raise FaultSpecError(f"fault {item!r}: rate and param must be numbers") from None
        if not 0.0 <= rate <= 1.0:
            raise FaultSpecError(f"fault {item!r}: rate must be from 0 to 1")
        if not 0.0 <= param <= 3600.0:
            raise FaultSpecError(f"fault {item!r}: param must be from 0 to 3600")
        faults.append(Fault(kind, rate, param))
    return tuple(faults)


def format_faults(faults: tuple[Fault, ...]) -> str:
    return ",".join(str(f) for f in faults) or "none"


class FaultInjector:
    """The faults in force, changeable while the server runs; thread-safe."""

    def __init__(self, faults: tuple[Fault, ...] = (), *, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults
        self._rng = random.Random(seed)
        self.injected: dict[str, int] = dict.fromkeys(KINDS, 0)

    @property
    def faults(self) -> tuple[Fault, ...]:
        with self._lock:
            return self._faults

    def set(self, faults: tuple[Fault, ...]) -> None:
        with self._lock:
            self._faults = faults

    def pick(self, path: str = "/v1/batches") -> Fault | None:
        """The fault for this request, if any (at most one); poison only picks batches."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == "poison" and path != "/v1/batches":
                    continue
                if fault.rate > 0 and self._rng.random() < fault.rate:
                    self.injected[fault.kind] += 1
                    return fault
        return None
