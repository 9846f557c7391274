"""Measured impact on SYNTHETIC series with a known injected loss and recapture.

The truth is what the scenario removed (and gave back): the measured figure must be close
to it and its 95 % interval must cover it in at least 90 % of seeded runs.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from support_series import TZ, scenario

from monitors.analysis.calibration import calibrate
from monitors.analysis.measured import around, measure
from monitors.analysis.series import LoadedSeries, SeriesSet
from monitors.config import Business, Impact, Platform

BUSINESS = Business(currency="GBP", timezone=TZ, hours="Mon-Fri 09:00-18:00")
SEEDS = range(40)


def measured(sc, business=BUSINESS):
    return measure(SeriesSet((sc.series,)), sc.outages, business)


def test_measured_loss_is_within_ten_percent_of_the_truth_in_every_seeded_run():
    errors = []
    for seed in SEEDS:  # 50 orders an hour at its busiest, lognormal order values, 4 h down
        sc = scenario(seed)
        loss = measured(sc).incidents[0].loss
        errors.append(abs(loss.value - sc.loss) / sc.loss)
    assert max(errors) < 0.10, sorted(errors)[-3:]
    assert np.median(errors) < 0.05


def test_the_interval_covers_the_injected_loss_recapture_and_net_in_90_percent_of_runs():
    loss = back = net = 0
    for seed in SEEDS:
        sc = scenario(seed, drop=0.7, recapture=0.3)
        m = measured(sc).incidents[0]
        loss += m.loss.low <= sc.loss <= m.loss.high
        back += m.recaptured.low <= sc.recaptured <= m.recaptured.high
        net += m.net.low <= sc.loss - sc.recaptured <= m.net.high
    assert min(loss, back, net) >= 0.9 * len(SEEDS), (loss, back, net)


def test_with_no_loss_injected_the_interval_contains_zero():
    holds = 0
    for seed in SEEDS:
        sc = scenario(seed, drop=0.0, recapture=0.0)
        m = measured(sc).incidents[0]
        holds += m.loss.low <= 0 <= m.loss.high and m.recaptured.low <= 0 <= m.recaptured.high
        assert abs(m.loss.value) < m.loss.high - m.loss.low  # noise, not a figure
    assert holds >= 0.9 * len(SEEDS)


def test_an_outage_in_the_week_the_clocks_change_is_measured_on_the_wall_clock():
    # 2026-03-29: London moves to BST. The pattern follows local hours, so a UTC-hour
    # baseline would be an hour off for every hour of the days after.
    start = datetime(2026, 3, 30, 12, 0, tzinfo=UTC)  # Monday 13:00 BST
    errors = []
    for seed in range(10):
        sc = scenario(seed, start="2026-02-02", weeks=12, outages=[(start, 4.0)])
        m = measured(sc).incidents[0]
        errors.append(abs(m.loss.value - sc.loss) / sc.loss)
        assert m.loss.low <= sc.loss <= m.loss.high or errors[-1] < 0.05
    assert max(errors) < 0.10


def test_missing_hours_are_left_out_not_read_as_zero_sales():
    sc = scenario(3)
    values = sc.series.values.copy()
    rng = np.random.default_rng(0)
    out = next(i for i, t in enumerate(values.index) if t >= sc.outages[0].start)
    others = np.setdiff1d(np.arange(len(values)), np.arange(out, out + 4))
    gone = rng.choice(others, size=len(values) // 20, replace=False)
    values.iloc[gone] = np.nan  # an export that skipped 5 % of its hours
    values.iloc[out] = np.nan  # one of the outage's four hours too
    holed = LoadedSeries(**{**sc.series.__dict__, "values": values})
    m = measure(SeriesSet((holed,)), sc.outages, BUSINESS).incidents[0]
    assert m.trusted
    # three of four hours measured: about three quarters of the loss, never more than all
    assert 0.6 * sc.loss < m.loss.value < 0.9 * sc.loss


def test_an_outage_the_series_has_no_data_for_is_not_measured():
    sc = scenario(4)
    values = sc.series.values.copy()
    start, end = sc.outages[0].start, sc.outages[0].end
    values[(values.index >= start) & (values.index < end)] = np.nan
    holed = LoadedSeries(**{**sc.series.__dict__, "values": values})
    m = measure(SeriesSet((holed,)), sc.outages, BUSINESS)
    assert m.incidents[0].loss is None
    assert "no data" in m.incidents[0].reason
    assert m.platform_json("instagram")["revenue"] is None


def test_a_series_shorter_than_the_baseline_needs_says_not_enough_history():
    sc = scenario(5, weeks=2, outages=[(datetime(2026, 1, 13, 12, tzinfo=UTC), 3.0)])
    m = measured(sc)
    assert m.incidents[0].loss is None
    assert "not enough history" in m.incidents[0].reason
    assert m.platform_json("instagram") == {"revenue": None}


def test_an_outage_before_the_series_starts_is_not_measured():
    sc = scenario(6)
    early = datetime(2025, 12, 1, 12, tzinfo=UTC)
    outages = [*sc.outages, type(sc.outages[0])(
        platform="instagram", provider="Meta", start=early,
        end=early + pd.Timedelta(hours=2), detected_at=early, severity="down", cause="x")]
    m = measure(SeriesSet((sc.series,)), outages, BUSINESS)
    early_m = next(i for i in m.incidents if i.start == early)
    assert early_m.loss is None and "does not cover" in early_m.reason
    total = m.platforms["instagram"]["revenue"]
    assert (total.measured, total.outages) == (1, 2)  # the other one still counts


def test_a_holiday_in_the_baseline_weeks_does_not_pull_the_expected_value_down():
    sc = scenario(7, drop=1.0)
    values = sc.series.values.copy()
    out = sc.outages[0].start
    holiday = (values.index >= out - pd.Timedelta(days=7, hours=14)) & (
        values.index < out - pd.Timedelta(days=6, hours=14))  # the same weekday a week before
    values[holiday] *= 0.2
    quiet = LoadedSeries(**{**sc.series.__dict__, "values": values})
    with_holiday = measure(SeriesSet((quiet,)), sc.outages, BUSINESS).incidents[0]
    without = measured(sc).incidents[0]
    assert abs(with_holiday.loss.value - without.loss.value) < 0.03 * sc.loss
    assert abs(with_holiday.loss.value - sc.loss) < 0.1 * sc.loss


def test_an_earlier_outage_the_monitor_never_saw_is_left_out_of_the_fit():
    sc = scenario(8)
    values = sc.series.values.copy()
    out = sc.outages[0].start
    unseen = (values.index >= out - pd.Timedelta(days=14)) & (
        values.index < out - pd.Timedelta(days=14) + pd.Timedelta(hours=5))
    values[unseen] = 0.0
    dipped = LoadedSeries(**{**sc.series.__dict__, "values": values})
    m = measure(SeriesSet((dipped,)), sc.outages, BUSINESS)
    assert abs(m.incidents[0].loss.value - sc.loss) < 0.1 * sc.loss
    assert not m.baselines[("instagram", "revenue")].clean[unseen].any()


def test_around_gives_actual_and_expected_with_a_band_and_the_outage_marked():
    sc = scenario(9)
    m = measured(sc)
    frame = around(m.baselines[("instagram", "revenue")], sc.outages[0].start,
                   sc.outages[0].end, hours=12)
    assert len(frame) == 4 + 24
    assert frame["outage"].sum() == 4
    inside = frame[frame["outage"]]
    assert (inside["actual"] < inside["low"]).all()  # everything lost: below the band
    assert (frame["low"] <= frame["expected"]).all() and (frame["expected"] <= frame["high"]).all()


def test_ad_spend_during_an_outage_is_what_was_spent_while_down():
    index = pd.date_range("2026-01-05", periods=24 * 7 * 6, freq="h", tz="UTC")
    spend = pd.Series(2.5, index=index)  # £60 a day, evenly
    series = LoadedSeries("instagram", "ad_spend", spend, "hour", "ads.csv", timezone=TZ)
    outage = scenario(0, weeks=6, outages=[(datetime(2026, 2, 3, 10, 30, tzinfo=UTC), 3.0)])
    m = measure(SeriesSet((series,)), outage.outages, BUSINESS).incidents[0]
    assert m.loss.value == pytest.approx(7.5)
    assert m.recaptured is None and m.unit == "GBP"


def test_calibration_says_what_the_data_suggest_beside_each_assumption():
    outages = [(datetime(2026, 2, 10, 10, tzinfo=UTC), 4.0),
               (datetime(2026, 3, 3, 13, tzinfo=UTC), 3.0)]
    sc = scenario(11, outages=outages, recapture=0.3)
    platform = Platform(id="instagram", name="Instagram",
                        checks=[{"id": "web", "kind": "tcp", "host": "127.0.0.1", "port": 9}],
                        impact=Impact(revenue_per_hour=40, recapture=0.1))
    found = {s.field: s for s in calibrate(measured(sc), {"instagram": platform}, BUSINESS)}
    busy = sc.mean[sc.series.values.index.tz_convert(TZ).hour.isin(range(9, 18))
                   & (sc.series.values.index.tz_convert(TZ).day_of_week < 5)].mean()
    revenue = found["revenue_per_hour"]
    assert revenue.low <= busy <= revenue.high  # £1,500/h in business hours, truly
    assert revenue.assumed == 40
    assert "You assumed GBP 40/h in business hours on Instagram" in revenue.sentence
    assert "synthetic data" in revenue.sentence
    assert "revenue_per_hour = " in revenue.toml and 'id = "instagram"' in revenue.toml
    share = found["recapture"]
    assert share.low <= 0.3 <= share.high
    assert "off_hours_weight" in found


def test_calibration_keeps_quiet_where_the_data_cannot_tell():
    # one outage (a recapture share needs two) and weeks that swing from a fifth to three
    # times the usual: the mean per hour is known too loosely to advise on
    sc = scenario(12)
    values = sc.series.values.copy()
    week = (values.index - values.index[0]).days // 7
    values *= np.where(week % 2 == 0, 0.2, 3.0)
    swinging = LoadedSeries(**{**sc.series.__dict__, "values": values})
    platform = Platform(id="instagram", name="Instagram",
                        checks=[{"id": "web", "kind": "tcp", "host": "127.0.0.1", "port": 9}])
    result = measure(SeriesSet((swinging,)), sc.outages, BUSINESS)
    found = {s.field for s in calibrate(result, {"instagram": platform}, BUSINESS)}
    assert "recapture" not in found and "revenue_per_hour" not in found
    steady = {s.field for s in calibrate(measured(sc), {"instagram": platform}, BUSINESS)}
    assert "revenue_per_hour" in steady  # the same shop without the swings: advice
