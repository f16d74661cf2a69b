"""The supervisor's report on the central server: per kiosk, per site and for all sites.

The same numbers as ``kiosk report`` (``kiosk.core.report``), from the entries
the kiosks sent.  The server's sync figures are better founded than a kiosk's
own: an entry's "acknowledged at" is when the server stored it
(``received_ms``).  Kiosk health is what the server itself saw: last contact
(the newest batch), newest entry, entries and batches held, whether the log
is held complete, and refused seq conflicts; beside it what the kiosk itself
reported in its newest health report (``server_stub.health``: backlog,
parked batches, list and policy versions, clock offset, failed requests),
with when that report came.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from typing import Any

from kiosk.core.entry import Entry, entry_from_wire
from kiosk.core.report import DAY_MS, Report, build_report, iso_local, report_to_json
from kiosk.report_render import render_html
from server_stub.store_port import Store


def _entries(
    store: Store, kiosks: list[str], start_ms: int, end_ms: int
) -> tuple[list[Entry], dict[str, list[tuple[int, int | None]]]]:
    entries: list[Entry] = []
    acks: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    for kiosk in kiosks:
        rows = store.entry_rows(kiosk, start_ms - DAY_MS, end_ms + DAY_MS)
        acks[kiosk] = []
        for body, prev, h, received in rows:
            e = entry_from_wire({**json.loads(body), "prev_hash": prev, "hash": h})
            if e.at_ms >= start_ms:
                entries.append(e)
            acks[kiosk].append((e.at_ms, received))
    return entries, dict(acks)


def sites(store: Store) -> dict[str, list[str]]:
    """Site -> its registered kiosks (a kiosk registered without a site is its own site)."""
    out: dict[str, list[str]] = defaultdict(list)
    for kiosk, site, _salt in store.deployments():
        out[site or kiosk].append(kiosk)
    return dict(out)


def report_for(
    store: Store,
    kiosks: list[str],
    *,
    start_ms: int,
    end_ms: int,
    utc_offset_min: int,
    now_ms: int,
) -> Report:
    entries, acks = _entries(store, kiosks, start_ms, end_ms)
    return build_report(
        entries, start_ms=start_ms, end_ms=end_ms, utc_offset_min=utc_offset_min,
        acks=acks, read_ms=now_ms,
    )  # fmt: skip


def health(store: Store) -> list[dict[str, Any]]:
    """What the server saw of each registered kiosk (see the module docstring)."""
    last_batch = store.last_contacts()
    out = []
    reported = store.health_reports()
    site_of = {k: s for k, s, _ in store.deployments()}
    stats = {s.kiosk_id: s for s in store.stats()}
    for kiosk in sorted(site_of):
        s = stats.get(kiosk)
        chain = store.check_chain(kiosk)
        out.append(
            {
                "kiosk_id": kiosk,
                "site": site_of[kiosk],
                "last_contact_ms": last_batch.get(kiosk),
                "newest_entry_ms": None if s is None else s.last_at_ms,
                "entries": 0 if s is None else s.entries,
                "batches": 0 if s is None else s.batches,
                "log_complete": chain.ok,
                "log_message": chain.message,
                "seq_conflicts": store.seq_conflicts(kiosk),
                "reported_ms": reported[kiosk][0] if kiosk in reported else None,
                "reported": reported[kiosk][1] if kiosk in reported else None,
            }
        )
    return out


def full_report(
    store: Store, *, start_ms: int, end_ms: int, utc_offset_min: int, now_ms: int
) -> dict[str, Any]:
    """All sites, each site and each kiosk, with kiosk health, as JSON-ready data."""
    by_site = sites(store)
    every = sorted(k for ks in by_site.values() for k in ks)
    kw = {
        "start_ms": start_ms,
        "end_ms": end_ms,
        "utc_offset_min": utc_offset_min,
        "now_ms": now_ms,
    }
    return {
        "all": report_to_json(report_for(store, every, **kw)),
        "sites": {
            s: report_to_json(report_for(store, ks, **kw)) for s, ks in sorted(by_site.items())
        },
        "kiosks": {k: report_to_json(report_for(store, [k], **kw)) for k in every},
        "health": health(store),
    }


def dashboard_html(
    store: Store, *, start_ms: int, end_ms: int, utc_offset_min: int, now_ms: int
) -> str:
    """All sites' report as the kiosk's HTML page, with a kiosk health table added."""
    every = sorted(k for ks in sites(store).values() for k in ks)
    r = report_for(
        store, every, start_ms=start_ms, end_ms=end_ms, utc_offset_min=utc_offset_min,
        now_ms=now_ms,
    )  # fmt: skip
    page = render_html(r, title="Central server dashboard: all sites")

    def when(ms: int | None) -> str:
        return "never" if ms is None else iso_local(ms, utc_offset_min)

    def said(h: dict[str, Any], name: str) -> str:
        r = h["reported"]
        if r is None:
            return "-"
        value = r.get(name)
        if value is None:
            return "unknown"
        if name == "clock_offset_ms":
            return f"{value / 1000:+.1f} s"
        if name == "backlog" and r.get("oldest_unsent_ms") is not None:
            return f"{value} (oldest {when(r['oldest_unsent_ms'])})"
        return str(value)

    def lists(h: dict[str, Any]) -> str:
        return " / ".join(
            said(h, n) for n in ("trust_list_version", "revocation_version", "policy_version")
        )

    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="l">{html.escape(str(v))}</td>'
            for v in (
                h["kiosk_id"], h["site"], when(h["last_contact_ms"]), when(h["newest_entry_ms"]),
                h["entries"], h["batches"], h["log_message"], h["seq_conflicts"],
                when(h["reported_ms"]), said(h, "backlog"), said(h, "parked_batches"),
                lists(h), said(h, "clock_offset_ms"), said(h, "failed_attempts"),
            )
        )
        + "</tr>"
        for h in health(store)
    )  # fmt: skip
    heads = ("kiosk", "site", "last contact", "newest entry", "entries", "batches", "log",
             "seq conflicts", "health reported", "backlog", "parked batches",
             "lists (trust / revocations / policy)", "clock offset",
             "failed requests")  # fmt: skip
    table = (
        '<h2>Kiosk health</h2><table id="health"><tr>'
        + "".join(f'<th class="l">{h}</th>' for h in heads)
        + f"</tr>{rows}</table>"
        '<p class="note">Backlog, parked batches, versions, clock offset and failed requests are'
        " what each kiosk reported after its last sync round that reached the server"
        ' ("-": no report yet).</p>'
    )
    return page.replace("</body>", table + "</body>")
