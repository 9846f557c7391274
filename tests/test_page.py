"""What the dashboard's pages compute before drawing (monitors/output/page.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd

from monitors.output import charts, page
from monitors.timeutil import Window

NOW = datetime(2026, 3, 30, 14, 37, 21, 500, tzinfo=UTC)  # the Monday after London's DST


def test_a_date_window_is_whole_local_days_up_to_this_minute():
    window = page.date_window(date(2026, 3, 28), date(2026, 3, 30), "Europe/London", NOW)
    assert window.start == datetime(2026, 3, 28, 0, 0, tzinfo=UTC)  # GMT before the change
    assert window.end == datetime(2026, 3, 30, 14, 37, tzinfo=UTC)  # not beyond this minute
    past = page.date_window(date(2026, 3, 29), date(2026, 3, 29), "Europe/London", NOW)
    assert past.end - past.start == timedelta(hours=23)  # the day the clocks went forward


def test_named_windows_end_at_this_minute():
    start, end = page.window_span("24h", NOW)
    assert end == NOW.replace(second=0, microsecond=0) and end - start == timedelta(days=1)


def test_latency_lines_are_hourly_for_two_weeks_then_daily():
    assert page.latency_points(Window(NOW - timedelta(days=14), NOW)) == charts.LATENCY_POINTS
    assert page.latency_points(Window(NOW - timedelta(days=90), NOW)) == 91


def test_headlines_carry_the_change_and_which_way_is_bad():
    comparison = pd.DataFrame([
        {"Measure": "Average uptime", "This window": "99.50 %", "Change": "-0.50 pts"},
        {"Measure": "Outages", "This window": "4", "Change": "+2"},
        {"Measure": "Time down", "This window": "20m", "Change": "same"},
        {"Measure": "Estimated impact", "This window": "£150", "Change": "—"},
    ])
    items = {i["measure"]: i for i in page.headlines(comparison)}
    assert items["Average uptime"] == {"measure": "Average uptime", "value": "99.50 %",
                                       "delta": "-0.50 pts vs previous", "inverse": False}
    assert items["Outages"]["delta"] == "+2 vs previous" and items["Outages"]["inverse"]
    assert items["Time down"]["delta"] is None and items["Estimated impact"]["delta"] is None
