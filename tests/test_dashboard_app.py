"""Dashboard page logic under Streamlit's AppTest, on real Parquet histories in tmp_path."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import support_dashboard as story
from conftest import ROOT
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from monitors import access

APP = str(ROOT / "dashboard.py")
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def story_data(tmp_path_factory) -> Path:
    """Five days of the scripted story (history, heartbeat, vendor status), built once."""
    data = tmp_path_factory.mktemp("story") / "data"
    story.build(data, days=5, now=NOW)
    return data


@pytest.fixture
def app_env(monkeypatch, data_dir) -> Path:
    """The dashboard reads this test's data folder with the story config; no sampler."""
    monkeypatch.chdir(ROOT)  # .streamlit/config.toml: served on 127.0.0.1
    monkeypatch.setenv("MONITORS_CONFIG", str(story.CONFIG))
    monkeypatch.setenv("MONITORS_DATA", str(data_dir))
    monkeypatch.setenv("PULSE_NO_SAMPLER", "1")
    monkeypatch.delenv(access.ALLOW_ENV, raising=False)
    return data_dir


@pytest.fixture
def story_env(app_env, monkeypatch, story_data) -> Path:
    monkeypatch.setenv("MONITORS_DATA", str(story_data))
    return story_data


def run(page: str | None = None, *, query: dict | None = None,
        secrets: dict | None = None) -> AppTest:
    """Run the app (then switch to a page of st.navigation by its url path)."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query or {})
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    at.run()
    if page:
        pages = {info.get("url_pathname"): h for h, info in at._registered_pages.items()}
        at._page_hash = pages[page]
        at.run()
    assert not at.exception, at.exception[0].stack_trace if at.exception else ""
    return at


def html(at: AppTest) -> str:
    """Everything the app rendered as markdown/HTML."""
    return "\n".join(m.value for m in at.markdown)


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


# ------------------------------------------------------------------ live
def test_live_shows_a_tile_per_platform_grouped_by_provider(story_env):
    page = html(run())
    assert page.count('class="pp-tile') == 7
    assert page.index(">Meta <") < page.index(">X Corp <") < page.index(">ByteDance <")
    assert 'data-platform="instagram"' in page and "media down, web up" in page


def test_live_tiles_show_since_latency_check_age_and_vendor_status(story_env):
    page = html(run())
    instagram = page[page.index('data-platform="instagram"'):]
    instagram = instagram[:instagram.index('<div class="pp-tile', 10)]
    assert "pp-tile degraded" in page
    assert re.search(r"since \d\d:\d\d \(\d+m\)", instagram)
    assert re.search(r"\d+ ms · checked \d+m ago|\d+ ms · checked \d+s ago", instagram)
    assert "Media uploads delayed for some users" in instagram
    assert "Probable cause: not answering in time (overloaded or under attack)" in instagram


def test_live_shows_the_playbook_of_a_platform_in_trouble(story_env):
    at = run()
    assert [e.label for e in at.expander] == ["Playbook — Instagram is degraded"]
    body = texts(at.expander[0].markdown)
    assert "Pause Instagram ads" in body and "TikTok (up)" in body


def test_live_has_a_heartbeat_strip_of_recent_checks(story_env):
    at = run()
    assert "##### Recent checks" in html(at)
    strip = at.get("plotly_chart")[0].proto.spec
    assert '"name":"Degraded"' in strip and '"name":"Up"' in strip


def test_without_history_or_sampler_it_says_how_to_start_one(app_env):
    at = run()
    assert "No sampler is running" in texts(at.warning)
    assert any("python -m monitors run" in c.value for c in at.code)
    assert html(at).count('class="pp-tile unknown"') == 7
    assert "No history yet — start the sampler" in texts(at.caption)


def test_a_sampler_that_just_started_is_shown_as_starting(app_env):
    story.write_heartbeat(app_env, datetime.now(UTC), started_s=20, rounds=False)
    at = run()
    assert "No history yet — the sampler started" in texts(at.caption)
    assert "No sampler is running" not in texts(at.warning)


def test_own_network_offline_is_a_banner_not_an_outage(app_env):
    settings = story.load_settings(str(story.CONFIG), str(app_env))
    offline = [story.Episode(("*",), timedelta(minutes=5), 10, status="unknown",
                             error="vantage_offline", detail="own network offline")]
    story.write_history(app_env, story.samples(settings, NOW, 0.1, episodes=offline))
    story.write_heartbeat(app_env, NOW, offline=True)
    at = run()
    assert "own network is offline" in texts(at.error)
    assert html(at).count('class="pp-tile unknown"') == 7


def test_a_provider_wide_outage_is_one_banner_and_the_playbooks_open(app_env):
    settings = story.load_settings(str(story.CONFIG), str(app_env))
    meta = [story.Episode(("facebook", "instagram"), timedelta(minutes=15), 30, error="dns",
                          detail="DNS lookup failed: SERVFAIL")]
    story.write_history(app_env, story.samples(settings, NOW, 0.1, episodes=meta))
    story.write_heartbeat(app_env, NOW)
    at = run()
    assert "Meta: Facebook, Instagram down" in texts(at.error)
    assert html(at).count('class="pp-tile down"') == 2
    playbooks = {e.label for e in at.expander}
    assert "Playbook — Instagram is down" in playbooks
    instagram = next(e for e in at.expander if e.label == "Playbook — Instagram is down")
    assert "Facebook (down)" in texts(instagram.markdown)  # a fallback that is down too


def test_tiles_tell_the_cause_in_plain_words(app_env):
    settings = story.load_settings(str(story.CONFIG), str(app_env))
    meta = [story.Episode(("facebook", "instagram"), timedelta(minutes=15), 30, error="dns",
                          detail="DNS lookup failed: SERVFAIL")]
    story.write_history(app_env, story.samples(settings, NOW, 0.1, episodes=meta))
    story.write_heartbeat(app_env, NOW)
    tiles = html(run())
    assert tiles.count("Probable cause: can&#x27;t be found on the internet") == 2
    assert "DNS /" not in tiles and "network-level" not in tiles


def test_live_has_its_own_address_too(story_env):
    at = run("live")  # /live opens the live board (not Streamlit's "Page not found")
    assert html(at).count('class="pp-tile') == 7
    assert {info.get("url_pathname") for info in at._registered_pages.values()} >= {
        "", "live", "history", "impact", "export"}


def test_a_corrupt_history_file_is_reported(app_env):
    settings = story.load_settings(str(story.CONFIG), str(app_env))
    story.write_history(app_env, story.samples(settings, NOW, 0.05, episodes=[]),
                        compact=False)
    day = NOW.strftime("%Y-%m-%d")
    folder = app_env / "samples" / f"date={day}" / "vantage=hq"
    (folder / "zz-broken.parquet").write_bytes(b"PAR1 this is not parquet PAR1")
    story.write_heartbeat(app_env, NOW)
    at = run()
    at.run()  # the first read quarantines the file; the banner lists it
    assert "could not be read" in texts(at.warning)


def test_an_undelivered_alert_is_shown_without_its_secret(app_env, tmp_path, monkeypatch):
    from support_browser import free_port

    from monitors.alerts import Notifier, state_dir
    from monitors.analysis.incidents import Outage

    secret = "s3cr3t-T0KEN"
    config = tmp_path / "alerts.toml"
    config.write_text(story.CONFIG.read_text() + "\n[[alerts]]\nname = \"Ops hook\"\n"
                      f'url = "json://hook:{secret}@127.0.0.1:{free_port()}/h?key={secret}"\n')
    monkeypatch.setenv("MONITORS_CONFIG", str(config))
    settings = story.load_settings(str(config), str(app_env))
    outage = Outage(platform="x", provider="X Corp", start=NOW - timedelta(minutes=5), end=None,
                    detected_at=NOW - timedelta(minutes=3), severity="down",
                    cause="servers unreachable", name="X")
    (failed,) = Notifier(settings, state_dir(settings)).process([outage], vantage_offline=False,
                                                                 now=NOW)
    assert failed.status == "failed"
    at = run()
    assert "not delivered yet" in texts(at.warning)
    everything = html(at) + texts(at.warning) + texts(at.error) + texts(at.caption)
    assert secret not in everything


def test_synthetic_data_carries_a_demo_badge(app_env):
    story.mark_synthetic(app_env)
    assert "DEMO DATA" in html(run())


# ------------------------------------------------------------------ history / impact / export
def test_history_shows_figures_timeline_uptime_heatmap_and_incidents(story_env):
    at = run("history")
    assert [s.value for s in at.subheader] == ["History · last 7 d"]
    assert [m.label for m in at.metric] == ["Average uptime", "Outages", "Time down",
                                            "Estimated impact"]
    assert len(at.get("plotly_chart")) == 4
    for title in ("Outage timeline", "Daily uptime", "Time not fully up",
                  "Latency (p50 and p95)"):
        assert f"##### {title}" in html(at)
    # five days of history: the headline shows how time split, and there is no previous week
    caption = texts(at.caption)
    assert "Fully up" in caption and "degraded" in caption
    assert "no data for the previous 7 days" in caption
    assert len(at.dataframe) == 3, "uptime, incident and provider-wide tables"
    incidents = at.dataframe[1].value
    assert {"Instagram", "Facebook", "WhatsApp"} <= set(incidents["Platform"])
    together = at.dataframe[2].value
    assert list(together["Incident"]) == ["Meta: Facebook, Instagram, WhatsApp down"]


def test_the_incident_list_gives_the_vendor_room_and_wraps_long_text(story_env):
    import json

    at = run("history")
    table = at.dataframe[1]
    columns = json.loads(table.proto.columns)
    assert columns["Vendor"]["width"] >= 250 and columns["Cause"]["width"] >= 180
    assert table.proto.row_height >= 3 * 20  # three lines: long vendor titles wrap, not cut
    assert sum(c.get("width") or 0 for c in columns.values()) <= 1150  # no sideways scroll
    causes = set(table.value["Cause"])
    assert "can't be found on the internet (address lookups fail)" in causes
    assert not any(c.startswith("DNS /") for c in causes)


def test_changing_the_window_changes_the_history(story_env):
    at = run("history")
    outages_7d = at.metric[1].value
    at.segmented_control(key="window").set_value("24h").run()
    assert [s.value for s in at.subheader] == ["History · last 24 h"]
    assert int(at.metric[1].value) < int(outages_7d)


def test_a_platform_filter_limits_the_history(story_env):
    at = run("history")
    at.multiselect(key="platforms").set_value(["linkedin"]).run()
    incidents = at.dataframe[1].value
    assert set(incidents["Platform"]) == {"LinkedIn"}
    assert list(at.dataframe[0].value["Platform"]) == ["LinkedIn"]


def test_a_vantage_filter_shows_what_one_location_saw(app_env):
    settings = story.load_settings(str(story.CONFIG), str(app_env))
    only_eu = [story.Episode(("x",), timedelta(hours=3), 40, error="connect")]
    story.write_history(app_env, story.samples(settings, NOW, 0.5, episodes=[]), now=NOW)
    story.write_history(app_env, story.samples(settings, NOW, 0.5, episodes=only_eu,
                                               vantage="eu"), now=NOW, vantage="eu")
    at = run("history")
    assert "No outages in the last 7 d" in texts(at.success)  # one of two vantages: no quorum
    at.multiselect(key="vantages").set_value(["eu"]).run()
    assert list(at.dataframe[1].value["Platform"]) == ["X"]
    at.multiselect(key="vantages").set_value(["hq"]).run()
    assert "No outages in the last 7 d" in texts(at.success)


def test_a_custom_window_covers_whole_local_days(story_env):
    at = run("history")
    at.segmented_control(key="window").set_value("custom").run()
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/London")).date()
    first = today - timedelta(days=6)
    assert at.subheader[0].value == f"History · {first:%d %b} – {today:%d %b}"
    at.date_input(key="custom_dates").set_value((today - timedelta(days=1), today)).run()
    assert at.subheader[0].value.startswith(
        f"History · {today - timedelta(days=1):%d %b} – ")


def test_an_empty_history_page_is_friendly(app_env):
    at = run("history")
    assert not at.exception
    assert "No outages in the last 7 d" in texts(at.success)


def test_impact_shows_totals_by_platform_and_incident_and_assumptions(story_env):
    at = run("impact")
    labels = [m.label for m in at.metric]
    assert labels == ["Estimated impact", "Lost revenue", "Lost leads", "Ad spend at risk"]
    assert at.metric[0].value.startswith("£")
    body = html(at)
    assert "Business hours (Mon-Sat 08:00-18:00, Europe/London) count fully" in body
    assert "An estimate, not accounting" in body
    values = next(d.value for d in at.dataframe if "Sales / hour" in d.value.columns)
    assert values.set_index("Platform").loc["Instagram", "Sales / hour"] == "£60"
    comparison = next(d.value for d in at.dataframe if "Measure" in d.value.columns)
    assert list(comparison.columns) == ["Measure", "This window", "Previous window", "Change"]


def test_export_offers_three_csvs_and_the_report(story_env):
    at = run("export")
    labels = [b.label for b in at.download_button]
    assert labels == ["Download samples.csv", "Download incidents.csv",
                      "Download uptime.csv", "Download report.html"]
    # the terminal lines read what the page reads: its data folder, with its config
    (code,) = [c.value for c in at.code if "monitors export" in c.value]
    assert f"--data {story_env}" in code and f"--config {story.CONFIG}" in code
    assert code.count("--data") == 2


def test_presentation_mode_is_one_page_with_large_tiles(story_env):
    at = run(query={"present": "1"})
    page = html(at)
    assert 'class="pp-groups present"' in page
    assert page.count('class="pp-tile') == 7
    assert "Outages in the last 7 days" in "\n".join(c.proto.spec
                                                     for c in at.get("plotly_chart"))
    assert not at.sidebar.multiselect


def test_presentation_figures_count_an_ongoing_outage_and_its_time_so_far(app_env):
    settings = story.load_settings(str(story.CONFIG), str(app_env))
    ongoing = [story.Episode(("tiktok",), timedelta(minutes=45), 46, error="connect")]
    story.write_history(app_env, story.samples(settings, NOW, 3, episodes=ongoing), now=NOW)
    story.write_heartbeat(app_env, NOW)
    page = html(run(query={"present": "1"}))
    kpis = re.sub(r"<[^>]+>", " ", page[page.index('class="pp-kpis'):])
    assert re.search(r"Outages\s+1\b", kpis)
    minutes = int(re.search(r"Time down\s+(\d+)m", kpis)[1])
    assert 40 <= minutes <= 46  # the outage so far, up to this minute
    assert 'class="pp-tile down" data-platform="tiktok"' in page


# ------------------------------------------------------------------ access
@pytest.fixture
def exposed() -> Iterator[None]:
    """Pretend the server listens on every interface (the option only; nothing binds)."""
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    yield
    st_config.set_option("server.address", before)


def test_it_refuses_to_serve_beyond_loopback_without_a_login(app_env, exposed):
    at = run()
    assert "served beyond this machine" in texts(at.error)
    assert 'class="pp-tile' not in html(at)


def test_the_opt_out_serves_beyond_loopback_anyway(app_env, exposed, monkeypatch):
    monkeypatch.setenv(access.ALLOW_ENV, "1")
    assert html(run()).count('class="pp-tile') == 7


def test_the_password_gate_lets_the_right_password_in(app_env, exposed):
    secrets = {"auth": {"password_hash": access.hash_password("open sesame", iterations=1000)}}
    at = run(secrets=secrets)
    assert 'class="pp-tile' not in html(at)
    at.text_input(key="gate_password").input("wrong")
    at.button[0].click().run()
    assert "Wrong password." in texts(at.error)
    at.text_input(key="gate_password").input("open sesame")
    at.button[0].click().run()
    assert html(at).count('class="pp-tile') == 7


def test_a_plain_sha256_password_hash_works_too(app_env):
    secrets = {"auth": {"password_sha256": hashlib.sha256(b"bakery").hexdigest()}}
    at = run(secrets=secrets)
    at.text_input(key="gate_password").input("bakery")
    at.button[0].click().run()
    assert html(at).count('class="pp-tile') == 7


def test_an_oidc_provider_shows_the_login_button(app_env):
    secrets = {"auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback",
                        "cookie_secret": "x" * 32, "client_id": "pulse",
                        "client_secret": "s", "server_metadata_url":
                        "https://idp.example/.well-known/openid-configuration"}}
    at = run(secrets=secrets)
    assert [b.label for b in at.button] == ["Log in"]
    assert 'class="pp-tile' not in html(at)


def test_a_logged_in_oidc_user_sees_the_dashboard_and_a_logout_button(app_env, monkeypatch):
    secrets = {"auth": {"redirect_uri": "http://127.0.0.1:8501/oauth2callback",
                        "cookie_secret": "x" * 32, "client_id": "pulse",
                        "client_secret": "s", "server_metadata_url":
                        "https://idp.example/.well-known/openid-configuration"}}
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = secrets["auth"]
    at.user = {"is_logged_in": True, "email": "ana@example.org"}
    at.run()
    assert html(at).count('class="pp-tile') == 7
    assert "Log out" in [b.label for b in at.sidebar.button]


def test_a_bad_config_is_one_clear_line(app_env, tmp_path, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text("[monitor]\ninterval = 'often'\n")
    monkeypatch.setenv("MONITORS_CONFIG", str(bad))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "Configuration problem" in texts(at.error) and "monitor.interval" in texts(at.error)

