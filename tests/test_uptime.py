"""Uptime per window and per day, unknown time, the summary JSON and period comparison."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from support_samples import at, business, combine, monitor, platform, rounds

from monitors.analysis.coverage import coverage_from_rollups
from monitors.analysis.incidents import Outage
from monitors.analysis.intervals import NS, Spans, intersect, to_ns
from monitors.analysis.summary import compare_summaries, summary_json
from monitors.analysis.uptime import analyse, daily_table, day_edges, uptime_table
from monitors.config import Impact
from monitors.timeutil import Window

INSTA = platform("insta", name="Instagram", impact=Impact(revenue_per_hour=60))
HOUR = Window(at(0), at(60))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def outage(start, end, severity="down", **extra) -> Outage:
    return Outage(platform="insta", provider="Meta", start=start, end=end, detected_at=start,
                  severity=severity, cause="servers unreachable", **extra)


def spans(*pairs: tuple[int, int]) -> Spans:
    return Spans.of([a * NS for a, _ in pairs], [b * NS for _, b in pairs])


def test_spans_merge_overlapping_and_touching_pieces():
    merged = spans((10, 20), (0, 5), (15, 30), (30, 40), (50, 50))
    assert list(zip(merged.starts // NS, merged.ends // NS, strict=True)) == [(0, 5), (10, 40)]
    assert merged.total_s == 35


def test_spans_measure_per_bucket_and_intersect():
    a = spans((0, 10), (20, 30))
    assert list(a.measure(np.array([0, 5, 25, 100]) * NS)) == [5, 10, 5]
    b = spans((5, 25))
    both = intersect(a, b)
    assert list(zip(both.starts // NS, both.ends // NS, strict=True)) == [(5, 10), (20, 25)]
    assert list(a.overlap(b, np.array([0, 100]) * NS)) == [10]


def test_a_six_minute_outage_in_an_hour_is_ninety_percent_uptime():
    table = uptime_table([outage(at(10), at(16))], HOUR, ["insta"])
    row = table.iloc[0]
    assert (row.down_s, row.degraded_s, row.unknown_s, row.known_s) == (360, 0, 0, 3600)
    assert row.uptime_pct == pytest.approx(90.0)
    assert row.incidents == 1


def test_degraded_time_is_reported_but_does_not_count_against_uptime():
    table = uptime_table([outage(at(10), at(40), severity="degraded")], HOUR, ["insta"])
    assert (table.iloc[0].degraded_s, table.iloc[0].uptime_pct) == (1800, 100.0)


def test_an_outage_with_down_stretches_splits_into_down_and_degraded_time():
    mixed = outage(at(0), at(30), down_spans=((at(10), at(20)),))
    row = uptime_table([mixed], HOUR, ["insta"]).iloc[0]
    assert (row.down_s, row.degraded_s) == (600, 1200)


def test_outages_are_clipped_to_the_window_and_to_now():
    early = outage(at(-30), at(6))
    ongoing = outage(at(50), None)
    row = uptime_table([early, ongoing], HOUR, ["insta"], now=at(55)).iloc[0]
    assert row.known_s == 55 * 60
    assert row.down_s == 6 * 60 + 5 * 60
    assert row.incidents == 2


def test_unknown_time_is_left_out_of_uptime_and_reported_separately():
    unknown = {"insta": Spans.of([to_ns(at(0))], [to_ns(at(30))])}
    row = uptime_table([outage(at(40), at(43))], HOUR, ["insta"], unknown=unknown).iloc[0]
    assert (row.unknown_s, row.known_s, row.down_s) == (1800, 1800, 180)
    assert row.uptime_pct == pytest.approx(90.0)


def test_down_time_during_unknown_time_is_not_counted_twice():
    unknown = {"insta": Spans.of([to_ns(at(10))], [to_ns(at(20))])}
    row = uptime_table([outage(at(5), at(25))], HOUR, ["insta"], unknown=unknown).iloc[0]
    assert (row.down_s, row.known_s) == (600, 3000)
    assert row.uptime_pct == pytest.approx(100 * 2400 / 3000)


def test_a_platform_without_data_has_no_uptime_rather_than_a_perfect_one():
    row = uptime_table([], HOUR, ["insta"], coverage={}).iloc[0]
    assert row.known_s == 0
    assert np.isnan(row.uptime_pct)


def test_days_follow_the_business_timezone_including_a_23_hour_dst_day():
    window = Window(utc(2024, 3, 30, 0), utc(2024, 4, 1, 0))  # London midnight to 01:00 BST
    edges = day_edges(window, "Europe/London")
    lengths = np.diff(edges) / NS / 3600
    assert list(lengths) == [24, 23, 1]
    daily = daily_table([outage(utc(2024, 3, 31, 22, 30), utc(2024, 3, 31, 23, 30))], window,
                        ["insta"], "Europe/London")
    assert list(daily["day"]) == [date(2024, 3, 30), date(2024, 3, 31), date(2024, 4, 1)]
    assert list(daily["down_s"]) == [0, 1800, 1800]
    assert daily["uptime_pct"].iloc[1] == pytest.approx(100 * (23 * 3600 - 1800) / (23 * 3600))
    assert daily["uptime_pct"].iloc[2] == pytest.approx(50.0)


def test_analyse_turns_samples_into_outages_uptime_unknown_time_and_impact():
    samples = rounds("." * 10 + "X" * 6 + "." * 14 + "?" * 10 + "." * 20)
    result = analyse(samples, [INSTA], monitor(), business(), HOUR, now=at(60))
    [found] = result.outages
    assert (found.start, found.end) == (at(10), at(16))
    row = result.uptime.iloc[0]
    assert (row.down_s, row.unknown_s, row.known_s) == (360, 600, 3000)
    assert row.uptime_pct == pytest.approx(100 * (3000 - 360) / 3000)
    assert result.vantage_offline_s == 600
    assert result.vantages_offline_s == {"hq": 600}
    # Monday 13:10 London: business hours, 6 minutes down at 60/h
    assert result.impacts["insta"].amount == pytest.approx(6.0)
    assert result.daily["down_s"].sum() == 360


def test_time_without_samples_is_not_counted_as_up():
    samples = rounds("." * 30, start=at(30))  # monitoring started half-way through the hour
    result = analyse(samples, [INSTA], monitor(), business(), HOUR, now=at(60))
    assert result.uptime.iloc[0].known_s == 1800


def test_analyse_keeps_only_outages_that_touch_the_window():
    samples = rounds("XXX" + "." * 57 + "XXX" + "." * 10)
    window = Window(at(30), at(70))
    result = analyse(samples, [INSTA], monitor(), business(), window, now=at(70))
    assert [o.start for o in result.outages] == [at(60)]


def test_the_summary_json_follows_the_design_contract():
    fb = platform("facebook", name="Facebook")
    samples = combine(rounds("." * 10 + "X" * 6 + "." * 44),
                      rounds("." * 60, platform="facebook"))
    data = summary_json(analyse(samples, [INSTA, fb], monitor(), business(), HOUR, now=at(60)))
    assert data["window"] == {"start": "2024-05-06T12:00:00Z", "end": "2024-05-06T13:00:00Z"}
    assert [p["platform"] for p in data["platforms"]] == ["insta", "facebook"]
    insta, facebook = data["platforms"]
    assert insta["uptime_pct"] == pytest.approx(90.0)
    assert (insta["down_s"], insta["degraded_s"], insta["incidents"]) == (360, 0, 1)
    assert insta["impact"] == {"amount": 6.0, "currency": "GBP"}
    assert facebook["uptime_pct"] == 100.0
    assert data["vantage_offline_s"] == 0
    assert data["assumptions"]
    assert set(insta) >= {"platform", "uptime_pct", "down_s", "degraded_s", "incidents", "impact"}


def test_period_comparison_puts_each_platform_next_to_its_previous_window():
    current = {"platforms": [{"platform": "insta", "uptime_pct": 99.0, "down_s": 60,
                              "incidents": 1, "impact": {"amount": 10.0, "currency": "GBP"}}]}
    previous = {"platforms": [{"platform": "insta", "uptime_pct": 99.5, "down_s": 30,
                               "incidents": 2, "impact": {"amount": 4.0, "currency": "GBP"}}]}
    [row] = compare_summaries(current, previous)
    assert row["uptime_change_pp"] == pytest.approx(-0.5)
    assert row["impact_change"] == pytest.approx(6.0)
    assert (row["incidents"], row["previous_incidents"]) == (1, 2)
    [fresh] = compare_summaries(current, {"platforms": []})
    assert fresh["previous_uptime_pct"] is None and fresh["uptime_change_pp"] is None


def test_uptime_rows_are_a_dataframe_with_one_row_per_platform():
    table = uptime_table([], HOUR, ["a", "b"])
    assert isinstance(table, pd.DataFrame)
    assert list(table["platform"]) == ["a", "b"]
    assert list(table["uptime_pct"]) == [100.0, 100.0]
    assert timedelta(seconds=table["known_s"].iloc[0]) == timedelta(hours=1)


SIX_HOURS = Window(at(0), at(360))
INSTA_DAY = "." * 120 + "X" * 10 + "." * 60 + "?" * 15 + "." * 100 + "M" * 5 + "." * 50
FACEBOOK_DAY = "." * 200 + "X" + "." * 159


@pytest.fixture
def history_settings(data_dir, tmp_path):
    """Six hours of real history (compacted Parquet) for Instagram and Facebook."""
    from support_samples import CONFIG, settings_for, write_history

    samples = combine(rounds(INSTA_DAY), rounds(FACEBOOK_DAY, platform="facebook"))
    write_history(str(data_dir), samples)
    return settings_for(str(data_dir), CONFIG, tmp_path), samples


def test_summarize_reads_the_history_and_matches_an_analysis_of_the_raw_samples(
    history_settings,
):
    from monitors.analysis.windows import summarize

    settings, samples = history_settings
    summary = summarize(settings, SIX_HOURS, now=SIX_HOURS.end)
    raw = summary_json(analyse(samples, list(settings.platforms), settings.monitor,
                               settings.business, SIX_HOURS, now=SIX_HOURS.end))
    assert summary == raw
    insta, facebook = summary["platforms"]
    assert (insta["down_s"], insta["degraded_s"], insta["unknown_s"]) == (600, 300, 900)
    assert insta["incidents"] == 2
    assert insta["uptime_pct"] == pytest.approx(100 * (20700 - 600) / 20700)
    assert insta["impact"]["amount"] > 0
    assert (facebook["uptime_pct"], facebook["incidents"]) == (100.0, 0)
    assert summary["vantage_offline_s"] == 900


def test_summarize_counts_only_the_time_the_history_covers(history_settings):
    from monitors.analysis.windows import summarize

    settings, _ = history_settings
    week = Window(SIX_HOURS.end - timedelta(days=7), SIX_HOURS.end)
    insta = summarize(settings, week, now=week.end)["platforms"][0]
    assert insta["known_s"] == 6 * 3600 - 900
    assert insta["uptime_pct"] == pytest.approx(100 * (20700 - 600) / 20700)


def test_summarize_accepts_a_look_back_and_a_platform_filter(history_settings):
    from monitors.analysis.windows import summarize

    settings, _ = history_settings
    summary = summarize(settings, "6h", platforms=["facebook"], now=SIX_HOURS.end)
    assert [p["platform"] for p in summary["platforms"]] == ["facebook"]
    with pytest.raises(ValueError, match="unknown platform 'nope'"):
        summarize(settings, "6h", platforms=["nope"], now=SIX_HOURS.end)


def test_daily_uptime_from_history_is_per_local_day(history_settings):
    from monitors.analysis.windows import daily_uptime

    settings, _ = history_settings
    daily = daily_uptime(settings, SIX_HOURS, now=SIX_HOURS.end)
    assert set(daily["day"]) == {date(2024, 5, 6)}
    assert daily.set_index("platform").loc["insta", "down_s"] == 600


def test_period_comparison_reads_both_windows(history_settings):
    from monitors.analysis.windows import compare_periods

    settings, _ = history_settings
    second_half = Window(at(180), at(360))
    result = compare_periods(settings, second_half, now=second_half.end)
    insta = next(r for r in result["platforms"] if r["platform"] == "insta")
    assert (insta["incidents"], insta["previous_incidents"]) == (1, 1)
    assert insta["down_s"] == 0 and insta["previous_down_s"] == 600
    assert result["previous"]["window"]["start"] == "2024-05-06T12:00:00Z"


def test_coverage_from_rollups_places_partial_hours_where_the_sampler_ran():
    hours = pd.to_datetime(["2024-05-06 11:00", "2024-05-06 12:00", "2024-05-06 13:00",
                            "2024-05-06 16:00"], utc=True)
    rollups = pd.DataFrame({"hour": hours, "platform": "insta", "check": "web", "vantage": "hq",
                            "n_up": [10, 58, 20, 5], "n_degraded": [0, 1, 0, 0],
                            "n_down": [0, 1, 0, 0], "n_unknown": [0, 0, 0, 0]})
    spans = coverage_from_rollups(rollups, {"insta": 60})["insta"]
    pairs = [(pd.Timestamp(s, tz="UTC").strftime("%H:%M"), pd.Timestamp(e, tz="UTC").strftime(
        "%H:%M")) for s, e in zip(spans.starts, spans.ends, strict=True)]
    # started 11:50, ran to 13:20; later a lone five-minute stretch in the 16:00 hour
    assert pairs == [("11:50", "13:20"), ("16:00", "16:05")]
    assert coverage_from_rollups(rollups, {}) == {}
