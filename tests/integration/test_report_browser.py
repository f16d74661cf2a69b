"""The report page and the server's dashboard, opened in a real headless Chromium with no network.

Chromium comes from the system's packages (``apt-get install chromium``; ``.ci/run``
installs it where it is missing); without it these tests are skipped with that
reason.  The browser runs with every host unresolvable and a proxy that goes
nowhere, so a page that needed the network would show it.  Checked: the
screenshot holds the charts (enough pixels of the outcome colours: the bars,
and of the check lines), and the page as the browser laid it out (its DOM
after loading) holds the numbers counted from the generator's script.  Text in
the screenshot itself is not read (no OCR on this machine).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from kiosk.adapters.store import EntryStore
from kiosk.core.report import build_report, day_window
from kiosk.report_render import render_html
from server_stub.reports import dashboard_html
from server_stub.storage import ServerStore
from tests.week_log import FIRST_DAY, KIOSKS, UTC_OFFSET_MIN, log_path, plan_week, write_logs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium here (apt-get install chromium; .ci/run does)"
)

OFFLINE_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
    "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
    "--disable-background-networking", "--disable-component-update",
)  # fmt: skip


def _chromium(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *OFFLINE_FLAGS, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"HOME": str(cwd), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


def _look(page: Path) -> tuple[Image.Image, str]:
    shot = page.with_suffix(".png")
    done = _chromium(
        "--window-size=1100,3600", f"--screenshot={shot}", page.as_uri(), cwd=page.parent
    )
    assert shot.exists(), done.stderr[-2000:]
    dom = _chromium("--dump-dom", page.as_uri(), cwd=page.parent)
    assert dom.returncode == 0, dom.stderr[-2000:]
    return Image.open(shot).convert("RGB"), dom.stdout


def _colour_counts(img: Image.Image) -> dict[str, int]:
    counts = {"green": 0, "red": 0, "purple": 0}
    data = img.tobytes()
    for i in range(0, len(data), 3):
        r, g, b = data[i], data[i + 1], data[i + 2]
        if g > r + 40 and g > b + 40:
            counts["green"] += 1
        elif r > g + 60 and r > b + 60:
            counts["red"] += 1
        elif b > g + 40 and r > g + 20:
            counts["purple"] += 1
    return counts


@pytest.fixture(scope="module")
def small_week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    folder = tmp_path_factory.mktemp("browser-week")
    plan = plan_week(per_kiosk_day=12)
    write_logs(folder, plan)
    return folder, plan


def test_the_report_page_shows_its_charts_and_numbers_offline(small_week, tmp_path: Path) -> None:
    folder, plan = small_week
    start, end = day_window(FIRST_DAY, UTC_OFFSET_MIN)
    entries = []
    for kiosk in KIOSKS:
        with EntryStore(log_path(folder, kiosk), kiosk_id=kiosk) as store:
            entries.extend(store.iter_entries())
    report = build_report(entries, start_ms=start, end_ms=end, utc_offset_min=UTC_OFFSET_MIN)
    page = tmp_path / "day.html"
    page.write_text(render_html(report), encoding="utf-8")
    img, dom = _look(page)
    colours = _colour_counts(img)
    assert colours["green"] > 2000, colours  # the allowed bars
    assert colours["red"] > 100, colours  # the denied bars
    assert colours["purple"] > 50, colours  # the temperature line
    visits = [v for v in plan if v.local.date() == FIRST_DAY]
    allowed = sum(v.spec.outcome == "ALLOW" for v in visits)
    assert f'data-key="visits">visits<b>{len(visits)}</b>' in dom
    assert f'data-key="ALLOW">allowed<b>{allowed}</b>' in dom
    assert dom.count("<svg") >= 2


def test_the_dashboard_shows_its_charts_and_health_offline(small_week, tmp_path: Path) -> None:
    from tests.integration.test_server_report import _store_week

    folder, plan = small_week
    db = tmp_path / "server.sqlite"
    store = ServerStore(db)
    for kiosk in KIOSKS:
        store.register_kiosk(kiosk, "unused", now_ms=0, site="Week test site")
    store.close()
    _store_week(folder, db)
    store = ServerStore(db)
    try:
        start, end = day_window(FIRST_DAY, UTC_OFFSET_MIN)
        html = dashboard_html(
            store, start_ms=start, end_ms=end, utc_offset_min=UTC_OFFSET_MIN, now_ms=end
        )
    finally:
        store.close()
    page = tmp_path / "dashboard.html"
    page.write_text(html, encoding="utf-8")
    img, dom = _look(page)
    colours = _colour_counts(img)
    assert colours["green"] > 2000 and colours["red"] > 100, colours
    visits = sum(v.local.date() == FIRST_DAY for v in plan)
    assert f'data-key="visits">visits<b>{visits}</b>' in dom
    assert 'id="health"' in dom and all(k in dom for k in KIOSKS)
