"""The official-status probe on real recorded payloads, served locally: mapping and filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support_status import (
    ATOM,
    RSS,
    STATUS_FIXTURES,
    check,
    probe_payload,
    recorded,
    recorded_json,
    run,
    serve,
)

from monitors.catalog_status import OFFICIAL_SOURCES
from monitors.probes.statuspage import StatuspageCheck

DOCS = "statuspage_docs_example_incident_maintenance.json"
DISCORD_UP = "statuspage_discord_operational.json"
DISCORD_DEGRADED = "synthetic_statuspage_discord_degraded_investigating.json"

# file -> (status, error, indicator, title, incident_status, components, url, started, updated)
RECORDED = {
    DISCORD_UP: ("up", None, "none", None, None, (), "https://discordstatus.com", None,
                 "2022-02-15T21:37:37Z"),
    "statuspage_discord_incidents_resolved_degraded.json": (
        "up", None, "none", None, None, (), "https://discordstatus.com", None,
        "2022-02-15T21:37:37Z"),
    "statuspage_discord_maintenance_completed.json": (
        "up", None, "none", None, None, (), "https://discordstatus.com", None,
        "2022-02-15T21:37:37Z"),
    DOCS: ("down", "official_incident", "critical", "Unplanned Database Outage", "identified",
           ("API: partial_outage", "Management Portal: major_outage"), "http://stspg.co:5000/Q0E",
           "2014-05-14T20:22:39Z", "2014-05-14T20:35:21Z"),
    DISCORD_DEGRADED: ("degraded", "official_incident", "minor", "Messaging issues",
                       "investigating", ("API: degraded_performance",),
                       "https://stspg.io/y1w39cblgvhz", "2022-02-15T21:14:17Z",
                       "2022-02-15T21:14:17Z"),
    "slack_current_ok.json": ("up", None, "none", None, None, (), None, None,
                              "2018-09-08T01:34:15Z"),
    "slack_current_incident.json": (
        "degraded", "official_incident", "minor",
        "We are investigating an issue with notification settings", "active",
        ("Notifications: incident", "Apps/Integrations/APIs: incident"),
        "https://status.slack.com/2020-07/ea58a170d343b2ad", "2020-07-30T22:12:34Z",
        "2020-07-30T22:12:34Z"),
    # Both history feeds end every item with Resolved: nothing is open.
    "atom_statuspage_redis_incident_history.xml": ("up", None, "none", None, None, (),
                                                   "https://status.redis.com", None, None),
    "rss_statuspage_staffbase_incident_history.xml": ("up", None, "none", None, None, (),
                                                      "https://status.staffbase.com", None, None),
}
SLACK_PATH = "/api/v2.0.0/current"


def _path(name: str) -> str:
    """Where the real endpoint would be, so format detection from the URL is exercised too."""
    if name.startswith("slack"):
        return SLACK_PATH
    return "/history.atom" if name.endswith(".xml") else "/api/v2/summary.json"


def test_every_recorded_payload_is_in_the_table():
    on_disk = {p.name for p in STATUS_FIXTURES.iterdir() if p.suffix in (".json", ".xml")}
    assert on_disk == set(RECORDED)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_it_normalises_each_recorded_payload(httpserver, name):
    content_type = ATOM if name.startswith("atom") else RSS if name.startswith("rss") else None
    url = serve(httpserver, _path(name), recorded(name), content_type or "application/json")
    result = run(check(url))
    status, error, indicator, title, state, components, link, started, updated = RECORDED[name]
    info = result.official
    assert (result.status, result.error) == (status, error), result.detail
    assert (info.indicator, info.title, info.incident_status) == (indicator, title, state)
    assert info.components == components
    assert info.url == (link or f"{httpserver.url_for('/')}")
    assert (info.started_at, info.updated_at) == (started, updated)
    assert result.http_status == 200 and result.latency_ms > 0
    assert 0 < len(result.detail) <= 200


def test_it_keeps_the_incident_story_for_the_dashboard(httpserver):
    result = probe_payload(httpserver, recorded(DISCORD_DEGRADED))
    assert result.detail == (
        "Discord: minor incident 'Messaging issues' (investigating); API: degraded_performance"
    )
    info = result.official
    assert info.impact == "minor" and info.description == "Partially Degraded Service"
    assert info.update == "We're investigating high latency related to channels and messages."


def test_it_says_all_is_well_in_the_vendors_words(httpserver):
    result = probe_payload(httpserver, recorded(DISCORD_UP))
    assert result.detail == "Discord: All Systems Operational"
    assert result.official.description == "All Systems Operational"


def test_it_shortens_and_strips_html_from_the_latest_update(httpserver):
    payload = recorded_json(DISCORD_DEGRADED)
    body = "<p>We are <b>looking</b>\n\n into   it &amp; more.</p><script>x()</script>" + "z" * 900
    payload["incidents"][0]["incident_updates"][0]["body"] = body
    update = probe_payload(httpserver, payload).official.update
    assert update.startswith("We are looking into it & more. zzz") and len(update) <= 300


# --- maintenance --------------------------------------------------------------------------

def _maintenance_only(keep: tuple[str, ...]) -> dict:
    """Synthetic, derived from the real docs example: no incident, all components fine."""
    payload = recorded_json(DOCS)
    payload["incidents"] = []
    payload["status"] = {"indicator": "none", "description": "All Systems Operational"}
    for component in payload["components"]:
        component["status"] = "operational"
    payload["scheduled_maintenances"] = [
        m for m in payload["scheduled_maintenances"] if m["status"] in keep
    ]
    return payload


def test_it_labels_maintenance_in_progress_as_maintenance(httpserver):
    result = probe_payload(httpserver, _maintenance_only(("in_progress", "scheduled")))
    assert (result.status, result.error) == ("degraded", "official_maintenance")
    info = result.official
    assert (info.indicator, info.title, info.incident_status) == (
        "maintenance", "Web Tier Recycle", "in_progress")
    assert info.impact == "maintenance" and info.started_at == "2014-05-14T20:30:00Z"
    assert info.url == "http://stspg.co:5000/Q0G"
    assert result.detail == "GitHub: maintenance 'Web Tier Recycle' (in_progress)"


def test_it_only_shows_maintenance_when_told_not_to_count_it(httpserver):
    result = probe_payload(httpserver, _maintenance_only(("in_progress",)),
                           watch_maintenance=False)
    assert (result.status, result.error) == ("up", None)
    assert result.official.indicator == "maintenance" and "not counted" in result.detail


def test_a_scheduled_maintenance_is_up_and_announced(httpserver):
    result = probe_payload(httpserver, _maintenance_only(("scheduled",)))
    assert (result.status, result.error, result.official.indicator) == ("up", None, "none")
    assert "next maintenance 'Network Maintenance (No Interruption Expected)'" in result.detail
    assert "2014-05-18T04:00:00Z" in result.detail


def test_a_component_under_maintenance_is_maintenance(httpserver):
    payload = _maintenance_only(())
    payload["components"][0]["status"] = "under_maintenance"
    result = probe_payload(httpserver, payload)
    assert (result.status, result.error) == ("degraded", "official_maintenance")
    assert result.official.components == ("API: under_maintenance",)


def test_a_page_indicator_of_maintenance_is_maintenance(httpserver):
    payload = _maintenance_only(())
    payload["status"]["indicator"] = "maintenance"
    result = probe_payload(httpserver, payload)
    assert (result.status, result.error) == ("degraded", "official_maintenance")


def test_an_incident_outranks_a_maintenance(httpserver):
    result = probe_payload(httpserver, recorded(DOCS))
    assert result.error == "official_incident"
    assert result.official.title == "Unplanned Database Outage"


# --- component filters --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("components", "status", "indicator", "affected"),
    [
        (["api"], "degraded", "major", ("API: partial_outage",)),
        (["Management Portal"], "down", "critical", ("Management Portal: major_outage",)),
        (["9397cnvk62zn"], "down", "critical", ("Management Portal: major_outage",)),
        ([" API ", "management portal"], "down", "critical",
         ("API: partial_outage", "Management Portal: major_outage")),
    ],
)
def test_it_judges_only_the_watched_components(httpserver, components, status, indicator,
                                                affected):
    result = probe_payload(httpserver, recorded(DOCS), components=components)
    assert (result.status, result.official.indicator) == (status, indicator)
    assert result.official.components == affected


def test_an_incident_naming_no_component_counts_but_never_means_down(httpserver):
    payload = recorded_json(DOCS)
    payload["components"][0]["status"] = "operational"
    result = probe_payload(httpserver, payload, components=["API"])
    assert (result.status, result.error) == ("degraded", "official_incident")
    assert result.official.impact == "critical" and result.official.indicator == "major"


def test_an_incident_on_an_unwatched_component_is_ignored(httpserver):
    payload = recorded_json(DISCORD_DEGRADED)  # incident names API only
    gateway = dict(payload["components"][0], id="gw1", name="Gateway", status="operational")
    payload["components"].append(gateway)
    payload["components"][0]["status"] = "operational"
    result = probe_payload(httpserver, payload, components=["Gateway"])
    assert (result.status, result.error, result.official.title) == ("up", None, None)
    assert result.detail == "Discord: watched components OK (page: Partially Degraded Service)"


def test_a_group_name_watches_its_children_and_skips_the_group_row(httpserver):
    payload = recorded_json(DISCORD_UP)
    base = payload["components"][0]
    payload["components"] = [
        dict(base, id="grp", name="Voice", status="major_outage", group=True, group_id=None),
        dict(base, id="use", name="US East", status="major_outage", group_id="grp"),
        dict(base, id="eu", name="Europe", status="operational", group_id="grp"),
        dict(base, id="api", name="API", status="operational", group_id=None),
    ]
    voice = probe_payload(httpserver, payload, components=["voice"])
    assert voice.status == "down" and voice.official.components == ("US East: major_outage",)
    httpserver.clear()
    assert probe_payload(httpserver, payload, components=["API"]).status == "up"


def test_a_filter_that_matches_nothing_is_unknown(httpserver):
    result = probe_payload(httpserver, recorded(DOCS), components=["Uploads"])
    assert (result.status, result.error) == ("unknown", "bad_payload")
    assert "none of the watched components" in result.detail and "uploads" in result.detail


def test_a_matching_page_id_is_accepted(httpserver):
    assert probe_payload(httpserver, recorded(DISCORD_UP), page_id="srhpyqt94yxb").status == "up"


# --- Slack ----------------------------------------------------------------------------------

def _slack(**changes) -> dict:
    payload = recorded_json("slack_current_incident.json")
    for item in payload["active_incidents"]:
        item.update(changes)
    return payload


def test_slack_services_work_as_component_filters(httpserver):
    fine = probe_payload(httpserver, recorded("slack_current_incident.json"), path=SLACK_PATH,
                         components=["Messaging"])
    assert (fine.status, fine.detail) == ("up", "Slack: watched components OK "
                                                "(page: Slack reports an active incident)")
    httpserver.clear()
    hit = probe_payload(httpserver, recorded("slack_current_incident.json"), path=SLACK_PATH,
                        components=["notifications"])
    assert hit.status == "degraded" and hit.official.components == ("Notifications: incident",)
    assert hit.official.title == "We are investigating an issue with notification settings"


def test_a_slack_outage_is_down(httpserver):
    result = probe_payload(httpserver, _slack(type="outage"), path=SLACK_PATH)
    assert (result.status, result.official.indicator) == ("down", "critical")


def test_slack_scheduled_notices_are_maintenance(httpserver):
    result = probe_payload(httpserver, _slack(type="notice", status="scheduled"), path=SLACK_PATH)
    assert (result.status, result.error) == ("degraded", "official_maintenance")


def test_resolved_slack_items_are_history(httpserver):
    result = probe_payload(httpserver, _slack(status="resolved"), path=SLACK_PATH,
                           components=["Notifications"])
    assert (result.status, result.error) == ("up", None)


# --- feeds ------------------------------------------------------------------------------------

def _open_atom(updated: datetime, state: str = "Investigating") -> bytes:
    """Synthetic, derived from the real Redis Atom feed: its first item's Resolved update is
    removed, so its latest state is `state`, and it was updated at `updated`."""
    text = recorded("atom_statuspage_redis_incident_history.xml").decode()
    resolved = ("&lt;p&gt;&lt;small&gt;Dec &lt;var data-var='date'&gt;26&lt;/var&gt;, &lt;var "
                "data-var='time'&gt;14:45&lt;/var&gt; UTC&lt;/small&gt;&lt;br&gt;&lt;strong&gt;"
                "Resolved&lt;/strong&gt; - This incident has been resolved.&lt;/p&gt;")
    assert text.count(resolved) == 2  # content and summary of the first entry
    text = text.replace(resolved, "").replace("Investigating&lt;/strong", f"{state}&lt;/strong")
    stamp = updated.strftime("%Y-%m-%dT%H:%M:%SZ")
    return text.replace("<updated>2021-12-26T14:45:23Z</updated>",
                        f"<updated>{stamp}</updated>").encode()


def test_an_open_recent_feed_item_is_an_official_incident(httpserver):
    body = _open_atom(datetime.now(UTC) - timedelta(hours=1))
    result = probe_payload(httpserver, body, path="/history.atom", content_type=ATOM)
    assert (result.status, result.error) == ("degraded", "official_incident")
    info = result.official
    assert (info.title, info.incident_status) == ("Instance failure", "investigating")
    assert info.url == "https://status.redis.com/incidents/q5bb6tbftgrm"
    assert info.update.startswith("We are experiencing instance failure on GCP/us-east1")
    assert info.started_at == "2021-12-26T14:45:23Z"
    assert result.detail.startswith("Redis Status: minor incident 'Instance failure'")


def test_a_stale_open_feed_item_is_ignored_unless_max_age_allows_it(httpserver):
    body = _open_atom(datetime.now(UTC) - timedelta(days=3))
    assert probe_payload(httpserver, body, path="/history.atom", content_type=ATOM).status == "up"
    httpserver.clear()
    result = probe_payload(httpserver, body, path="/history.atom", content_type=ATOM,
                           max_age="7d")
    assert result.status == "degraded"


def test_a_feed_maintenance_in_progress_is_maintenance(httpserver):
    body = _open_atom(datetime.now(UTC), state="In progress")
    result = probe_payload(httpserver, body, path="/history.atom", content_type=ATOM)
    assert (result.status, result.error) == ("degraded", "official_maintenance")
    assert result.official.incident_status == "in_progress"


META_RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>WhatsApp Business Platform Status</title>
<link>https://metastatus.com/whatsapp-business-api</link>{items}</channel></rss>"""
META_ITEM = """<item><title>Cloud API: Medium disruptions</title>
<description>Some messages are delayed.</description>
<pubDate>Mon, 02 Jan 2023 10:00:00 +0000</pubDate></item>"""


def test_a_meta_outage_feed_item_is_degraded_whatever_its_age(httpserver):
    # Synthetic: Meta's outage-events feeds list only open events (status-sources.md, B3).
    body = META_RSS.format(items=META_ITEM)
    result = probe_payload(httpserver, body, path="/outage-events-feed-whatsapp-business-api.rss",
                           content_type=RSS)
    assert (result.status, result.official.title) == ("degraded", "Cloud API: Medium disruptions")
    httpserver.clear()
    empty = probe_payload(httpserver, META_RSS.format(items=""), content_type=RSS,
                          path="/outage-events-feed-whatsapp-business-api.rss")
    assert (empty.status, empty.official.url) == ("up", "https://metastatus.com/whatsapp-business-api")


# --- metastatus (no recorded payload exists: synthetic, shaped per status-sources.md) --------

ORGS = [
    {"id": "whatsapp-business-api", "name": "WhatsApp Business Platform",
     "services": [{"id": 1, "name": "Cloud API", "status": "Low disruptions",
                   "time": "2024-05-01T10:00:00-07:00"},
                  {"id": 8, "name": "Embedded Signup", "status": "No known issues"}],
     "rss_file_paths": ["outage-events-feed-whatsapp-business-api.rss"]},
    {"id": "messenger", "name": "Messenger Platform",
     "services": [{"id": 3, "name": "Send API", "status": "Resolved"}]},
    {"id": "graph-api", "name": "Graph API",
     "services": [{"id": 4, "name": "Graph API", "status": "High disruptions"}]},
    {"id": "ads-manager", "name": "Ads Manager",
     "services": [{"id": 5, "name": "Ads Manager", "status": "Medium disruptions"}]},
    {"id": "fbs", "name": "Business Suite",
     "services": [{"id": 6, "name": "Inbox", "status": "Major outage"}]},
]


@pytest.mark.parametrize(
    ("orgs", "components", "status", "indicator"),
    [
        (["messenger"], [], "up", "none"),
        (["whatsapp-business-api"], [], "degraded", "minor"),
        (["whatsapp-business-api"], ["embedded signup"], "up", "none"),
        (["whatsapp-business-api"], ["1"], "degraded", "minor"),
        (["ads-manager"], [], "degraded", "major"),
        (["graph-api"], [], "down", "critical"),
        (["fbs"], [], "down", "critical"),
        (["messenger", "graph-api"], [], "down", "critical"),
    ],
)
def test_metastatus_takes_the_worst_watched_service(httpserver, orgs, components, status,
                                                     indicator):
    result = probe_payload(httpserver, ORGS, path="/data/orgs.json", format="metastatus",
                           orgs=orgs, components=components)
    assert (result.status, result.official.indicator) == (status, indicator), result.detail


def test_metastatus_names_the_service_and_links_its_org(httpserver):
    result = probe_payload(httpserver, ORGS, path="/data/orgs.json", format="metastatus",
                           orgs=["whatsapp-business-api"])
    assert result.official.components == ("Cloud API: Low disruptions",)
    assert result.official.url == httpserver.url_for("/whatsapp-business-api")
    assert result.official.updated_at == "2024-05-01T17:00:00Z"
    assert result.detail == "Meta: minor incident; Cloud API: Low disruptions"


def test_metastatus_is_recognised_from_its_content(httpserver):
    result = probe_payload(httpserver, ORGS, path="/data/orgs.json", orgs=["graph-api"])
    assert result.status == "down"


# --- format detection -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "content_type"),
    [(DISCORD_DEGRADED, "application/json"), ("slack_current_incident.json", "text/plain"),
     ("atom_statuspage_redis_incident_history.xml", "application/xml"),
     ("rss_statuspage_staffbase_incident_history.xml", "text/xml")],
)
def test_auto_format_falls_back_to_the_content(httpserver, name, content_type):
    result = probe_payload(httpserver, recorded(name), path="/status", content_type=content_type)
    assert result.official is not None and result.error != "bad_payload", result.detail


# --- the built-in sources ---------------------------------------------------------------------

def test_every_official_source_is_a_valid_check():
    for platform, fields in OFFICIAL_SOURCES.items():
        source = StatuspageCheck.model_validate(fields)
        assert source.id == "status" and source.url.startswith("https://"), platform
        assert source.format != "auto" and source.note, platform
        assert bool(source.orgs) == (source.format == "metastatus"), platform


def test_platforms_without_a_machine_readable_source_have_none():
    assert not {"threads", "tiktok", "youtube", "snapchat", "telegram"} & set(OFFICIAL_SOURCES)
    assert {"facebook", "instagram", "whatsapp", "messenger", "x", "linkedin", "pinterest",
            "reddit", "discord"} <= set(OFFICIAL_SOURCES)
    assert "legacy" in OFFICIAL_SOURCES["x"]["note"].lower()
