"""Platform Pulse dashboard (Streamlit): wiring of widgets only; logic lives in monitors/."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import streamlit as st

from dashboard_pages.data import (
    NO_SAMPLER_ENV,
    WINDOWS,
    Filters,
    cached_vantages,
    data_key,
)
from dashboard_pages.history import export_page, history_page, impact_page
from dashboard_pages.live import live_page, presentation_page
from monitors import access
from monitors.analysis import loaders
from monitors.config import ConfigError, Settings, load_settings
from monitors.output import page, present, tiles
from monitors.sampling import heartbeat
from monitors.timeutil import Window, utcnow, zone


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


def custom_window_ui(tz: str, now: datetime) -> Window:
    """Two dates in the business timezone -> a window from the first to the end of the last."""
    today = now.astimezone(zone(tz)).date()
    picked = st.date_input("Dates", value=(today - timedelta(days=6), today), max_value=today,
                           key="custom_dates", format="YYYY-MM-DD", persist_state="session")
    first, last = (picked if isinstance(picked, tuple) and len(picked) == 2
                   else (today, today))
    return page.date_window(first, last, tz, now)


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
            window = loaders.scope(spec, end=page.minute(now)).window
            label = present.window_label(spec)
        names = {p.id: p.name for p in settings.platforms}
        platforms = st.multiselect("Platforms", list(names), format_func=names.get,
                                   placeholder="All platforms", key="platforms",
                                   persist_state="session")
        seen = cached_vantages(settings, data_key(settings), page.minute(now))
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
