"""How a decision is printed by the command-line tools: for people, or as JSON.

The human form is what a guard or an operator reads in a terminal: verdict,
name, colour, one line per certificate, every reason with its code.  The
JSON form is one object per decision for machines.  Text from a code has
already been cleaned of control and bidi characters in the core, so it
cannot move the cursor or recolour the terminal; JSON escapes the rest.
"""

from __future__ import annotations

import json
from typing import Any

from kiosk.core.clock import format_instant
from kiosk.core.display import CERTIFICATE_LABEL, CERTIFICATE_MARK, VERDICT_SYMBOL
from kiosk.core.model import Decision


def decision_to_json(decision: Decision, **extra: Any) -> dict[str, Any]:
    """A decision as a JSON-ready dict (``extra`` adds fields such as the source)."""
    verified = decision.credential
    out: dict[str, Any] = {
        "verdict": decision.verdict.value,
        "reasons": [
            {"code": r.code.value, "severity": r.severity.value, "message": r.message}
            for r in decision.reasons
        ],
        "name": decision.name,
        "colour": decision.colour.value if decision.colour else None,
        "issuer": decision.issuer,
        "certificates": [
            {"kind": c.kind.value, "status": c.status.value, "summary": c.summary}
            for c in decision.certificates
        ],
        "verified": verified is not None,
        "kid": verified.kid.hex() if verified else None,
        "holder_key": decision.holder_key or None,
        "decided_at": format_instant(decision.decided_at),
    }
    out.update(extra)
    return out


def decision_json_line(decision: Decision, **extra: Any) -> str:
    return json.dumps(decision_to_json(decision, **extra), ensure_ascii=False)


def decision_lines(decision: Decision, source: str = "") -> list[str]:
    """A decision as lines of plain text for a terminal."""
    who = decision.name if decision.credential else "(not verified)"
    colour = f"  colour {decision.colour.word}" if decision.colour else ""
    where = f"  [{source}]" if source else ""
    verdict = decision.verdict
    lines = [f"{VERDICT_SYMBOL[verdict]} {verdict.value:<6}  {who}{colour}{where}"]
    for cert in decision.certificates:
        label = CERTIFICATE_LABEL[cert.kind] + ":"
        lines.append(f"    {CERTIFICATE_MARK[cert.status]} {label:<14}{cert.summary}")
    for reason in decision.reasons:
        lines.append(f"    {reason.severity.value:<6} {reason.code.value}: {reason.message}")
    return lines
