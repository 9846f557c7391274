"""Impact estimates against hand-computed figures: business hours, DST, severity, recapture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support_samples import at, business, monitor, platform, rounds

from monitors.analysis.impact import estimate, to_json, total, weighted_hours
from monitors.analysis.incidents import Outage, detect
from monitors.analysis.summary import summary_json
from monitors.analysis.uptime import analyse
from monitors.config import Impact
from monitors.timeutil import Window

VALUE = Impact(revenue_per_hour=100, leads_per_hour=2, lead_value=10, ad_spend_per_day=240,
               recapture=0.25)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def outage(start: datetime, end: datetime | None, severity: str = "down", **extra) -> Outage:
    return Outage(platform="insta", provider="Meta", start=start, end=end, detected_at=start,
                  severity=severity, cause="servers unreachable", **extra)


def test_impact_across_a_dst_change_equals_the_hand_computed_figure():
    # Sat 30 Mar 12:00 UTC -> Mon 1 Apr 12:00 UTC; London springs forward on Sun 31 Mar.
    # Monday is BST, so 09:00 local is 08:00 UTC: 4 business hours (08-12 UTC), 44 other hours.
    # weighted = 4 + 44 x 0.3 = 17.2 h
    result = estimate(outage(utc(2024, 3, 30, 12), utc(2024, 4, 1, 12)), VALUE, business())
    assert result.weighted_hours == pytest.approx(17.2)
    assert result.revenue == pytest.approx(100 * 17.2 * 0.75)  # 25% of sales come back
    assert result.leads == pytest.approx(2 * 17.2)
    assert result.leads_value == pytest.approx(344.0)
    assert result.ad_spend == pytest.approx(10 * 17.2)
    assert result.amount == pytest.approx(1290 + 344 + 172)
    assert result.currency == "GBP"


def test_the_repeated_hour_of_a_dst_fall_back_counts_twice_when_it_is_business_time():
    # New York falls back on Sun 3 Nov 2024: 01:00-02:00 local happens twice (05-06 and
    # 06-07 UTC). Open "Sun 01:00-02:00": 2 business hours in 04-08 UTC, 2 other hours.
    shop = business(timezone="America/New_York", hours="Sun 01:00-02:00")
    assert weighted_hours(utc(2024, 11, 3, 4), utc(2024, 11, 3, 8), shop) == pytest.approx(2.6)


def test_the_skipped_hour_of_a_dst_spring_forward_is_never_business_time():
    shop = business(hours="Sun 01:00-02:00")  # 01:00-02:00 does not exist in London that day
    assert weighted_hours(utc(2024, 3, 31, 0), utc(2024, 3, 31, 3), shop) == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        # Monday 6 May 2024, London is UTC+1: 08:30-09:30 local is half off, half open
        (utc(2024, 5, 6, 7, 30), utc(2024, 5, 6, 8, 30), 0.5 * 0.3 + 0.5),
        # 17:45-18:15 local: a quarter hour open, a quarter hour after closing
        (utc(2024, 5, 6, 16, 45), utc(2024, 5, 6, 17, 15), 0.25 + 0.25 * 0.3),
        # seconds count too: 08:59:30-09:00:30 local
        (utc(2024, 5, 6, 7, 59, 30), utc(2024, 5, 6, 8, 0, 30), (30 * 0.3 + 30) / 3600),
        # Saturday midday: off hours only
        (utc(2024, 5, 4, 11), utc(2024, 5, 4, 13), 2 * 0.3),
    ],
)
def test_impact_across_business_hours_boundaries_is_weighted_per_minute(start, end, hours):
    assert weighted_hours(start, end, business()) == pytest.approx(hours)


def test_a_thirty_day_outage_counts_every_business_day():
    # Mon 6 May 00:00 BST for 30 days: 22 weekdays x 9 h open, 720 - 198 = 522 h at 0.3
    result = estimate(outage(utc(2024, 5, 5, 23), utc(2024, 6, 4, 23)), VALUE, business())
    assert result.weighted_hours == pytest.approx(198 + 522 * 0.3)


def test_degraded_time_counts_the_degraded_factor():
    degraded = outage(utc(2024, 5, 6, 9), utc(2024, 5, 6, 10), severity="degraded")
    assert estimate(degraded, VALUE, business()).weighted_hours == pytest.approx(0.3)
    half = estimate(degraded, VALUE, business(degraded_factor=0.5))
    assert half.weighted_hours == pytest.approx(0.5)


def test_only_the_down_stretches_of_an_outage_count_fully():
    mixed = outage(utc(2024, 5, 6, 9), utc(2024, 5, 6, 10),
                   down_spans=((utc(2024, 5, 6, 9, 15), utc(2024, 5, 6, 9, 30)),))
    assert estimate(mixed, VALUE, business()).weighted_hours == pytest.approx(0.25 + 0.75 * 0.3)


def test_an_ongoing_outage_is_counted_up_to_now():
    ongoing = outage(utc(2024, 5, 6, 9), None)
    result = estimate(ongoing, VALUE, business(), now=utc(2024, 5, 6, 9, 30))
    assert result.weighted_hours == pytest.approx(0.5)
    assert any("ongoing" in a for a in result.assumptions)


def test_an_estimate_can_be_limited_to_a_window():
    long = outage(utc(2024, 5, 6, 8), utc(2024, 5, 6, 12))
    window = Window(utc(2024, 5, 6, 10), utc(2024, 5, 7))
    assert estimate(long, VALUE, business(), within=window).weighted_hours == pytest.approx(2)
    before = Window(utc(2024, 5, 1), utc(2024, 5, 2))
    assert estimate(long, VALUE, business(), within=before).amount == 0


def test_every_estimate_states_its_assumptions_in_plain_words():
    result = estimate(outage(utc(2024, 5, 6, 9), utc(2024, 5, 6, 10)), VALUE, business())
    text = " ".join(result.assumptions)
    assert "Mon-Fri 09:00-18:00" in text and "Europe/London" in text
    assert "30%" in text  # off hours and degraded
    assert "25% of lost sales come back later" in text
    assert "leads and ad spend do not" in text
    blank = estimate(outage(utc(2024, 5, 6, 9), utc(2024, 5, 6, 10)), Impact(), business())
    assert blank.amount == 0
    assert any("No business value" in a for a in blank.assumptions)


def test_detect_fills_each_outage_with_its_platform_impact():
    insta = platform("insta", impact=VALUE)
    start = utc(2024, 5, 6, 9)  # 10:00 London, business hours
    samples = rounds("X" * 60 + "..", start=start)
    [found] = detect(samples, [insta], monitor(), business=business())
    assert found.impact.weighted_hours == pytest.approx(1.0)
    assert found.impact.amount == pytest.approx(75 + 20 + 10)
    assert to_json(found.impact) == {"amount": 105.0, "currency": "GBP"}


def test_totals_add_up_and_keep_each_assumption_once():
    one = estimate(outage(at(0), at(60)), VALUE, business())
    two = estimate(outage(at(100), at(130)), VALUE, business())
    both = total([one, two], "GBP")
    assert both.amount == pytest.approx(one.amount + two.amount)
    assert both.leads == pytest.approx(one.leads + two.leads)
    assert both.assumptions == one.assumptions


def test_a_zero_length_outage_costs_nothing():
    moment = outage(utc(2024, 5, 6, 9), utc(2024, 5, 6, 9))
    assert estimate(moment, VALUE, business()).amount == 0
    assert weighted_hours(utc(2024, 5, 6, 9), utc(2024, 5, 6, 9) - timedelta(1), business()) == 0


# ------------------------------------------------------------------ scheduled maintenance
def _maintenance_analysis(pattern: str, official: str):
    insta = platform("insta", impact=VALUE)
    samples = rounds(pattern, official=official)
    window = Window(at(0), at(len(pattern)))
    result = analyse(samples, [insta], monitor(), business(), window, now=at(len(pattern)))
    return result, summary_json(result)["platforms"][0]


def test_maintenance_while_the_surfaces_work_costs_nothing():
    # two hours of vendor maintenance on a Monday afternoon; web and media answer throughout
    result, row = _maintenance_analysis("." * 130, "." * 5 + "W" * 120 + "." * 5)
    (found,) = result.outages
    assert found.maintenance and found.sources == ("official",)
    assert found.impact.amount == 0 and found.impact.maintenance
    assert "no cost" in found.impact.assumptions[0]
    assert row["impact"]["amount"] == 0 and row["maintenance_impact"]["amount"] == 0


def test_maintenance_that_takes_surfaces_down_is_costed_apart_from_unplanned_outages():
    pattern = "." * 5 + "W" * 60 + "." * 5 + "X" * 30 + "." * 5
    result, row = _maintenance_analysis(pattern, pattern.replace("X", "."))
    planned = [o for o in result.outages if o.maintenance]
    unplanned = [o for o in result.outages if not o.maintenance]
    assert len(planned) == 1 and len(unplanned) == 1
    assert planned[0].impact.amount > 0 and planned[0].impact.maintenance
    assert row["maintenance_impact"]["amount"] == pytest.approx(planned[0].impact.amount, 0.01)
    assert row["impact"]["amount"] == pytest.approx(unplanned[0].impact.amount, 0.01)
