"""Status board, rounds, uptime, incident and impact tables (pure DataFrame functions)."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from support_samples import at, business, combine, monitor, platform, rounds

from monitors.analysis import incidents
from monitors.analysis.impact import ImpactEstimate
from monitors.analysis.incidents import Outage
from monitors.config import Impact
from monitors.output import board as live
from monitors.output import present, tables

INSTA = platform("insta", name="Instagram")
FB = platform("fb", name="Facebook")
X = platform("x", name="X", provider="X Corp")


def _detect(samples, platforms, now):
    return incidents.detect(samples, platforms, monitor(), now=now, business=business())


# ------------------------------------------------------------------ rounds
def test_a_round_where_every_surface_fails_is_down():
    table = live.platform_rounds(rounds("X", platform="fb"))
    assert table["status"].tolist() == ["down"]
    assert present.surfaces_text(table["failing"][0], table["ok"][0]) == "web & media down"


def test_it_names_the_failing_surface_of_a_partial_outage():
    table = live.platform_rounds(rounds("M"))
    assert table["status"].tolist() == ["degraded"]
    assert present.surfaces_text(table["failing"][0], table["ok"][0]) == "media down, web up"


def test_a_slow_surface_makes_the_round_degraded_and_reads_slow():
    table = live.platform_rounds(rounds("S"))
    assert table["status"].tolist() == ["degraded"]
    assert present.surfaces_text(table["failing"][0], table["ok"][0]) == "web slow, media up"


def test_an_offline_vantage_makes_the_round_unknown_not_down():
    table = live.platform_rounds(rounds("?"))
    assert table["status"].tolist() == ["unknown"]
    assert table["offline"].tolist() == [True]


def test_the_status_page_is_not_a_probe_surface_but_gives_the_official_columns():
    table = live.platform_rounds(rounds("..", official=".O"))
    # the one verdict rule: an official incident while the probes are fine is degraded
    assert table["status"].tolist() == ["up", "degraded"]
    assert table["failing"].tolist() == [(), ()]
    assert table["official_status"].tolist() == ["up", "degraded"]
    assert "Feed and media" in table["official_detail"].iloc[1]


def test_no_samples_give_an_empty_round_table_with_the_columns():
    empty = rounds("")
    assert list(live.platform_rounds(empty).columns) == live.ROUND_COLUMNS


# ------------------------------------------------------------------ status board
def test_the_board_says_since_when_a_confirmed_outage_started():
    samples = rounds("....XXXXXX", platform="fb")
    now = at(10)
    board = live.status_board(samples, [FB], outages=_detect(samples, [FB], now), now=now)
    row = board.iloc[0]
    assert (row["status"], row["confirmed"]) == ("down", True)
    assert row["since"] == pd.Timestamp(at(4))
    assert row["cause"] == "servers unreachable"
    assert row["age_s"] == pytest.approx(60)


def test_a_fresh_failure_shows_but_is_marked_not_confirmed():
    samples = rounds(".........X", platform="fb")
    now = at(10)
    board = live.status_board(samples, [FB], outages=_detect(samples, [FB], now), now=now)
    row = board.iloc[0]
    assert (row["status"], row["confirmed"]) == ("down", False)
    assert row["since"] == pd.Timestamp(at(9))
    assert "not confirmed" in row["note"]


def test_an_up_platform_reports_its_last_recovery():
    samples = rounds("..XXX.....", platform="fb")
    now = at(10)
    board = live.status_board(samples, [FB], outages=_detect(samples, [FB], now), now=now)
    row = board.iloc[0]
    assert row["status"] == "up"
    assert row["since"] == pd.Timestamp(at(5))
    assert row["surfaces"] == ""


def test_a_quiet_platform_has_no_since_and_a_latency():
    board = live.status_board(rounds("....", latency_ms=123.0), [INSTA], now=at(4))
    row = board.iloc[0]
    assert row["status"] == "up" and pd.isna(row["since"])
    assert row["latency_ms"] == pytest.approx(123.0)


def test_a_platform_without_samples_waits_for_its_first_check():
    board = live.status_board(rounds("...."), [INSTA, X], now=at(4))
    row = board.set_index("platform").loc["x"]
    assert row["status"] == "unknown"
    assert row["note"] == "no checks yet"


def test_the_board_groups_platforms_by_provider_in_config_order():
    samples = combine(rounds("..", platform="insta"), rounds("..", platform="x"),
                      rounds("..", platform="fb"))
    board = live.status_board(samples, [INSTA, X, FB], now=at(2))
    assert board["platform"].tolist() == ["insta", "fb", "x"]
    assert board["provider"].tolist() == ["Meta", "Meta", "X Corp"]


def test_vantages_that_disagree_are_named():
    samples = combine(rounds("...X", vantage="hq"), rounds("....", vantage="eu"))
    board = live.status_board(samples, [INSTA], now=at(4))
    row = board.iloc[0]
    assert row["status"] == "degraded"
    assert "down from hq" in row["note"] and "up from eu" in row["note"]


def test_an_offline_vantage_is_outvoted_by_an_online_one():
    samples = combine(rounds("...?", vantage="hq"), rounds("....", vantage="eu"))
    assert live.status_board(samples, [INSTA], now=at(4))["status"].tolist() == ["up"]


def test_only_offline_vantages_say_so():
    board = live.status_board(rounds("..??"), [INSTA], now=at(4))
    assert board.iloc[0]["status"] == "unknown"
    assert board.iloc[0]["note"] == "own network offline"


def test_the_vendor_state_file_wins_over_the_statuspage_sample():
    official = {"insta": {"indicator": "major", "title": "Instagram feed down",
                          "url": "https://status.example/incidents/1"}}
    board = live.status_board(rounds("...."), [INSTA], official=official, now=at(4))
    row = board.iloc[0]
    # a "major" indicator is degraded everywhere (schema.OFFICIAL_INDICATOR_STATUS)
    assert (row["official_status"], row["official_text"]) == ("degraded", "Instagram feed down")
    assert row["official_url"] == "https://status.example/incidents/1"


def test_maintenance_is_labelled_as_such():
    official = {"insta": {"indicator": "maintenance", "title": "DB upgrade"}}
    row = live.status_board(rounds(".."), [INSTA], official=official, now=at(2)).iloc[0]
    assert row["official_text"] == "Maintenance: DB upgrade"


# ------------------------------------------------------------------ heartbeat strip
def test_recent_rounds_keeps_the_last_n_rounds_per_platform_in_config_order():
    samples = combine(rounds("X" * 10, platform="fb"), rounds("." * 10, platform="insta"))
    strip = live.recent_rounds(samples, [INSTA, FB], rounds=3)
    assert strip.groupby("platform").size().to_dict() == {"fb": 3, "insta": 3}
    assert strip["name"].tolist()[:3] == ["Instagram"] * 3
    assert strip["ts"].iloc[0] == pd.Timestamp(at(7))


# ------------------------------------------------------------------ uptime / incidents / impact
def _summary(values: dict[str, float], **extra) -> dict:
    return {"window": {"start": "2026-09-04T00:00:00Z", "end": "2026-12-03T00:00:00Z"},
            "platforms": [{"platform": p, "uptime_pct": v, "down_s": extra.get("down_s", 0),
                           "degraded_s": 0, "incidents": extra.get("incidents", 0),
                           "known_s": extra.get("known_s", 90 * 86400.0),
                           "impact": {"amount": extra.get("impact", 0.0), "currency": "GBP"}}
                          for p, v in values.items()]}


def test_the_uptime_table_has_a_column_per_window():
    table = tables.uptime_table({"24h": _summary({"insta": 100.0, "fb": 98.5}),
                                 "7d": _summary({"insta": 99.9})}, [INSTA, FB])
    assert list(table.columns) == ["platform", "name", "provider", "24 h", "7 d"]
    assert table.set_index("platform").loc["fb", "24 h"] == pytest.approx(98.5)
    assert pd.isna(table.set_index("platform").loc["fb", "7 d"])


def _outage(**overrides) -> Outage:
    values = {"platform": "insta", "provider": "Meta", "start": at(0), "end": at(30),
              "detected_at": at(2), "severity": "degraded", "cause": "overload (timeouts)",
              "error": "timeout", "checks": ("media",), "ok_checks": ("web",),
              "official_lag_s": 720.0, "official_title": "Media not loading",
              "impact": ImpactEstimate(120.0, "GBP", revenue=80.0, leads=2, leads_value=30.0,
                                       ad_spend=10.0, assumptions=("Hours count fully.",))}
    return Outage(**{**values, **overrides})


def test_the_incident_frame_reads_surfaces_lead_and_impact():
    frame = tables.incident_frame([_outage()], [INSTA], now=at(60))
    row = frame.iloc[0]
    assert row["name"] == "Instagram"
    assert row["surfaces"] == "media down, web up"
    assert row["lead"] == "detected 12 min before the vendor's status page"
    assert row["duration_s"] == 1800
    assert (row["impact"], row["revenue"], row["ad_spend"]) == (120.0, 80.0, 10.0)


def test_an_ongoing_outage_runs_until_now_in_the_frame():
    frame = tables.incident_frame([_outage(end=None)], [INSTA], now=at(45))
    assert frame.iloc[0]["ongoing"] and frame.iloc[0]["duration_s"] == 45 * 60


def test_the_incident_table_shows_business_local_times_newest_first():
    outages = [_outage(), _outage(start=at(100), end=at(110), severity="down", checks=("web",
                                                                                       "media"),
                                  ok_checks=())]
    table = tables.incident_table(tables.incident_frame(outages, [INSTA], now=at(200)),
                                  "Europe/London", "GBP")
    assert table["Started"].tolist() == ["2024-05-06 14:40", "2024-05-06 13:00"]  # BST
    assert table["Severity"].tolist() == ["Down", "Degraded"]
    assert table["Impact"].iloc[1] == "£120"
    assert "Media not loading — detected 12 min" in table["Vendor"].iloc[1]


def test_the_impact_table_sorts_platforms_by_cost_and_counts_outages():
    frame = tables.incident_frame([_outage()], [INSTA, FB], now=at(60))
    impacts = {"insta": ImpactEstimate(120.0, "GBP", revenue=80.0, leads_value=30.0,
                                       ad_spend=10.0),
               "fb": ImpactEstimate(300.0, "GBP", revenue=300.0)}
    table = tables.impact_table(impacts, [INSTA, FB], frame)
    assert table["platform"].tolist() == ["fb", "insta"]
    assert table.set_index("platform").loc["insta", "outages"] == 1


def test_assumptions_are_listed_once():
    frame = tables.incident_frame([_outage(), _outage(start=at(50), end=at(60))], [INSTA],
                                  now=at(90))
    assert tables.assumptions(frame) == ["Hours count fully."]


def test_the_period_comparison_reads_as_changes():
    this = _summary({"insta": 99.0, "fb": 100.0}, down_s=600, incidents=2, impact=150.0)
    before = _summary({"insta": 100.0, "fb": 100.0}, down_s=300, incidents=1, impact=100.0)
    table = tables.period_comparison(this, before, "GBP").set_index("Measure")
    assert table.loc["Average uptime", "Change"] == "-0.50 pts"
    assert table.loc["Outages", "This window"] == "4"
    assert table.loc["Estimated impact", "Change"] == "+£100"
    assert table.loc["Outages", "Change"] == "+2"
    assert table.loc["Time down", "Change"] == "+10m"
    assert table.loc["Time down", "Previous window"] == "10m"


@pytest.mark.parametrize(("known_s", "says"), [
    (0.0, "no data for the previous 90 days"),
    (10 * 86400.0, "too little data: 10 days of the previous 90 days monitored"),
])
def test_a_previous_window_that_was_not_monitored_is_not_compared(known_s, says):
    this = _summary({"insta": 99.0}, down_s=600, incidents=2, impact=150.0)
    before = _summary({"insta": 100.0}, known_s=known_s)
    table = tables.period_comparison(this, before, "GBP").set_index("Measure")
    assert (table["Previous window"] == says).all()
    assert (table["Change"] == "—").all()
    assert table["_previous"].isna().all()


def test_the_window_summary_fills_platforms_without_data():
    table = tables.window_summary(_summary({"insta": 99.5}, impact=12.0), [INSTA, FB])
    row = table.set_index("platform").loc["fb"]
    assert row["incidents"] == 0 and row["impact"] == 0.0


def test_impact_figures_on_a_platform_with_value_follow_the_outage():
    valued = platform("insta", name="Instagram",
                      impact=Impact(revenue_per_hour=60.0, leads_per_hour=0, lead_value=0))
    samples = rounds("..XXXXXX..." + "." * 3, platform="insta")
    found = _detect(samples, [valued], at(14))
    frame = tables.incident_frame(found, [valued], now=at(14))
    assert frame["impact"].iloc[0] > 0
    assert frame["end"].iloc[0] - frame["start"].iloc[0] == timedelta(minutes=6)


def test_the_time_split_shows_degraded_time_that_uptime_leaves_out():
    summary = _summary({"insta": 100.0}, known_s=100 * 3600.0)
    summary["platforms"][0].update(degraded_s=3 * 3600.0, unknown_s=2 * 3600.0)
    split = tables.time_split(summary, [INSTA, FB])
    row = split.set_index("platform").loc["insta"]
    assert row["up_s"] == 97 * 3600 and row["observed_s"] == 102 * 3600
    assert split.set_index("platform").loc["fb", "observed_s"] == 0  # nothing: not invented
    text = tables.time_split_text(split)
    assert text.startswith("Fully up 95.10 %")  # 97 h of 102 h observed
    assert "degraded 3h 00m" in text and "unknown or refused 2h 00m" in text
    assert tables.time_split_text(tables.time_split({"platforms": []}, [INSTA])) == ""


# ------------------------------------------------------------------ refusals on the board
def test_a_platform_that_refuses_every_surface_reads_refused_not_down():
    samples = rounds("..RRRRR")
    board = live.status_board(samples, [INSTA], outages=_detect(samples, [INSTA], at(7)),
                              now=at(7))
    row = board.iloc[0]
    assert row["status"] == "refused" and not row["confirmed"]
    assert "refuses this monitor's checks (web & media)" in row["note"]
    assert "can't see it from here" in row["note"]
    assert row["since"] == at(2)


def test_a_surface_refused_for_over_an_hour_is_named_with_what_the_platform_is_judged_on():
    samples = rounds("." * 5 + "r" * 70)
    board = live.status_board(samples, [INSTA], outages=_detect(samples, [INSTA], at(75)),
                              now=at(75))
    row = board.iloc[0]
    assert row["status"] == "up"  # judged on media, which answers
    assert row["note"] == ("Instagram has refused this monitor's web checks for 1h 10m; "
                           "judged on media")
    assert [c for c, _ in row["refused"]] == ["web"]


def test_a_short_refusal_is_not_named_yet():
    samples = rounds("." * 5 + "r" * 30)
    row = live.status_board(samples, [INSTA], now=at(35)).iloc[0]
    assert row["status"] == "up" and row["refused"] == () and row["note"] == ""
