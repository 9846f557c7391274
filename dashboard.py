"""Platform Pulse dashboard (Streamlit): wiring of widgets only; logic lives in monitors/."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

import pandas as pd
import streamlit as st

from monitors import access
from monitors.analysis import loaders, summary
from monitors.config import ConfigError, Settings, load_settings
from monitors.output import board as live
from monitors.output import charts, present, report, tables, tiles
from monitors.sampling import heartbeat
from monitors.timeutil import Window, utcnow, zone

WINDOWS = ["24h", "7d", "30d", "90d", "custom"]
LIVE_MINUTES = 90  # raw samples behind the tiles and the heartbeat strip
SINCE_WINDOW = "7d"  # outages looked at for "since when" on the tiles
EMBEDDED_NOTE = ("Recording runs inside this dashboard: it stops when the dashboard stops, "
                 "and after a restart starts only when someone opens this page. For a server, "
                 "run the sampler as a service (`python -m monitors run`, see "
                 "docs/operations.md).")
NO_SAMPLER_ENV = "PULSE_NO_SAMPLER"  # 1: never start the embedded sampler (read-only dashboard)

st.set_page_config(page_title="Platform Pulse", page_icon="📶", layout="wide")


# ------------------------------------------------------------------ access and settings
def gate_ui() -> None:
    """Stop the page unless the visitor may see it (loopback, password or OIDC login)."""
    address = st.get_option("server.address")
    mode = access.auth_mode(st.secrets)
    decision = access.decide(address, mode)
    if decision == "open" or st.session_state.get("pulse_authed"):
        return
    if decision == "refuse":
        st.error(access.refusal(address), icon=":material/lock:")
        st.stop()
    st.markdown(tiles.CSS + tiles.brand("Sign in to see the dashboard"), unsafe_allow_html=True)
    if decision == "oidc":
        if st.user.get("is_logged_in"):
            return
        for provider in access.oidc_providers(st.secrets):
            label = f"Log in with {provider}" if provider else "Log in"
            st.button(label, on_click=st.login, args=(provider,) if provider else (),
                      key=f"login_{provider}", type="primary")
        st.stop()
    with st.form("password_gate"):
        password = st.text_input("Password", type="password", key="gate_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:  # throttled per client and overall; no hash is computed while locked out
        client = access.client_id(st.context.ip_address, st.session_state)
        attempt = access.sign_in(password, access.password_hash(st.secrets) or "", client)
        if attempt.ok:
            st.session_state["pulse_authed"] = True
            st.rerun()
        st.error(attempt.message)
    st.stop()


@st.cache_resource(show_spinner=False)
def embedded_sampler(source: str, data: str, _settings: Settings):
    """One background sampler per process; None when another process holds the data folder."""
    if os.environ.get(NO_SAMPLER_ENV, "").strip() in ("1", "true", "yes"):
        return None
    try:
        from monitors.cli import service
    except ImportError:
        return None
    return service.start_embedded(_settings)


# ------------------------------------------------------------------ cached reads
@st.cache_data(ttl=600, show_spinner=False, max_entries=48)
def cached_analysis(_settings: Settings, key: tuple, start: datetime, end: datetime,
                    platforms: tuple = (), vantages: tuple = ()):
    """Outages, uptime, daily series and impact for [start, end), cached on the data version."""
    return loaders.analysis(_settings, loaders.Scope(Window(start, end), platforms, vantages))


def summary_of(settings: Settings, key: tuple, start: datetime, end: datetime,
               platforms: tuple = (), vantages: tuple = ()) -> dict:
    """The summary JSON of a (cached) analysis."""
    return summary.summary_json(cached_analysis(settings, key, start, end, platforms, vantages))


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def cached_rollups(_settings: Settings, key: tuple, start: datetime, end: datetime,
                   platforms: tuple, vantages: tuple) -> pd.DataFrame:
    """Hourly roll-ups for the latency chart."""
    return loaders.rollups(_settings, loaders.Scope(Window(start, end), platforms, vantages))


@st.cache_data(ttl=60, show_spinner=False, max_entries=8)
def cached_recent(_settings: Settings, key: tuple, minute: datetime) -> pd.DataFrame:
    """Raw samples of the last LIVE_MINUTES (refetched when history or the minute changes)."""
    return loaders.recent_samples(_settings, LIVE_MINUTES)


@st.cache_data(ttl=300, show_spinner=False, max_entries=8)
def cached_vantages(_settings: Settings, key: tuple, minute: datetime) -> list[str]:
    """Vantages with recent history (for the filter)."""
    return loaders.vantages(_settings, now=minute)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _cached_figure(name: str, key: tuple, _build: Callable[[], Any]) -> Any:
    return _build()


def figure(name: str, key: tuple, build: Callable[[], Any]) -> Any:
    """A chart built once per (name, key): reruns that change nothing it shows (another
    widget, a window seen before) reuse it. `key` must hold everything the chart shows."""
    return _cached_figure(name, key, build)


def data_key(settings: Settings) -> tuple:
    """The cache key: config, data folder and the history's version token."""
    return (settings.source, settings.data, loaders.data_version(settings))


# ------------------------------------------------------------------ filters
@dataclass(frozen=True)
class Filters:
    """What the sidebar selected."""

    window: Window
    label: str
    spec: str  # "7d" or "custom"
    platforms: tuple[str, ...]
    vantages: tuple[str, ...]


def _minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def custom_window_ui(tz: str, now: datetime) -> Window:
    """Two dates in the business timezone -> a window from the first to the end of the last."""
    today = now.astimezone(zone(tz)).date()
    picked = st.date_input("Dates", value=(today - timedelta(days=6), today), max_value=today,
                           key="custom_dates", format="YYYY-MM-DD", persist_state="session")
    first, last = (picked if isinstance(picked, tuple) and len(picked) == 2
                   else (today, today))
    start = datetime.combine(first, dtime(), zone(tz)).astimezone(UTC)
    end = min(datetime.combine(last + timedelta(days=1), dtime(), zone(tz)).astimezone(UTC),
              _minute(now))
    return Window(start, max(end, start + timedelta(minutes=1)))


def filters_ui(settings: Settings, now: datetime) -> Filters:
    """The sidebar: window, platforms, vantages; returns what the user picked."""
    with st.sidebar:
        st.markdown("### Window")
        spec = st.segmented_control("Window", WINDOWS, default="7d", required=True,
                                    key="window", bind="query-params", persist_state="session",
                                    format_func=lambda w: w.title() if w == "custom" else w,
                                    label_visibility="collapsed")
        if spec == "custom":
            window = custom_window_ui(settings.business.timezone, now)
            label = (f"{present.local_time(window.start, settings.business.timezone, '%d %b')}"
                     f" – {present.local_time(window.end, settings.business.timezone, '%d %b')}")
        else:
            window = loaders.scope(spec, end=_minute(now)).window
            label = present.window_label(spec)
        names = {p.id: p.name for p in settings.platforms}
        platforms = st.multiselect("Platforms", list(names), format_func=names.get,
                                   placeholder="All platforms", key="platforms",
                                   persist_state="session")
        seen = cached_vantages(settings, data_key(settings), _minute(now))
        vantages = st.multiselect("Vantages", seen, placeholder="All vantages", key="vantages",
                                  disabled=len(seen) < 2, persist_state="session")
    return Filters(window, label, spec or "7d", tuple(platforms), tuple(vantages))


def sidebar_footer_ui(settings: Settings, sampler_running: bool, *, divider: bool) -> None:
    """Sampler health, the presentation-mode link and where the figures come from."""
    now = utcnow()
    with st.sidebar:
        if divider:
            st.divider()
        st.markdown("##### Monitor")
        where = " (inside this dashboard)" if sampler_running else ""
        st.caption(heartbeat.describe(heartbeat.read_heartbeat(settings.data), now) + where)
        st.link_button("Presentation mode", "?present=1", icon=":material/slideshow:",
                       width="stretch")
        st.caption(f"Times in {settings.business.timezone} · data: {settings.data} · "
                   f"config: {settings.source}")


# ------------------------------------------------------------------ live
def banners_ui(settings: Settings, beat: dict | None, sampler_running: bool, now: datetime,
               board: pd.DataFrame, *, large: bool = False) -> None:
    """Own network offline, no sampler, quarantined files, undelivered alerts (on the
    projector only what the room must know; the clock line says how the sampler is)."""
    stale = heartbeat.is_stale(beat, now)
    if beat and not stale and beat.get("vantage_offline"):
        st.error("**This monitor's own network is offline.** Platform checks are paused "
                 "(grey) and nothing counts as an outage until the network is back.",
                 icon=":material/wifi_off:")
    if large:
        return
    if stale and not sampler_running:
        st.warning(f"**No sampler is running** — {heartbeat.describe(beat, now)}. "
                   "Start one next to the dashboard:", icon=":material/pause_circle:")
        st.code(f"python -m monitors run --data {settings.data}", language="bash")
    elif stale and sampler_running:
        age = heartbeat.heartbeat_age_s(beat, now)
        st.info(f"The sampler is starting{f' ({present.ago(age)})' if age else ''}; "
                "the first round appears within a minute.", icon=":material/hourglass_top:")
    if sampler_running:
        st.caption(EMBEDDED_NOTE)
    problems = loaders.problems(settings)
    if problems:
        names = ", ".join(os.path.basename(str(p.get("path", "?"))) for p in problems[:3])
        st.warning(f"**{len(problems)} history file(s) could not be read** and were moved to "
                   f"`quarantine/` ({names}{'…' if len(problems) > 3 else ''}). The rest of the "
                   "history is intact.", icon=":material/report:")
    for line in undelivered_alerts(settings):
        st.warning(line, icon=":material/mail:")


def undelivered_alerts(settings: Settings) -> list[str]:
    """Lines about alerts that could not be delivered (when the alerts module reports any)."""
    try:
        from monitors import alerts
    except ImportError:
        return []
    pending = getattr(alerts, "undelivered", None)
    if pending is None:
        return []
    try:
        return [str(line) for line in pending(settings)]
    except Exception:
        return []


def playbooks_ui(settings: Settings, board: pd.DataFrame) -> None:
    """The contingency plan of every platform that is down or degraded right now."""
    try:
        from monitors.analysis import playbook
    except ImportError:
        return
    states = dict(zip(board["platform"], board["status"], strict=True))
    for view in playbook.playbooks_for_down(settings.platforms, states):
        down = states.get(view.platform) == "down"
        with st.expander(f"Playbook — {view.name} is {states.get(view.platform)}",
                         expanded=down, icon=":material/crisis_alert:" if down
                         else ":material/warning:"):
            usable = [f.describe() for f in view.usable_fallbacks]
            blocked = [f.describe() for f in view.fallbacks if not f.usable]
            if usable:
                st.markdown("**Use now:** " + " · ".join(usable))
            if blocked:
                st.markdown("**Not available:** " + " · ".join(blocked))
            st.markdown("\n".join(f"{i}. {step}" for i, step in enumerate(view.steps, 1)))
            if view.reminder:
                st.caption(view.reminder)


def live_board(settings: Settings, sampler_running: bool, *, large: bool = False) -> None:
    """Tiles, banners, heartbeat strip and playbooks (re-runs itself every 15 s)."""
    now, tz = utcnow(), settings.business.timezone
    key = data_key(settings)
    samples = cached_recent(settings, key, _minute(now))
    since = loaders.scope(SINCE_WINDOW, end=_minute(now)).window
    outages = cached_analysis(settings, key, since.start, since.end).outages
    beat = heartbeat.read_heartbeat(settings.data)
    board = live.status_board(samples, settings.platforms, outages=outages,
                              official=loaders.official_state(settings), now=now)
    banners_ui(settings, beat, sampler_running, now, board, large=large)
    together = tables.provider_incidents(outages, tz, now=now)
    for row in together[together["Ongoing"]].itertuples(index=False):
        st.error(f"**{row.Incident}** — since {row.Started} ({row.Duration}). Platforms of one "
                 "provider failing together usually means the provider, not you.",
                 icon=":material/hub:")
    quiet = f"no outage in the last {present.window_label(SINCE_WINDOW)}"
    if large:
        st.markdown(tiles.clock(now, tz, heartbeat.describe(beat, now), board)
                    + tiles.board(board, tz=tz, now=now, large=True, quiet=quiet),
                    unsafe_allow_html=True)
        return
    st.markdown(tiles.counts(board) + tiles.board(board, tz=tz, now=now, quiet=quiet),
                unsafe_allow_html=True)
    playbooks_ui(settings, board)
    st.markdown("##### Recent checks")
    rounds = live.recent_rounds(samples, settings.platforms, rounds=40)
    st.plotly_chart(charts.heartbeat_strip(rounds, tz=tz), key="heartbeat_strip",
                    config={"displayModeBar": False})
    if samples.empty and not outages:
        st.caption(empty_history_text(beat, now))


def empty_history_text(beat: dict | None, now: datetime) -> str:
    """'No history yet — the sampler started 20 s ago' (or how to start one)."""
    started = present.to_datetime(beat.get("running_since")) if beat else None
    if started:
        age = present.ago((now - started).total_seconds())
        return f"No history yet — the sampler started {age}; tiles fill in after its first round."
    return "No history yet — start the sampler with `python -m monitors run`."


def live_page(settings: Settings, sampler_running: bool) -> None:
    """Live: what is up, degraded or down right now."""
    st.fragment(run_every="15s")(live_board)(settings, sampler_running)


# ------------------------------------------------------------------ history / impact / export
def kpis_ui(settings: Settings, this: dict, previous: dict) -> None:
    """Four headline figures with the change against the previous window."""
    comparison = tables.period_comparison(this, previous, settings.business.currency)
    rows = comparison.set_index("Measure")
    cols = st.columns(4)
    for col, measure, inverse in zip(cols, ["Average uptime", "Outages", "Time down",
                                            "Estimated impact"], [False, True, True, True],
                                     strict=True):
        row = rows.loc[measure]
        col.metric(measure, row["This window"], delta=None if row["Change"] in ("same", "—")
                   else f"{row['Change']} vs previous", delta_color="inverse" if inverse
                   else "normal", border=True)
    split = tables.time_split_text(tables.time_split(this, settings.platforms))
    gap = tables.previous_gap(this, previous)
    notes = [split] + ([f"no comparison with the previous window: {gap}"] if gap else [])
    st.caption(" · ".join(n for n in notes if n))


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
    shown = (key, f.window, f.platforms, f.vantages, _minute(now))
    st.markdown("##### Outage timeline")
    st.plotly_chart(figure("timeline", shown, lambda: charts.outage_timeline(
        frame, tz=tz, start=f.window.start, end=f.window.end,
        platforms=[p.name for p in platforms])), key="timeline")
    # a week or two of days fits beside the uptime table; a month or more needs the width
    wide = f.window.seconds > 15 * 86400
    left, right = st.columns([3, 2]) if not wide else (st.container(), st.container())
    with left:
        summaries = {w: summary_of(settings, key, *_span(w, now), f.platforms, f.vantages)
                     for w in ("24h", "7d", "30d", "90d")}
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
    st.markdown("##### How the time split")
    st.plotly_chart(figure("split", shown, lambda: charts.time_split_bars(
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


def _span(window: str, now: datetime) -> tuple[datetime, datetime]:
    w = loaders.scope(window, end=_minute(now)).window
    return w.start, w.end


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
                                    max_points=latency_points(f.window))

    shown = (key, f.window, tuple(picked), f.vantages)
    st.plotly_chart(figure("latency", shown, build), key="latency")


def latency_points(window: Window) -> int:
    """Points per latency line: hourly detail for two weeks; beyond, one point a day, so a
    month or a quarter reads as a trend instead of a band of daily waves."""
    days = window.seconds / 86400
    return charts.LATENCY_POINTS if days <= 14 else int(days) + 1


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
    shown = (data_key(settings), f.window, f.platforms, f.vantages, _minute(now))
    st.plotly_chart(figure("impact_bars", shown, lambda: charts.impact_bars(
        by_platform, currency=currency)), key="impact_bars")
    st.markdown("##### By incident")
    if frame.empty:
        st.info("No outages in this window, so no estimated impact.")
    else:
        incidents_ui(frame, tz, currency, key="impact_incidents",
                     columns=["Platform", "Started", "Duration", "Severity", "Cause", "Impact"])
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


# ------------------------------------------------------------------ presentation
PRESENT_REFRESH = "30s"  # the projector page re-reads everything this often


def presentation_page(settings: Settings, sampler_running: bool) -> None:
    """One clean page with large type for a projector: tiles, headline figures, timeline."""
    st.markdown(tiles.PRESENT_CSS, unsafe_allow_html=True)
    st.fragment(run_every=PRESENT_REFRESH)(presentation_board)(settings, sampler_running)


def presentation_board(settings: Settings, sampler_running: bool) -> None:
    """Tiles, the 7-day figures and timeline, refreshed together: an outage that starts
    while the page is up enters the figures and the timeline at the next refresh."""
    now, tz = utcnow(), settings.business.timezone
    left, right = st.columns([3, 2], gap="medium")
    with left:
        live_board(settings, sampler_running, large=True)
    window = loaders.scope("7d", end=_minute(now)).window
    result, this, before = window_data(settings, Filters(window, "7 d", "7d", (), ()))
    comparison = tables.period_comparison(this, before, settings.business.currency)
    frame = tables.incident_frame(result.outages, settings.platforms, now=now)
    with right:
        st.markdown(tiles.kpis(comparison, ["Average uptime", "Outages", "Time down",
                                            "Estimated impact"], columns=2, large=True),
                    unsafe_allow_html=True)
        st.plotly_chart(charts.outage_timeline(frame, tz=tz, start=window.start,
                                               end=window.end,
                                               platforms=[p.name for p in settings.platforms],
                                               title="Outages in the last 7 days", large=True),
                        key="present_timeline", config={"displayModeBar": False})
        st.markdown('<p class="pp-exit"><a href="?present=0" target="_self">Exit presentation '
                    'mode</a></p>', unsafe_allow_html=True)


# ------------------------------------------------------------------ page
def main() -> None:
    """Gate, settings, header, navigation."""
    gate_ui()
    try:
        settings = load_settings()
    except ConfigError as exc:
        st.error(f"Configuration problem: {exc}", icon=":material/settings:")
        st.stop()
    sampler_running = embedded_sampler(settings.source, settings.data, settings) is not None
    presenting = st.query_params.get("present") == "1"
    count = len(settings.platforms)
    subtitle = (f"{settings.business.name + ' · ' if settings.business.name else ''}"
                f"{count} platform{'s' if count != 1 else ''} · "
                f"times in {settings.business.timezone}")
    st.markdown(tiles.CSS + tiles.brand(subtitle, demo=loaders.is_synthetic(settings)),
                unsafe_allow_html=True)
    if presenting:
        presentation_page(settings, sampler_running)
        return
    if st.user.get("is_logged_in") and access.auth_mode(st.secrets) == "oidc":
        st.sidebar.button("Log out", on_click=st.logout, key="logout")
    f: Filters | None = None

    def live_view() -> None:
        live_page(settings, sampler_running)

    def history_view() -> None:
        history_page(settings, f)

    def impact_view() -> None:
        impact_page(settings, f)

    def export_view() -> None:
        export_page(settings, f)

    def live_link() -> None:  # /live: the same page as /, for links and bookmarks
        live_page(settings, sampler_running)

    # The default page is served at "/" whatever its url_path, so /live gets a hidden page of
    # its own; without it a /live link opens Streamlit's "Page not found".
    pages = [
        st.Page(live_view, title="Live", url_path="home", icon=":material/sensors:", default=True),
        st.Page(history_view, title="History", url_path="history", icon=":material/timeline:"),
        st.Page(impact_view, title="Impact", url_path="impact", icon=":material/payments:"),
        st.Page(export_view, title="Export", url_path="export", icon=":material/download:"),
        st.Page(live_link, title="Live", url_path="live", icon=":material/sensors:",
                visibility="hidden"),
    ]
    current = st.navigation(pages, position="top")
    if current.title != "Live":  # the window and filters only apply to the other pages
        f = filters_ui(settings, utcnow())
    sidebar_footer_ui(settings, sampler_running, divider=f is not None)
    current.run()


main()
