"""The guard's workflow on the real service: one visit per person, every check counts.

One test per problem found when the kiosk was tried as a guard would (a demo
queue, a wedge scanner): each drives the real app over the real service and a
real SQLite log, and checks both the screen and what the log recorded.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, Static

from kiosk.commands.log import run_export
from kiosk.core.errors import ReasonCode
from kiosk.core.model import Verdict
from kiosk.ui.screens import LogScreen, ReasonDialog, TemperatureDialog
from kiosk.ui.widgets import RecentEntries, StatusBar, TextLines
from kiosk.ui.words import phrase
from server_stub.issuer import Issuer
from tests.ui.real_kiosk import Rig, human, scan, until


def reasons(rig: Rig) -> str:
    return rig.app.query_one("#reasons", TextLines).plain


def waiting_text(rig: Rig) -> str:
    return rig.app.query_one("#waiting", TextLines).plain


def kinds_and_verdicts(rig: Rig, visit_id: str) -> list[tuple[str, str]]:
    return [(e.kind.value, e.verdict) for e in rig.store.visit_entries(visit_id)]


async def temperature(pilot: Pilot[None], rig: Rig, reading: str) -> None:
    await pilot.press("t")
    await until(pilot, lambda: isinstance(rig.app.screen, TemperatureDialog))
    await human(pilot, rig, reading)
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(rig.app.screen, TemperatureDialog))


async def overrule(pilot: Pilot[None], rig: Rig, key: str, reason: str) -> None:
    await pilot.press(key)
    await until(pilot, lambda: isinstance(rig.app.screen, ReasonDialog))
    await human(pilot, rig, reason)
    await pilot.press("enter")
    await until(pilot, lambda: not isinstance(rig.app.screen, ReasonDialog))


# 1. The last reading replaced the other: a fever was erased by a key press.
def test_1_a_fever_is_never_erased_by_a_mask_check_nor_no_mask_by_a_temperature(
    tmp_path: Path, issuer: Issuer
) -> None:
    rig = Rig(tmp_path, issuer)

    async def script(pilot: Pilot[None]) -> None:
        first = await scan(pilot, rig, rig.code("Wang *ming"))
        assert rig.app.current is not None and rig.app.current.verdict is Verdict.ALLOW
        await temperature(pilot, rig, "38.5")
        await until(pilot, lambda: rig.app.current.verdict is Verdict.DENY)
        await pilot.press("m")
        await until(pilot, lambda: rig.app.current.mask is True)
        assert rig.app.current.verdict is Verdict.DENY
        assert "fever: 38.5 °C" in reasons(rig)
        assert kinds_and_verdicts(rig, first) == [
            ("scan", "ALLOW"),
            ("observation", "DENY"),
            ("observation", "DENY"),
        ]

        second = await scan(pilot, rig, rig.code("Li *na"))
        await pilot.press("n")
        await until(pilot, lambda: rig.app.current.mask is False)
        assert rig.app.current.verdict is Verdict.REVIEW
        await temperature(pilot, rig, "36.6")
        await until(pilot, lambda: rig.app.current.temperature_c == 36.6)
        assert rig.app.current.verdict is Verdict.REVIEW
        assert "MASK_MISSING" in rig.app.current.decision.reason_codes
        assert "? REVIEW no mask" in reasons(rig)
        assert [v for _, v in kinds_and_verdicts(rig, second)] == ["ALLOW", "REVIEW", "REVIEW"]

    rig.run(script)


# 2. The scanner typed into dialogs and the log search.
def test_2_a_scan_never_goes_into_a_dialog_or_the_search_box(
    tmp_path: Path, issuer: Issuer
) -> None:
    rig = Rig(tmp_path, issuer)

    async def script(pilot: Pilot[None]) -> None:
        yellow = await scan(pilot, rig, rig.code("Zhao *yu", colour="Y"))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(rig.app.screen, ReasonDialog))
        dialog = rig.app.screen
        await human(pilot, rig, "Has a pass ")
        nxt = await scan(pilot, rig, rig.code("Next *one"))
        assert rig.app.screen is dialog, "the scanner's Enter did not confirm the dialog"
        assert dialog.query_one(Input).value == "Has a pass "
        assert nxt != yellow and rig.app.newest.visit_id == nxt
        assert not [e for e in rig.store.visit_entries(yellow) if e.kind.value == "override"]
        await human(pilot, rig, "from the office")
        await pilot.press("enter")
        await until(pilot, lambda: len(rig.store.visit_entries(yellow)) == 2)
        override = rig.store.visit_entries(yellow)[-1]
        assert override.kind.value == "override" and override.refers_to == yellow
        assert override.note == "Has a pass from the office"
        assert "HCK1" not in override.note
        assert [e.kind.value for e in rig.store.visit_entries(nxt)] == ["scan"]

        await pilot.press("l")
        await until(pilot, lambda: isinstance(rig.app.screen, LogScreen))
        search = rig.app.screen.query_one("#search", Input)
        third = await scan(pilot, rig, rig.code("Third *person"))
        assert search.value == ""
        assert rig.app.newest.visit_id == third

    rig.run(script)


# 3. A REVIEW was replaced by the next person's verdict and could never be acted on.
def test_3_a_review_waits_in_the_list_and_can_be_acted_on_later(
    tmp_path: Path, issuer: Issuer
) -> None:
    rig = Rig(tmp_path, issuer)

    async def script(pilot: Pilot[None]) -> None:
        yellow = await scan(pilot, rig, rig.code("Zhao *yu", colour="Y"))
        red = await scan(pilot, rig, rig.code("Chen *gang", colour="R"))
        assert rig.app.current.visit_id == red
        assert "Zhao *yu" in waiting_text(rig)
        rig.mono.now += 3600  # the next person's DENY has long faded
        rig.app.check_hold()
        await until(pilot, lambda: rig.app.current is None)
        assert "Zhao *yu" in waiting_text(rig)
        await pilot.press("up")
        await until(pilot, lambda: rig.app.current is not None)
        assert rig.app.current.visit_id == yellow
        await overrule(pilot, rig, "a", "health office confirmed")
        await until(pilot, lambda: not rig.app.waiting)
        assert kinds_and_verdicts(rig, yellow) == [("scan", "REVIEW"), ("override", "ALLOW")]

        # and from the log view: Enter on a row brings its visit back to the keys
        other = await scan(pilot, rig, rig.code("Sun *li", colour="Y"))
        await scan(pilot, rig, rig.code("Qian *wu"))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(rig.app.screen, LogScreen))
        rig.app.screen.query_one("#search", Input).value = "Sun *li"
        await until(pilot, lambda: rig.app.screen.query_one("#log-table").row_count == 1)
        rig.app.screen.query_one("#log-table").focus()
        await pilot.press("enter")
        await until(pilot, lambda: len(rig.app.screen_stack) == 1)
        assert rig.app.current.visit_id == other and rig.app.picked == other
        await overrule(pilot, rig, "d", "no pass")
        await until(pilot, lambda: len(rig.store.visit_entries(other)) == 2)
        assert rig.store.visit_entries(other)[-1].verdict == "DENY"

    rig.run(script)


# 4. Approving an older REVIEW painted the panel for it and hid the newer REVIEW.
def test_4_approving_an_older_review_keeps_the_current_person_on_screen(
    tmp_path: Path, issuer: Issuer
) -> None:
    rig = Rig(tmp_path, issuer)

    async def script(pilot: Pilot[None]) -> None:
        older = await scan(pilot, rig, rig.code("Older *one", colour="Y"))
        rig.wall.now += 9
        newer = await scan(pilot, rig, rig.code("Newer *one", colour="Y"))
        await pilot.press("up")
        await until(pilot, lambda: rig.app.current.visit_id == older)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(rig.app.screen, ReasonDialog))
        title = str(rig.app.screen.query_one("#dialog-title", Static).render())
        assert "Older *one" in title and "16:00:00" in title
        await human(pilot, rig, "known visitor")
        await pilot.press("enter")
        await until(pilot, lambda: [v.visit_id for v in rig.app.waiting] == [newer])
        assert rig.app.current.visit_id == newer
        assert rig.app.current.verdict is Verdict.REVIEW
        assert "Newer *one" in rig.app.verdict_text.plain
        assert rig.store.visit_entries(older)[-1].verdict == "ALLOW"
        assert [e.kind.value for e in rig.store.visit_entries(newer)] == ["scan"]

    rig.run(script)


# 5. The final verdict was not logged; readings showed without values.
def test_5_every_entry_carries_the_visits_verdict_and_readings_show_and_are_found(
    tmp_path: Path, issuer: Issuer
) -> None:
    rig = Rig(tmp_path, issuer)

    async def script(pilot: Pilot[None]) -> None:
        visit = await scan(pilot, rig, rig.code("Hot *head"))
        await temperature(pilot, rig, "38.5")
        await until(pilot, lambda: len(rig.store.visit_entries(visit)) == 2)
        reading = rig.store.visit_entries(visit)[1]
        assert (reading.verdict, reading.temperature_c) == ("DENY", 38.5)
        assert "TEMPERATURE_HIGH" in reading.reasons and reading.note == "temperature 38.5 °C"
        await pilot.press("l")
        await until(pilot, lambda: isinstance(rig.app.screen, LogScreen))
        for query in ("38.5", "fever"):
            rig.app.screen.query_one("#search", Input).value = query
            table = rig.app.screen.query_one("#log-table")
            await until(pilot, lambda t=table: t.row_count >= 1)
            cells = [str(c) for c in table.get_row_at(0)]
            assert "temperature 38.5 °C" in cells and "DENY" in " ".join(cells), cells

    rig.run(script)
    out = tmp_path / "visits.jsonl"
    args = argparse.Namespace(
        config=rig.config.path, format="jsonl", since=None, output=out, visits=True
    )
    assert run_export(args) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 1
    assert rows[0]["final_verdict"] == "DENY" and rows[0]["code_verdict"] == "ALLOW"
    assert rows[0]["temperature_c"] == 38.5 and rows[0]["decided_by"] == "kiosk"


# 6. The guard could not overrule an ALLOW or a DENY.
def test_6_the_guard_overrules_both_ways_within_the_policy(tmp_path: Path, issuer: Issuer) -> None:
    rig = Rig(tmp_path, issuer)

    async def script(pilot: Pilot[None]) -> None:
        green = await scan(pilot, rig, rig.code("Look *alike"))
        await overrule(pilot, rig, "d", "face does not match the name")
        await until(pilot, lambda: rig.app.current.verdict is Verdict.DENY)
        assert rig.store.visit_entries(green)[-1].reasons[-1] == "GUARD_DENIED"
        red = await scan(pilot, rig, rig.code("Red *code", colour="R"))
        await overrule(pilot, rig, "a", "I know her")
        toasts = " ".join(str(t.render()) for t in rig.app.screen.query("Toast"))
        barred = phrase(ReasonCode.COLOUR_NOT_ALLOWED)  # the words, not the code
        await until(pilot, lambda: barred in " ".join(
            str(t.render()) for t in rig.app.screen.query("Toast")))  # fmt: skip
        assert "COLOUR_NOT_ALLOWED" not in " ".join(
            str(t.render()) for t in rig.app.screen.query("Toast"))  # fmt: skip
        assert rig.app.current.visit_id == red and rig.app.current.verdict is Verdict.DENY
        assert [e.kind.value for e in rig.store.visit_entries(red)] == ["scan"], toasts

    rig.run(script)


# 7. Counters misled: reviews never went down, overrules not counted, "–" rows.
def test_7_counters_count_visits_by_final_verdict_and_the_list_shows_visits(
    tmp_path: Path, issuer: Issuer
) -> None:
    rig = Rig(tmp_path, issuer)

    async def script(pilot: Pilot[None]) -> None:
        await scan(pilot, rig, rig.code("One *a", colour="Y"))
        await scan(pilot, rig, rig.code("Two *b", colour="Y"))
        await pilot.press("m")
        await until(pilot, lambda: rig.app.current.mask is True)
        counters = rig.service.status().counters
        assert (counters.visits, counters.waiting, counters.overruled) == (2, 2, 0)
        await overrule(pilot, rig, "a", "checked")
        await until(pilot, lambda: rig.service.status().counters.waiting == 1)
        counters = rig.service.status().counters
        assert (counters.visits, counters.allowed, counters.overruled) == (2, 1, 1)
        rig.app.action_pause()  # any status round: the counters line follows the status
        await until(pilot, lambda: "1 overruled" in rig.app.query_one("#counters", TextLines).plain)
        recent = rig.app.query_one(RecentEntries)
        await until(pilot, lambda: recent.row_count == 2)
        names = [str(recent.get_row_at(i)[2]) for i in range(recent.row_count)]
        assert names == ["Two *b (guard)", "One *a"]

    rig.run(script)


# 8. A failed log write looked like a REVIEW and was never retried.
def test_8_a_log_that_cannot_be_written_is_a_fault_and_nothing_is_lost(
    tmp_path: Path, issuer: Issuer
) -> None:
    rig = Rig(tmp_path, issuer)
    conn = rig.store._conn  # the real SQLite connection: SQLITE_FULL is the real "disk full"

    async def script(pilot: Pilot[None]) -> None:
        first = await scan(pilot, rig, rig.code("Before *full"))
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        held = []
        for i in range(12):
            held.append(await scan(pilot, rig, rig.code(f"Held *{i}")))
            assert rig.app.current.verdict is Verdict.ALLOW, "a fault is not a REVIEW"
        await until(pilot, lambda: bool(rig.service.status().log.fault))
        await pilot.press("m")
        await until(pilot, lambda: rig.app.current.mask is True)
        status = rig.service.status()
        assert "full" in status.log.fault and status.log.held >= 1
        rig.app.action_pause()
        bar = rig.app.query_one(StatusBar)
        await until(pilot, lambda: "LOG NOT WRITABLE" in bar.plain)
        assert "NOT YET IN THE LOG" in rig.app.verdict_text.plain
        conn.execute("PRAGMA max_page_count = 1073741823")  # space freed
        await until(pilot, lambda: rig.service.status().log.held == 0, rounds=2000)
        await until(pilot, lambda: "LOG NOT WRITABLE" not in bar.plain, rounds=2000)
        scans = [e.id for e in rig.store.iter_entries() if e.kind.value == "scan"]
        assert scans == [first, *held], "every scan logged, in order"
        last = rig.store.visit_entries(held[-1])
        assert [e.kind.value for e in last] == ["scan", "observation"]
        assert rig.store.verify_chain().ok

    rig.run(script)
