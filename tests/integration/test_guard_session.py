"""A scripted shift at the gate: the exported visits match the script exactly.

Twenty people through the real app, service and SQLite log, with a wedge
scanner's bursts: five yellow codes wait for the guard and are resolved out of
order (picked from the waiting list), readings are entered in both orders, a
fever, a missing mask, a red code, and two scans typed while a dialog is open.
``kiosk log export --visits`` must then give one row per person with the final
verdict, the readings and who decided, exactly as scripted.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from textual.pilot import Pilot

from kiosk.commands.log import run_export
from kiosk.ui.screens import ReasonDialog, TemperatureDialog
from server_stub.issuer import Issuer
from tests.ui.real_kiosk import Rig, human, scan, until

YELLOW = {2, 5, 9, 13, 17}
RED = {7}
RESOLVE_ORDER = [13, 2, 17, 5, 9]
DENIED = {17}


async def _temperature(pilot: Pilot[None], rig: Rig, reading: str, *, scan_next: str = "") -> str:
    await pilot.press("t")
    await until(pilot, lambda: isinstance(rig.app.screen, TemperatureDialog))
    scanned = await scan(pilot, rig, scan_next) if scan_next else ""
    await human(pilot, rig, reading)
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(rig.app.screen, TemperatureDialog))
    return scanned


async def _key_until(pilot: Pilot[None], rig: Rig, key: str, check) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(key)
    await until(pilot, check)


async def _walk_to(pilot: Pilot[None], rig: Rig, visit_id: str) -> None:
    """Pick ``visit_id`` in the waiting list with the arrow keys, as the guard does."""
    waiting = [v.visit_id for v in rig.app.waiting]
    if rig.app.current is None or rig.app.current.visit_id not in waiting:
        await pilot.press("up")  # from outside the list: its newest
        await until(pilot, lambda: rig.app.current.visit_id == waiting[-1])
    here = waiting.index(rig.app.current.visit_id)
    there = waiting.index(visit_id)
    for _ in range(abs(there - here)):
        await pilot.press("up" if there < here else "down")
    await until(pilot, lambda: rig.app.current.visit_id == visit_id)


def test_a_scripted_shift_exports_exactly_the_scripted_visits(
    tmp_path: Path, issuer: Issuer
) -> None:
    rig = Rig(tmp_path, issuer)
    names = [f"Person *{i:02d}" for i in range(20)]
    codes = [
        rig.code(n, colour="Y" if i in YELLOW else "R" if i in RED else "G")
        for i, n in enumerate(names)
    ]
    ids: dict[int, str] = {}

    async def script(pilot: Pilot[None]) -> None:
        i = 0
        while i < 19:
            ids[i] = await scan(pilot, rig, codes[i])
            if i == 0:  # temperature, then mask
                await _temperature(pilot, rig, "36.5")
                await _key_until(pilot, rig, "m", lambda: rig.app.current.mask is True)
            elif i == 1:  # mask, then temperature
                await _key_until(pilot, rig, "m", lambda: rig.app.current.mask is True)
                await _temperature(pilot, rig, "36.7")
            elif i == 3:  # a fever; the next person is scanned while the dialog is open
                ids[4] = await _temperature(pilot, rig, "38.6", scan_next=codes[4])
                await until(pilot, lambda: rig.app.current.visit_id == ids[4])
                await _key_until(pilot, rig, "n", lambda: rig.app.current.mask is False)
                await _temperature(pilot, rig, "36.4")
                await pilot.press("d")
                await until(pilot, lambda: isinstance(rig.app.screen, ReasonDialog))
                await human(pilot, rig, "no mask, sent away")
                await pilot.press("enter")
                await until(pilot, lambda: not rig.app.current.needs_guard)
                i += 1
            rig.wall.now += 7
            i += 1
        assert sorted(v.visit_id for v in rig.app.waiting) == sorted(ids[k] for k in YELLOW)
        for k in RESOLVE_ORDER:
            await _walk_to(pilot, rig, ids[k])
            await until(pilot, lambda k=k: rig.app.current.visit_id == ids[k])
            await pilot.press("d" if k in DENIED else "a")
            await until(pilot, lambda: isinstance(rig.app.screen, ReasonDialog))
            if k == 13:  # the last person arrives while the guard types
                ids[19] = await scan(pilot, rig, codes[19])
            await human(pilot, rig, "checked with the office" if k not in DENIED else "refused")
            await pilot.press("enter")
            await until(pilot, lambda k=k: ids[k] not in {v.visit_id for v in rig.app.waiting})
        assert rig.app.waiting == ()

    rig.run(script, size=(120, 36))
    out = tmp_path / "visits.jsonl"
    args = argparse.Namespace(
        config=rig.config.path, format="jsonl", since=None, output=out, visits=True
    )
    assert run_export(args) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]

    expected = []
    for i, name in enumerate(names):
        verdict, by, temp, mask = "ALLOW", "kiosk", None, None
        if i in RED:
            verdict = "DENY"
        if i in YELLOW:
            verdict, by = ("DENY" if i in DENIED else "ALLOW"), "guard"
        if i == 0:
            temp, mask = 36.5, True
        if i == 1:
            temp, mask = 36.7, True
        if i == 3:
            verdict, temp, mask = "DENY", 38.6, None
        if i == 4:
            verdict, by, temp, mask = "DENY", "guard", 36.4, False
        expected.append((ids[i], name, verdict, by, temp, mask))
    got = [
        (
            r["visit_id"],
            r["name"],
            r["final_verdict"],
            r["decided_by"],
            r["temperature_c"],
            r["mask"],
        )
        for r in rows
    ]
    assert got == expected
    assert rig.store.verify_chain().ok
