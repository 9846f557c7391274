"""HTML for the live status tiles and the dashboard's small visual touches (pure, escaped)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from string import Template

import pandas as pd

from monitors.output import charts, present

CSS = Template("""
<style>
:root { --pp-up:$up; --pp-degraded:$degraded; --pp-down:$down; --pp-unknown:$unknown; }
.block-container { padding-top: 4.6rem; }
.pp-brand { display:flex; align-items:baseline; gap:.75rem; flex-wrap:wrap; margin-bottom:.2rem; }
.pp-brand h1 { font-size: 1.9rem; margin: 0; padding: 0; letter-spacing: -0.02em; }
.pp-brand .pp-sub { color:#64748b; font-size:.95rem; }
.pp-badge { display:inline-block; border-radius:999px; padding:.1rem .6rem; font-size:.75rem;
  font-weight:700; letter-spacing:.04em; vertical-align: middle; }
.pp-badge.demo { background:#fef3c7; color:#92400e; border:1px solid #f59e0b; }
.pp-groups { display:flex; flex-wrap:wrap; gap:1rem 1.4rem; align-items:stretch;
  margin-bottom:1.1rem; }
.pp-box { display:flex; flex-direction:column; }
.pp-group { margin: 0 0 .35rem; color:#475569; font-size:.78rem; font-weight:700;
  text-transform:uppercase; letter-spacing:.08em; white-space:nowrap; }
.pp-group span { color:#94a3b8; font-weight:600; }
.pp-grid { display:flex; flex-wrap:wrap; gap:.75rem; flex:1; }
.pp-tile { width:258px; border:1px solid #e2e8f0; border-left:6px solid var(--pp-unknown);
  border-radius:12px; padding:.7rem .85rem .75rem; background:#fff;
  box-shadow: 0 1px 2px rgba(15,23,42,.05); }
.pp-tile.up { border-left-color: var(--pp-up); }
.pp-tile.degraded { border-left-color: var(--pp-degraded); background:#fffbeb; }
.pp-tile.down { border-left-color: var(--pp-down); background:#fef2f2; }
.pp-head { display:flex; justify-content:space-between; align-items:center; gap:.5rem; }
.pp-name { font-weight:700; font-size:1.05rem; color:#0f172a; }
.pp-pill { border-radius:999px; padding:.05rem .55rem; font-size:.72rem; font-weight:800;
  letter-spacing:.05em; color:#fff; background: var(--pp-unknown); text-transform:uppercase; }
.pp-pill.up { background: var(--pp-up); } .pp-pill.degraded { background: var(--pp-degraded); }
.pp-pill.down { background: var(--pp-down); }
.pp-since { color:#334155; font-size:.85rem; margin-top:.2rem; }
.pp-meta { color:#64748b; font-size:.78rem; margin-top:.15rem; }
.pp-surfaces { font-size:.85rem; margin-top:.3rem; color:#0f172a; font-weight:600; }
.pp-official { font-size:.78rem; margin-top:.35rem; color:#475569; border-top:1px dashed #e2e8f0;
  padding-top:.3rem; }
.pp-official b { color:#0f172a; }
.pp-official .dot { display:inline-block; width:.5rem; height:.5rem; border-radius:50%;
  margin-right:.3rem; background: var(--pp-unknown); }
.pp-official .dot.up { background: var(--pp-up); }
.pp-official .dot.degraded { background: var(--pp-degraded); }
.pp-official .dot.down { background: var(--pp-down); }
.pp-note { font-size:.75rem; color:#92400e; margin-top:.25rem; }
.pp-ack { font-size:.8rem; color:#1e3a8a; font-weight:700; margin-top:.35rem;
  background:#eff6ff; border:1px solid #bfdbfe; border-radius:8px; padding:.15rem .5rem; }
.pp-ack span { font-weight:500; color:#3b5bab; }
.pp-summary { display:flex; gap:.5rem; flex-wrap:wrap; margin:.3rem 0 .2rem; }
.pp-count { border-radius:10px; padding:.35rem .75rem; font-weight:700; font-size:.95rem;
  background:#f1f5f9; color:#0f172a; }
.pp-count i { font-style:normal; display:inline-block; width:.6rem; height:.6rem;
  border-radius:50%; margin-right:.4rem; }
.pp-grid { align-items:flex-start; }
/* Projector: type and tiles scale with the screen (1440x900 up to 1920x1080 and beyond)
   so the whole board, figures and timeline fit without scrolling. */
.pp-groups.present { gap:.6rem 1.1rem; margin-bottom:.4rem; }
.present .pp-grid { gap:.6rem; }
.present .pp-name { font-size:clamp(1.1rem, 2.5vh, 1.8rem); }
.present .pp-pill { font-size:clamp(.78rem, 1.5vh, 1rem); }
.present .pp-since { font-size:clamp(.9rem, 1.72vh, 1.25rem); }
.present .pp-meta, .present .pp-official { font-size:clamp(.82rem, 1.55vh, 1rem); }
.present .pp-surfaces { font-size:clamp(.92rem, 1.75vh, 1.15rem); }
.present .pp-tile { width:clamp(200px, 16.5vw, 330px); padding:.55rem .8rem .6rem; }
.present .pp-group { font-size:clamp(.8rem, 1.5vh, 1rem); margin-bottom:.2rem; }
.pp-groups.present.dense { gap:.45rem .8rem; }
.dense .pp-grid { gap:.45rem; }
.dense .pp-tile { width:clamp(180px, 12.9vw, 290px); padding:.4rem .65rem .45rem; }
.dense .pp-official { margin-top:.25rem; padding-top:.2rem; }
.dense .pp-name { font-size:clamp(1rem, 2.1vh, 1.6rem); }
.dense .pp-since, .dense .pp-surfaces { font-size:clamp(.82rem, 1.5vh, 1.1rem); }
.dense .pp-meta, .dense .pp-official, .dense .pp-note { font-size:clamp(.75rem, 1.4vh, .95rem); }
.pp-summary.present .pp-count { font-size:clamp(1rem, 1.9vh, 1.2rem); padding:.3rem .8rem; }
.pp-kpis { display:grid; grid-template-columns: repeat(4, 1fr); gap:1rem; margin:.4rem 0 .6rem; }
.pp-kpi { border:1px solid #e2e8f0; border-radius:14px; padding:.8rem 1.1rem; background:#f8fafc; }
.pp-kpi .label { color:#64748b; font-size:1rem; text-transform:uppercase; letter-spacing:.06em;
  font-weight:700; }
.pp-kpi .value { font-size:2.6rem; font-weight:800; color:#0f172a; line-height:1.15; }
.pp-kpi .change { font-size:1.05rem; font-weight:600; color:#64748b; }
.pp-kpis.present { gap:.7rem; margin:0 0 .4rem; }
.pp-kpis.present .pp-kpi { padding:.55rem .9rem; }
.pp-kpis.present .label { font-size:clamp(.8rem, 1.5vh, 1rem); }
.pp-kpis.present .value { font-size:clamp(1.8rem, 4.3vh, 2.6rem); }
.pp-kpis.present .change { font-size:clamp(.85rem, 1.6vh, 1.05rem); }
.pp-kpi .change.bad { color:#b91c1c; } .pp-kpi .change.good { color:#15803d; }
.pp-clock { color:#64748b; font-size:1.05rem; margin:-.2rem 0 .3rem; display:flex;
  align-items:center; gap:1rem; flex-wrap:wrap; }
.pp-clock .pp-summary { margin:0; }
.pp-clock.present { margin:.5rem 0 .4rem; }
.pp-clock b { color:#0f172a; }
</style>
""").substitute(**charts.STATUS_COLORS)

PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"] { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] {
  padding: .9rem 2rem 0 !important; max-width: 100% !important; }
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: .5rem; }
html, body, [data-testid="stMarkdownContainer"] p { font-size: 1.15rem; }
.pp-brand { margin-bottom: 0; }
.pp-brand h1 { font-size: clamp(1.4rem, 3vh, 1.9rem); }
.pp-exit { font-size: .95rem; text-align: right; margin: 0; }
.pp-exit a { color: #64748b; }
</style>
"""


def _e(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return escape(str(value), quote=True)


def brand(subtitle: str, *, demo: bool = False) -> str:
    """The page heading: product name, subtitle and a DEMO DATA badge for synthetic history."""
    badge = '<span class="pp-badge demo">DEMO DATA</span>' if demo else ""
    return (f'<div class="pp-brand"><h1>Platform Pulse</h1>{badge}'
            f'<span class="pp-sub">{_e(subtitle)}</span></div>')


def _since(row: pd.Series, tz: str, now: datetime, quiet: str) -> str:
    since = present.to_datetime(row["since"])
    if row["status"] in ("unknown", "refused") and since is None:
        return "waiting for the first check" if row["note"] == "no checks yet" else "not measurable"
    if since is None:
        return quiet if row["status"] == "up" else ""
    span = present.duration((now - since).total_seconds())
    word = "up since" if row["status"] == "up" else "since"
    return f"{word} {present.short_time(since, tz, now)} ({span})"


def _official(row: pd.Series, *, link: bool = True) -> str:
    status = row["official_status"]
    if status is None or (isinstance(status, float) and status != status):
        return ""
    text = _e(row["official_text"]) or _e(present.OFFICIAL_LABELS.get(status, ""))
    url = str(row.get("official_url") or "")
    link = (f' · <a href="{_e(url)}" target="_blank" rel="noopener noreferrer">status page</a>'
            if link and url.startswith(("https://", "http://")) else "")
    return (f'<div class="pp-official"><span class="dot {_e(status)}"></span>'
            f"<b>Vendor:</b> {text}{link}</div>")


def tile(row: pd.Series, *, tz: str, now: datetime, quiet: str = "no outage recently",
         compact: bool = False) -> str:
    """One platform tile: name, status pill, since when, latency, check age, surfaces, vendor.

    compact=True (projector) leaves out the vendor line while the vendor reports all is well,
    and the status-page link (nobody clicks a projector).
    """
    status = str(row["status"])
    meta = []
    if row["latency_ms"] == row["latency_ms"] and row["latency_ms"] is not None:
        meta.append(f"{row['latency_ms']:.0f} ms")
    if row["age_s"] == row["age_s"] and row["age_s"] is not None:
        meta.append(f"checked {present.ago(row['age_s'])}")
    surfaces = f'<div class="pp-surfaces">{_e(row["surfaces"])}</div>' if row["surfaces"] else ""
    cause = (f'<div class="pp-meta">Probable cause: {_e(present.cause_text(row["cause"]))}</div>'
             if row["cause"] and status != "up" else "")
    note = f'<div class="pp-note">{_e(row["note"])}</div>' if row["note"] else ""
    note += _ack(row, tz, now)
    label = present.STATUS_LABELS.get(status, status)
    vendor = "" if compact and row["official_status"] == "up" else _official(row,
                                                                            link=not compact)
    return (f'<div class="pp-tile {_e(status)}" data-platform="{_e(row["platform"])}">'
            f'<div class="pp-head"><span class="pp-name">{_e(row["name"])}</span>'
            f'<span class="pp-pill {_e(status)}">{_e(label)}</span></div>'
            f'<div class="pp-since">{_e(_since(row, tz, now, quiet))}</div>'
            f'<div class="pp-meta">{_e(" · ".join(meta))}</div>'
            f"{surfaces}{cause}{note}"
            f"{vendor}</div>")


def _ack(row: pd.Series, tz: str, now: datetime) -> str:
    """'Ana is on it since 10:15' on a tile whose outage someone acknowledged."""
    by = row.get("ack_by")
    if not by or not isinstance(by, str):  # set only while its outage is ongoing
        return ""
    since = present.short_time(row.get("ack_at"), tz, now)
    return f'<div class="pp-ack">{_e(by)} is on it <span>since {_e(since)}</span></div>'


DENSE_AFTER = 7  # more platforms than this: smaller projector tiles, four to a row


def board(table: pd.DataFrame, *, tz: str, now: datetime, quiet: str = "no outage recently",
          large: bool = False) -> str:
    """Every tile, grouped by provider (a provider's platforms often fail together)."""
    dense = " dense" if large and len(table) > DENSE_AFTER else ""
    parts = [f'<div class="pp-groups {"present" if large else ""}{dense}">']
    for provider, group in table.groupby("provider", sort=False):
        count = f"{len(group)} platform{'s' if len(group) != 1 else ''}"
        parts.append(f'<div class="pp-box"><div class="pp-group">{_e(provider)} '
                     f'<span>· {count}</span></div><div class="pp-grid">')
        parts.extend(tile(row, tz=tz, now=now, quiet=quiet, compact=large)
                     for _, row in group.iterrows())
        parts.append("</div></div>")
    parts.append("</div>")
    return "".join(parts)


def counts(table: pd.DataFrame, *, large: bool = False) -> str:
    """'12 up · 1 degraded · 1 down' chips above the board."""
    chips = []
    for status in ("up", "degraded", "down", "unknown", "refused"):
        n = int((table["status"] == status).sum())
        if n or status == "up":
            color = charts.STATUS_COLORS[status]
            chips.append(f'<span class="pp-count"><i style="background:{color}"></i>{n} '
                         f"{_e(present.STATUS_LABELS[status].lower())}</span>")
    return f'<div class="pp-summary{" present" if large else ""}">' + "".join(chips) + "</div>"


def kpis(comparison: pd.DataFrame, measures: list[str], *, columns: int = 4,
         higher_is_better: tuple[str, ...] = ("Average uptime",), large: bool = False) -> str:
    """Big headline figures with their change against the previous window (projector)."""
    rows = comparison.set_index("Measure")
    cards = []
    for measure in measures:
        row = rows.loc[measure]
        change = str(row["Change"])
        worse = change.startswith("+") != (measure in higher_is_better)
        tone = "" if change in ("same", "—") else ("bad" if worse else "good")
        note = ("same as before" if change == "same" else str(row["Previous window"])
                if change == "—" else f"{change} vs previous")
        cards.append(f'<div class="pp-kpi"><div class="label">{_e(measure)}</div>'
                     f'<div class="value">{_e(row["This window"])}</div>'
                     f'<div class="change {tone}">{_e(note)}</div></div>')
    style = f"grid-template-columns: repeat({int(columns)}, 1fr)"
    return (f'<div class="pp-kpis{" present" if large else ""}" style="{style}">'
            f'{"".join(cards)}</div>')


def clock(now: datetime, tz: str, beat_text: str, table: pd.DataFrame) -> str:
    """'Live · updated 14:32:05 · sampler running …' and the status counts (projector)."""
    return (f'<div class="pp-clock present">{counts(table, large=True)}<span><b>Live</b> · '
            f'updated {_e(present.local_time(now, tz, "%H:%M:%S"))} · {_e(beat_text)}</span>'
            "</div>")
