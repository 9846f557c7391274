"""Charts: pure DataFrame -> plotly Figure, one palette, readable hover text."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from support_samples import at, combine, platform, rounds

from monitors.analysis.impact import ImpactEstimate
from monitors.analysis.incidents import Outage
from monitors.output import board as live
from monitors.output import charts, strips, tables

INSTA = platform("insta", name="Instagram")
FB = platform("fb", name="Facebook")


def _outage(**overrides) -> Outage:
    values = {"platform": "insta", "provider": "Meta", "start": at(0), "end": at(42),
              "detected_at": at(2), "severity": "degraded", "cause": "overload (timeouts)",
              "error": "timeout", "checks": ("media",), "ok_checks": ("web",),
              "official_lag_s": 720.0, "official_title": "Media not loading",
              "impact": ImpactEstimate(1250.0, "GBP", revenue=1000.0)}
    return Outage(**{**values, **overrides})


def _frame(*outages: Outage):
    return tables.incident_frame(list(outages), [INSTA, FB], now=at(120))


def test_status_colours_are_green_amber_red_grey():
    assert charts.STATUS_COLORS == {"up": "#16a34a", "degraded": "#f59e0b", "down": "#dc2626",
                                    "unknown": "#94a3b8", "refused": "#64748b"}  # still grey


def test_the_timeline_colours_bars_by_severity():
    fig = charts.outage_timeline(_frame(_outage(), _outage(platform="fb", severity="down",
                                                           start=at(50), end=at(60))),
                                 tz="Europe/London", platforms=["Instagram", "Facebook"])
    colours = {t.name: t.marker.color for t in fig.data}
    assert colours == {"Down": charts.STATUS_COLORS["down"],
                       "Degraded": charts.STATUS_COLORS["degraded"]}


def test_the_timeline_hover_tells_cause_surfaces_duration_impact_and_lead():
    fig = charts.outage_timeline(_frame(_outage()), tz="Europe/London")
    hover = fig.data[0].customdata[0]
    for expected in ("overload (timeouts)", "media down, web up", "42m", "~£1,250",
                     "Detected 12 min before the vendor's status page", "13:00"):
        assert expected in hover


def test_the_timeline_keeps_hostile_vendor_text_literal():
    fig = charts.outage_timeline(_frame(_outage(cause="<script>alert(1)</script>")),
                                 tz="UTC")
    hover = fig.data[0].customdata[0]
    assert "<script>" not in hover and "&lt;script&gt;" in hover


def test_the_timeline_lists_quiet_platforms_and_says_there_were_no_outages():
    fig = charts.outage_timeline(_frame(), tz="UTC", platforms=["Instagram", "Facebook"],
                                 start=at(0), end=at(60))
    assert list(fig.layout.yaxis.categoryarray) == ["Facebook", "Instagram"]
    assert any("No outages" in a.text for a in fig.layout.annotations)


def test_the_timeline_draws_an_ongoing_outage_until_now():
    fig = charts.outage_timeline(_frame(_outage(end=None)), tz="UTC")
    assert fig.data[0].x[0] == pytest.approx(120 * 60_000)
    assert "ongoing" in fig.data[0].customdata[0]


def test_the_heatmap_has_a_cell_per_platform_and_day_and_greys_missing_days():
    daily = pd.DataFrame({"day": [date(2024, 5, 6), date(2024, 5, 7)] * 2,
                          "name": ["Instagram", "Instagram", "Facebook", "Facebook"],
                          "uptime_pct": [100.0, 98.0, 99.95, float("nan")]})
    fig = charts.uptime_heatmap(daily)
    heat = fig.data[0]
    assert list(heat.y) == ["Instagram", "Facebook"]
    assert heat.z[0][1] == 98.0 and pd.isna(heat.z[1][1])
    assert "no data" in heat.customdata[1][1]
    assert fig.layout.plot_bgcolor == "#f1f5f9"


def test_uptime_bars_are_coloured_by_how_bad_the_uptime_is():
    table = pd.DataFrame({"name": ["A", "B", "C"], "7 d": [100.0, 99.5, 97.0]})
    fig = charts.uptime_bars(table, "7 d")
    assert list(fig.data[0].marker.color) == [charts.STATUS_COLORS["up"],
                                              charts.STATUS_COLORS["degraded"],
                                              charts.STATUS_COLORS["down"]]
    assert list(fig.data[0].text) == ["100.00 %", "99.50 %", "97.00 %"]


def test_latency_draws_p50_lines_and_p95_as_bands_shown_on_demand():
    hours = pd.date_range("2024-05-06", periods=3, freq="h", tz="UTC")
    rollups = pd.DataFrame({"hour": list(hours) * 2, "platform": ["insta"] * 3 + ["fb"] * 3,
                            "check": "web", "latency_p50": [100, 110, 120, 50, 60, 70],
                            "latency_p95": [300, 310, 320, 150, 160, 170]})
    fig = charts.latency_chart(rollups, tz="UTC", names={"insta": "Instagram"})
    lines, bands = fig.data[0::2], fig.data[1::2]
    assert [t.name for t in lines] == ["Instagram", "fb"]
    assert all(t.line.width == 2 and t.fill is None for t in lines)
    assert list(lines[0].y) == [100, 110, 120]
    # no second set of spiky lines: each p95 is a filled band from its p50 line up, hidden
    # until asked for (one legend entry toggles them all) when several platforms are shown
    assert all(t.fill == "tonexty" and t.line.width == 0 for t in bands)
    assert all(t.visible == "legendonly" and t.legendgroup == "p95" for t in bands)
    assert [t.showlegend for t in bands] == [True, False]
    assert list(bands[0].y) == [300, 310, 320]
    one = charts.latency_chart(rollups[rollups["platform"] == "fb"], tz="UTC")
    assert one.data[1].visible is True and one.data[1].name == "p95 band"


def test_a_long_window_is_drawn_in_steps_of_hours_that_keep_the_median_and_the_worst():
    hours = pd.date_range("2024-03-01", periods=90 * 24, freq="h", tz="UTC")
    p50 = np.arange(len(hours), dtype=float) % 7 * 10 + 100
    p95 = np.arange(len(hours), dtype=float) % 5 * 40 + 300
    rollups = pd.DataFrame({"hour": hours, "platform": "insta", "check": "web",
                            "latency_p50": p50, "latency_p95": p95})
    fig = charts.latency_chart(rollups, tz="UTC")
    step = charts.latency_bucket_hours(len(hours))
    assert step == 3 and len(fig.data[0].y) == len(hours) // 3 <= charts.LATENCY_POINTS
    assert list(fig.data[0].y[:2]) == [np.median(p50[:3]), np.median(p50[3:6])]
    assert list(fig.data[1].y[:2]) == [p95[:3].max(), p95[3:6].max()]
    assert "per 3 h" in fig.layout.yaxis.title.text


@pytest.mark.parametrize("hours, step", [(1, 1), (800, 1), (801, 2), (2160, 3), (8760, 12),
                                         (10 * 8760, 168)])
def test_the_latency_step_is_the_smallest_that_fits_the_points(hours, step):
    assert charts.latency_bucket_hours(hours) == step


def test_impact_bars_stack_revenue_leads_and_ad_spend_with_a_total_label():
    table = pd.DataFrame({"name": ["Instagram"], "revenue": [100.0], "leads_value": [40.0],
                          "ad_spend": [10.0], "impact": [150.0]})
    fig = charts.impact_bars(table, currency="GBP")
    assert fig.layout.barmode == "stack"
    assert [t.name for t in fig.data[:3]] == ["Lost revenue", "Lost leads (value)",
                                              "Ad spend at risk"]
    assert list(fig.data[3].text) == ["£150"]


def test_the_heartbeat_strip_shows_each_round_in_its_status_colour():
    samples = combine(rounds("..X", platform="fb"), rounds("..M", platform="insta"))
    strip = live.recent_rounds(samples, [INSTA, FB])
    fig = strips.heartbeat_strip(strip, tz="Europe/London")
    by_status = {t.name: (t.marker.color, len(t.x)) for t in fig.data}
    assert by_status == {"Up": (charts.STATUS_COLORS["up"], 4),
                         "Degraded": (charts.STATUS_COLORS["degraded"], 1),
                         "Down": (charts.STATUS_COLORS["down"], 1)}


@pytest.mark.parametrize("build", [
    lambda: charts.outage_timeline(_frame(), tz="UTC"),
    lambda: charts.uptime_heatmap(pd.DataFrame(columns=["day", "name", "uptime_pct"])),
    lambda: charts.uptime_bars(pd.DataFrame({"name": [], "7 d": []}), "7 d"),
    lambda: charts.latency_chart(pd.DataFrame(columns=["hour", "platform", "latency_p50",
                                                       "latency_p95"]), tz="UTC"),
    lambda: charts.impact_bars(pd.DataFrame(columns=["name", "revenue", "leads_value",
                                                     "ad_spend", "impact"]), currency="USD"),
    lambda: strips.heartbeat_strip(pd.DataFrame(columns=["ts", "name", "status", "surfaces"]),
                                   tz="UTC"),
])
def test_empty_inputs_give_a_figure_that_says_why(build):
    fig = build()
    assert fig.layout.annotations and fig.layout.annotations[0].text
    json.loads(fig.to_json())


def test_large_figures_use_bigger_type_for_projectors():
    small = charts.outage_timeline(_frame(_outage()), tz="UTC")
    large = charts.outage_timeline(_frame(_outage()), tz="UTC", large=True)
    assert large.layout.font.size > small.layout.font.size
    assert large.layout.font.family == charts.FONT


def test_times_on_the_axis_are_business_local():
    frame = _frame(_outage(start=at(0), end=at(0) + timedelta(hours=1)))
    fig = charts.outage_timeline(frame, tz="Europe/London")
    assert pd.Timestamp(fig.data[0].base[0]).hour == 13  # 12:00 UTC is 13:00 BST


def test_the_time_split_bars_stack_the_hours_not_fully_up_in_status_colours():
    split = pd.DataFrame([{"platform": "insta", "name": "Instagram", "up_s": 90 * 3600.0,
                           "degraded_s": 6 * 3600.0, "down_s": 3 * 3600.0,
                           "unknown_s": 3600.0, "observed_s": 100 * 3600.0}])
    fig = strips.time_split_bars(split)
    assert [t.name for t in fig.data] == ["Degraded", "Down", "Unknown or refused"]
    assert [t.marker.color for t in fig.data] == [charts.STATUS_COLORS[s] for s in
                                                  ("degraded", "down", "unknown")]
    assert [round(t.x[0], 1) for t in fig.data] == [6.0, 3.0, 1.0]  # hours, not shares
    assert [round(t.customdata[0][1], 1) for t in fig.data] == [6.0, 3.0, 1.0]  # % of time
    all_up = split.assign(degraded_s=0.0, down_s=0.0, unknown_s=0.0)
    assert "Fully up" in strips.time_split_bars(all_up).layout.annotations[0].text

def _bars(fig) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    return [(pd.Timestamp(b), pd.Timestamp(b) + pd.Timedelta(milliseconds=float(w)))
            for trace in fig.data for b, w in zip(trace.base, trace.x, strict=True)]


@pytest.mark.parametrize("large", [False, True])
def test_an_ongoing_outage_at_the_window_end_is_a_visible_bar_inside_the_window(large):
    start, end = at(0), at(7 * 24 * 60)  # seven days, in UTC
    ongoing = _outage(start=end - timedelta(minutes=6), end=None, severity="down")
    frame = tables.incident_frame([ongoing], [INSTA], now=end)
    fig = charts.outage_timeline(frame, tz="UTC", start=start, end=end, large=large)
    ((begin, finish),) = _bars(fig)
    span = end - start
    assert finish - begin >= 0.004 * span  # at least 0.4 % of the window: a visible bar
    lo, hi = pd.Timestamp(start).tz_localize(None), pd.Timestamp(end).tz_localize(None)
    assert lo <= begin and finish <= hi, "the bar runs past the axis and is cut away"


def test_a_short_outage_and_one_that_began_before_the_window_stay_visible():
    start, end = at(0), at(90 * 24 * 60)
    short = _outage(start=at(60), end=at(63), severity="down")
    earlier = _outage(platform="fb", start=at(-600), end=at(2), severity="down")
    frame = tables.incident_frame([short, earlier], [INSTA, FB], now=end)
    fig = charts.outage_timeline(frame, tz="UTC", start=start, end=end)
    lo = pd.Timestamp(start).tz_localize(None)
    for begin, finish in _bars(fig):
        assert finish - begin >= 0.004 * (end - start)
        assert begin >= lo  # only what happened inside the window is drawn


def test_recent_checks_have_distinct_time_labels_even_with_two_second_rounds():
    base = pd.Timestamp("2024-05-06 12:00:00", tz="UTC")
    for spacing_s in (2, 60):
        ts = [base + pd.Timedelta(seconds=spacing_s * i) for i in range(40)]
        rounds_ = pd.DataFrame({"ts": ts * 2, "platform": ["fb"] * 40 + ["insta"] * 40,
                                "name": ["Facebook"] * 40 + ["Instagram"] * 40,
                                "status": "up", "surfaces": ""})
        fig = strips.heartbeat_strip(rounds_, tz="Europe/London")
        labels = list(fig.layout.xaxis.ticktext)
        assert 3 <= len(labels) <= 7
        assert len(set(labels)) == len(labels), labels
    assert labels[0].count(":") == 1  # minute rounds: hours and minutes


def test_the_ninety_day_heatmap_of_fifteen_platforms_stays_readable():
    days = [date(2024, 3, 1) + timedelta(days=i) for i in range(90)]
    names = [f"Platform {i:02d}" for i in range(15)]
    daily = pd.DataFrame([{"day": d, "name": n, "uptime_pct": 99.9} for n in names
                          for d in days])
    fig = charts.uptime_heatmap(daily)
    labels = list(fig.layout.xaxis.ticktext)
    assert 6 <= len(labels) <= 8 and len(set(labels)) == len(labels)  # no crowded day labels
    assert all(len(label) <= 6 for label in labels)  # "7 Mar", "14": short, never rotated
    assert fig.data[0].xgap <= 1  # 90 thin columns keep their colour, not a grid of gaps
    assert list(fig.data[0].y) == names and fig.layout.yaxis.dtick == 1  # every row named
    assert fig.layout.height / len(names) >= 24
    week = charts.uptime_heatmap(daily[daily["day"] < date(2024, 3, 8)])
    assert len(week.layout.xaxis.ticktext) == 7  # a week: every day named


def test_a_titled_chart_keeps_its_title_above_its_legend():
    for large in (False, True):
        fig = charts.outage_timeline(_frame(_outage(), _outage(platform="fb", severity="down")),
                                     tz="UTC", title="Outages in the last 7 days", large=large)
        title, legend, top = fig.layout.title, fig.layout.legend, fig.layout.margin.t
        assert (title.yref, title.y, title.yanchor) == ("container", 1, "top")
        assert (legend.yref, legend.y, legend.yanchor) == ("paper", 1.0, "bottom")
        title_band = title.pad.t + 1.4 * title.font.size
        legend_row = 1.6 * legend.font.size
        assert title_band + legend_row <= top  # two bands stacked in the top margin
