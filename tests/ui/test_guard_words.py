"""The issue's bullets on the real kiosk, in Chinese: the real app over the real service,
a real issuer's signed codes and lists, and a real SQLite log.

- Words, not codes, on the screen; the codes unchanged in the log (and so in sync and JSON).
- An area by its name; ages in hours or days.
- A code that verified but expired, or was withdrawn by its issuer, shows the person, the
  certificates and why, apart from a forged one.
- The log view speaks the kiosk's language and finds entries by its words.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from kiosk.adapters.store import EntryStore
from kiosk.service import KioskService
from kiosk.ui import lines
from kiosk.ui.screens import LogScreen
from kiosk.ui.widgets import TextLines
from server_stub.issuer import Issuer, high_risk_travel
from tests.conftest import NOW, context_for
from tests.ui.real_kiosk import Rig, scan, until


def shown(rig: Rig, widget: str) -> str:
    return rig.app.query_one(widget, TextLines).plain


def test_words_on_the_chinese_screen_codes_in_the_log(tmp_path: Path, issuer: Issuer) -> None:
    rig = Rig(tmp_path, issuer, language="zh_CN")
    code = rig.code("Zheng *wei", travel=high_risk_travel(NOW, days_ago=5))

    async def script(pilot: Pilot[None]) -> None:
        visit = await scan(pilot, rig, code)
        await until(pilot, lambda: len(rig.store.visit_entries(visit)) == 1)
        reasons = shown(rig, "#reasons").splitlines()
        assert any("到过高风险地区" in r and "北京市朝阳区" in r for r in reasons), reasons
        assert all(not r.isascii() for r in reasons), reasons
        assert "禁止通行" in rig.app.verdict_text.plain
        certificates = shown(rig, "#certificates")
        assert "核酸：阴性，20 小时前采样" in certificates, certificates
        # The log keeps the stable code, whatever the screen's language.
        entry = rig.store.visit_entries(visit)[0]
        assert "TRAVEL_RISK_AREA" in entry.reasons and entry.verdict == "DENY"
        # The log view: the reason in Chinese, found by its Chinese words.
        await pilot.press("l")
        await until(pilot, lambda: isinstance(rig.app.screen, LogScreen))
        rig.app.screen.query_one("#search", Input).value = "高风险"
        table = rig.app.screen.query_one("#log-table", DataTable)
        await until(pilot, lambda: table.row_count == 1)
        cells = [c.plain for c in table.get_row_at(0)]
        assert "Zheng *wei" in cells and "✗ 禁止通行" in cells, cells
        # The log keeps the code; the facts kept beside it give the row the area's name.
        assert any("到过高风险地区" in c and "北京市朝阳区" in c for c in cells), cells
        assert not any("TRAVEL_RISK_AREA" in c or "CN-110105" in c for c in cells)
        # The same in the newest visits, read back from the log file by a new store.
        with EntryStore(rig.store.path, kiosk_id="gate-ui") as reopened:
            rows = KioskService(rig.config, context_for(issuer), reopened).recent(5)
        said = [lines.log_reasons(r).plain for r in rows]
        assert any("到过高风险地区" in r and "北京市朝阳区" in r for r in said), said

    rig.run(script)


def test_expired_and_withdrawn_codes_show_who_and_why_not_forged(
    tmp_path: Path, issuer: Issuer
) -> None:
    withdrawn_holder = (99).to_bytes(16, "big")
    issuer.revoke(withdrawn_holder, now=NOW - 600)
    rig = Rig(tmp_path, issuer, ctx=context_for(issuer), language="zh_CN")
    expired = issuer.mint(
        name="Old *code", now=NOW - 3 * 3600, validity_s=3600, holder_id=(98).to_bytes(16, "big")
    )
    withdrawn = issuer.mint(name="Gone *code", now=NOW - 60, holder_id=withdrawn_holder)

    async def script(pilot: Pilot[None]) -> None:
        await scan(pilot, rig, expired)
        panel = rig.app.verdict_text.plain
        assert "Old *code" in panel and "禁止通行" in panel
        assert "码已于2 小时前过期：请对方刷新健康码" in shown(rig, "#reasons")
        assert "伪造" not in shown(rig, "#certificates")

        await scan(pilot, rig, withdrawn)
        assert "Gone *code" in rig.app.verdict_text.plain
        assert "码已被签发机构撤销" in shown(rig, "#reasons")
        assert "伪造" not in shown(rig, "#certificates")

    rig.run(script)
