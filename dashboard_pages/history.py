"""History, Impact and Export: figures, timeline, uptime, incidents, latency, CSV, report."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboard_pages import measured
from dashboard_pages import notes as notes_ui
from dashboard_pages.data import (
    Filters,
    cached_analysis,
    cached_rollups,
    data_key,
    figure,
    summary_of,
)
from monitors.analysis import incident_notes, loaders, summary
from monitors.config import Settings
from monitors.output import charts, notes_html, page, present, report, strips, tables
from monitors.timeutil import utcnow


# ------------------------------------------------------------------ history / impact / export
def kpis_ui(settings: Settings, this: dict, previous: dict) -> None:
    """Four headline figures with the change against the previous window."""
    comparison = tables.period_comparison(this, previous, settings.business.currency)
    for col, item in zip(st.columns(4), page.headlines(comparison), strict=True):
        col.metric(item["measure"], item["value"], delta=item["delta"], border=True,
                   delta_color="inverse" if item["inverse"] else "normal")
    st.caption(page.headline_note(this, previous, settings.platforms))


def window_data(settings: Settings, f: Filters):
    """This window's analysis, its summary and the previous window's summary (cached)."""
    key = data_key(settings)
    prev = f.window.previous()
    this = cached_analysis(settings, key, f.window.start, f.window.end, f.platforms, f.vantages)
    before = summary_of(settings, key, prev.start, prev.end, f.platforms, f.vantages)
    return this, summary.summary_json(this), before


def history_page(settings: Settings, f: Filters) -> None:
    """History: uptime table, daily heatmap, outage timeline, latency."""
    tz, key, now = settings.business.timezone, data_key(settings), utcnow()
    platforms = loaders.selected(settings, f.platforms)
    result, this, before = window_data(settings, f)
    st.subheader(f"History · last {f.label}" if f.spec != "custom" else f"History · {f.label}")
    kpis_ui(settings, this, before)
    frame = tables.incident_frame(result.outages, platforms, now=now)
    shown = (key, f.window, f.platforms, f.vantages, page.minute(now))
    st.markdown("##### Outage timeline")
    st.plotly_chart(figure("timeline", (*shown, incident_notes.notes_version(settings)),
                           lambda: notes_html.add_note_hover(charts.outage_timeline(
        frame, tz=tz, start=f.window.start, end=f.window.end,
        platforms=[p.name for p in platforms]), frame,
        notes_ui.timeline_notes(settings, result.outages), tz)), key="timeline")
    # a week or two of days fits beside the uptime table; a month or more needs the width
    wide = f.window.seconds > 15 * 86400
    left, right = st.columns([3, 2]) if not wide else (st.container(), st.container())
    with left:
        summaries = {w: summary_of(settings, key, *page.window_span(w, now), f.platforms,
                                   f.vantages) for w in ("24h", "7d", "30d", "90d")}
        st.markdown("##### Uptime")
        uptime = tables.uptime_table(summaries, platforms).drop(columns=["platform"])
        st.dataframe(tables.style_uptime(uptime.rename(columns={"name": "Platform",
                                                                "provider": "Provider"})),
                     hide_index=True, key="uptime_table", width="stretch")
    with right:
        daily = result.daily
        names = {p.id: p.name for p in platforms}
        daily = daily.assign(name=daily["platform"].map(names)) if len(daily) else daily
        st.markdown("##### Daily uptime")
        st.plotly_chart(figure("heatmap", shown, lambda: charts.uptime_heatmap(daily)),
                        key="heatmap")
    st.markdown("##### Time not fully up")
    st.plotly_chart(figure("split", shown, lambda: strips.time_split_bars(
        tables.time_split(this, platforms))), key="time_split")
    st.markdown("##### Incidents")
    if frame.empty:
        st.success(f"No outages in the last {f.label}.", icon=":material/check_circle:")
    else:
        incidents_ui(frame, tz, settings.business.currency, key="incident_table")
        together = tables.provider_incidents(result.outages, tz, now=now)
        if len(together):
            st.caption("Several platforms of one provider at once:")
            st.dataframe(together.drop(columns=["Ongoing"]), hide_index=True,
                         key="provider_incidents")
        notes_ui.history_notes_ui(settings, result.outages)
    latency_ui(settings, f, key, platforms)


INCIDENT_COLUMNS = {  # fit a laptop-wide page; long causes and vendor titles wrap
    "Platform": st.column_config.TextColumn(width=80),
    "Started": st.column_config.TextColumn(width=118),
    "Ended": st.column_config.TextColumn(width=118),
    "Duration": st.column_config.TextColumn(width=64),
    "Severity": st.column_config.TextColumn(width=82),
    "Cause": st.column_config.TextColumn(width=180),
    "Surfaces": st.column_config.TextColumn(width=138),
    "Vendor": st.column_config.TextColumn(width=304),
    "Impact": st.column_config.TextColumn(width=58),
}
INCIDENT_ROW_PX = 70  # three lines of text per row (vendor titles)
INCIDENT_ROW_PX_SHORT = 40  # one line: without a vendor column the cause has the room
INCIDENT_ROWS_SHOWN = 12  # rows shown before the table scrolls


def incidents_ui(frame: pd.DataFrame, tz: str, currency: str, *, key: str,
                 columns: list[str] | None = None) -> None:
    """The incident list: causes in plain words, and no column cut off (long text wraps)."""
    table = tables.incident_table(frame, tz, currency)
    table["Cause"] = table["Cause"].map(present.cause_text)
    if "Vendor" in table.columns:  # "Incident 'Title' (investigating)" -> "Title (investigating)"
        table["Vendor"] = table["Vendor"].str.replace(r"^Incident '(.*?)' \(", r"\1 (",
                                                      regex=True)
    table = table[columns] if columns else table
    row = INCIDENT_ROW_PX if "Vendor" in table.columns else INCIDENT_ROW_PX_SHORT
    config = {c: INCIDENT_COLUMNS[c] for c in table.columns if c in INCIDENT_COLUMNS}
    if "Vendor" not in table.columns:  # room to spare: the cause gets the vendor's
        config["Cause"] = st.column_config.TextColumn(width=420)
    st.dataframe(table, hide_index=True, key=key, row_height=row,
                 height=38 + row * min(len(table), INCIDENT_ROWS_SHOWN), column_config=config)


def latency_ui(settings: Settings, f: Filters, key: tuple, platforms) -> None:
    """Latency p50/p95 for a few platforms at a time (many lines are unreadable)."""
    names = {p.id: p.name for p in platforms}
    st.markdown("##### Latency (p50 and p95)")
    picked = st.multiselect("Latency of", list(names), default=list(names)[:4],
                            format_func=names.get, key="latency_platforms",
                            label_visibility="collapsed", placeholder="Pick platforms")
    def build() -> Any:
        rollups = cached_rollups(settings, key, f.window.start, f.window.end, tuple(picked),
                                 f.vantages) if picked else pd.DataFrame()
        return charts.latency_chart(rollups, tz=settings.business.timezone, names=names,
                                    max_points=page.latency_points(f.window))

    shown = (key, f.window, tuple(picked), f.vantages)
    st.plotly_chart(figure("latency", shown, build), key="latency")


def impact_page(settings: Settings, f: Filters) -> None:
    """Impact: estimated cost by platform and incident, split, comparison, assumptions."""
    tz, currency, now = settings.business.timezone, settings.business.currency, utcnow()
    result, this, before = window_data(settings, f)
    platforms = loaders.selected(settings, f.platforms)
    frame = tables.incident_frame(result.outages, platforms, now=now)
    by_platform = tables.impact_table(result.impacts, platforms, frame, result.maintenance)
    st.subheader(f"Estimated impact · {f.label}")
    sums = by_platform[["impact", "revenue", "leads", "leads_value", "ad_spend"]].sum()
    cols = st.columns(4)
    cols[0].metric("Estimated impact", present.money(sums["impact"], currency), border=True)
    cols[1].metric("Lost revenue", present.money(sums["revenue"], currency), border=True)
    cols[2].metric("Lost leads", f"{sums['leads']:.1f}", border=True,
                   help=f"Worth {present.money(sums['leads_value'], currency)} at the "
                   "configured lead values.")
    cols[3].metric("Ad spend at risk", present.money(sums["ad_spend"], currency), border=True)
    if by_platform["maintenance"].sum() > 0:
        st.caption(f"Not included above: scheduled maintenance that took surfaces down, "
                   f"{present.money(by_platform['maintenance'].sum(), currency)}. Maintenance "
                   "while every user-facing surface worked costs nothing.")
    st.markdown("##### By platform")
    shown = (data_key(settings), f.window, f.platforms, f.vantages, page.minute(now))
    st.plotly_chart(figure("impact_bars", shown, lambda: charts.impact_bars(
        by_platform, currency=currency)), key="impact_bars")
    st.markdown("##### By incident")
    if frame.empty:
        st.info("No outages in this window, so no estimated impact.")
    else:
        incidents_ui(frame, tz, currency, key="impact_incidents",
                     columns=["Platform", "Started", "Duration", "Severity", "Cause", "Impact"])
    measured.measured_ui(settings, f, result)
    st.markdown("##### This window vs the previous one")
    st.dataframe(tables.period_comparison(this, before, currency).drop(
        columns=["_this", "_previous"]), hide_index=True, key="comparison")
    st.markdown("##### Assumptions")
    lines = tables.general_assumptions(settings.business, frame)
    st.markdown("\n".join(f"- {line}" for line in lines))
    st.caption("What an hour of each platform is worth (the `[platforms.impact]` config):")
    st.dataframe(tables.value_table(platforms, currency), hide_index=True, key="values")


def export_page(settings: Settings, f: Filters) -> None:
    """Export: CSV downloads and the meeting report for the selected window."""
    where = loaders.Scope(f.window, f.platforms, f.vantages)
    stamp = present.local_time(f.window.end, settings.business.timezone, "%Y%m%d-%H%M")
    tz = settings.business.timezone
    st.subheader(f"Export · {f.label}")
    st.caption(f"{present.local_time(f.window.start, tz, '%d %b %Y %H:%M')} – "
               f"{present.local_time(f.window.end, tz, '%d %b %Y %H:%M')} ({tz}). Timestamps "
               "are ISO 8601 UTC with a local-time column; cells a spreadsheet would run as "
               "formulas are neutralised.")
    cols = st.columns(3)
    for col, what, text in zip(cols, ["samples", "incidents", "uptime"], [
            "Every raw check in the window.", "One row per outage, with cause and impact.",
            "Uptime, downtime and impact per platform."], strict=True):
        with col, st.container(border=True):
            st.markdown(f"**{what.title()}**  \n{text}")
            st.download_button(f"Download {what}.csv",
                               data=lambda what=what: report.csv_bytes(settings, what, where),
                               file_name=f"pulse-{what}-{stamp}.csv", mime="text/csv",
                               key=f"dl_{what}", on_click="ignore", icon=":material/download:")
    with st.container(border=True):
        st.markdown("**Meeting report**  \nOne self-contained HTML page: summary, uptime, "
                    "timeline and impact charts, incident list, assumptions. Opens offline, "
                    "prints cleanly.")
        st.download_button("Download report.html", data=lambda: report.build_report(
            settings, f.window, platforms=f.platforms, vantages=f.vantages).encode(),
            file_name=f"pulse-report-{stamp}.html", mime="text/html", key="dl_report",
            on_click="ignore", type="primary", icon=":material/summarize:")
    since = f.spec if f.spec != "custom" else "7d"
    st.caption("From a terminal:")
    st.code(report.terminal_commands(settings, since), language="bash")


