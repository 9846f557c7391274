"""The Live page and presentation mode: tiles by provider, banners, playbooks, recent checks."""

from __future__ import annotations

import os
from datetime import datetime

import pandas as pd
import streamlit as st

from dashboard_pages import notes as notes_ui
from dashboard_pages.data import (
    EMBEDDED_NOTE,
    SINCE_WINDOW,
    Filters,
    cached_analysis,
    cached_recent,
    data_key,
)
from dashboard_pages.history import window_data
from dashboard_pages.notice import notice_ui
from monitors.analysis import incident_notes, loaders
from monitors.config import Settings
from monitors.output import board as live
from monitors.output import charts, page, present, strips, tables, tiles
from monitors.sampling import heartbeat
from monitors.timeutil import utcnow


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
    reviews = incident_notes.all_reviews(settings)
    for view in playbook.playbooks_for_down(settings.platforms, states, reviews=reviews):
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
            notes_ui.playbook_lessons_ui(view)


def live_board(settings: Settings, sampler_running: bool, *, large: bool = False) -> None:
    """Tiles, banners, heartbeat strip and playbooks (re-runs itself every 15 s)."""
    now, tz = utcnow(), settings.business.timezone
    key = data_key(settings)
    samples = cached_recent(settings, key, page.minute(now))
    since = loaders.scope(SINCE_WINDOW, end=page.minute(now)).window
    outages = cached_analysis(settings, key, since.start, since.end).outages
    beat = heartbeat.read_heartbeat(settings.data)
    board = live.status_board(samples, settings.platforms, outages=outages,
                              official=loaders.official_state(settings), now=now,
                              acks=notes_ui.acks(settings, outages))
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
    notice_ui(settings, board, outages)
    st.markdown("##### Recent checks")
    rounds = live.recent_rounds(samples, settings.platforms, rounds=40)
    st.plotly_chart(strips.heartbeat_strip(rounds, tz=tz), key="heartbeat_strip",
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
    notes_ui.live_actions_ui(settings)  # forms outside the refresh: typing is not interrupted


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
    window = loaders.scope("7d", end=page.minute(now)).window
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


