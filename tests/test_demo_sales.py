"""The demo shop's DEMO (synthetic) sales series: it exists, parses, and dips where the
backfilled outages are (and only there), with the truth recorded beside it."""

from __future__ import annotations

import json
import tomllib
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from monitors import history
from monitors.analysis import incidents
from monitors.demo import sales
from monitors.demo.backfill import PAST, backfill
from monitors.demo.config import demo_config, write_demo_settings
from monitors.demo.servers import SimPlatforms
from monitors.demo.story import Story

END = datetime(2026, 12, 3, 13, 17, 41, tzinfo=UTC)
SPAN_S = 90 * 86400.0


def _frame(text: str) -> pd.DataFrame:
    frame = pd.read_csv(pd.io.common.StringIO(text), skiprows=1)
    frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
    return frame


def _hours(frame: pd.DataFrame, platform: str, metric: str = "revenue") -> pd.Series:
    rows = frame[frame["platform"] == platform]
    return rows.set_index("hour")[metric]


@pytest.fixture(scope="module")
def table() -> tuple[pd.DataFrame, dict]:
    """The series for a fixed end, and its truth."""
    text, truth = sales.sales_table(END, SPAN_S)
    assert text.startswith("# DEMO sales (synthetic)")
    return _frame(text), truth


def test_the_series_has_every_complete_hour_of_the_span_for_three_platforms(table):
    frame, _ = table
    assert set(frame["platform"]) == {"instagram", "facebook", "whatsapp"}
    hours = frame["hour"].drop_duplicates()
    assert hours.is_monotonic_increasing and hours.diff().dropna().eq(timedelta(hours=1)).all()
    assert hours.iloc[-1] == pd.Timestamp("2026-12-03 12:00", tz="UTC")  # 13:00 is not over
    assert hours.iloc[0] >= pd.Timestamp(END - timedelta(seconds=SPAN_S))
    assert len(frame) == 3 * len(hours) and (frame[["revenue", "orders", "leads"]] >= 0).all().all()


def test_it_is_the_same_series_for_the_same_end(table):
    frame, truth = table
    again, truth_again = sales.sales_table(END, SPAN_S)
    pd.testing.assert_frame_equal(frame, _frame(again))
    assert truth == truth_again


def test_the_truth_lists_each_down_outage_of_the_three_platforms_and_nothing_else(table):
    _, truth = table
    found = {(i["platform"], i["start"]) for i in truth["incidents"]}
    expected = {(p, sales.outage_window(past, END, SPAN_S)[0].isoformat())
                for past in PAST if past.status == "down"
                for p in past.platforms if p in sales.CHANNELS}
    assert found == expected and len(found) == 4  # Meta (3 platforms) and Instagram alone
    meta = [i for i in truth["incidents"] if i["metric"] == "revenue" and i["platform"] ==
            "instagram" and i["loss"] > 500]
    assert meta and all(0 < i["recaptured"] < i["loss"] for i in meta)


def _ratio(series: pd.Series, start: datetime, stop: datetime) -> float:
    """Sum over the whole hours inside [start, stop) against the same local hours of the
    other weeks (mean), so the weekly pattern and the clock change are taken out."""
    first = pd.Timestamp(start).ceil("h")
    last = pd.Timestamp(stop).floor("h")
    span = pd.date_range(first, last, freq="h", inclusive="left")
    local = span.tz_convert(sales.TIMEZONE)
    during = series.reindex(span).sum()
    others = []
    for week in range(-12, 13):
        if week:
            shifted = (local.tz_localize(None) + pd.Timedelta(weeks=week)).tz_localize(
                sales.TIMEZONE, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
            if shifted[0] >= series.index[0] and shifted[-1] <= series.index[-1]:
                others.append(series.reindex(shifted).sum())
    return during / (sum(others) / len(others))


def test_sales_fall_during_the_meta_outage_and_come_back_a_little_after(table):
    frame, _ = table
    start, stop = sales.outage_window(PAST[0], END, SPAN_S)
    for platform in ("instagram", "facebook", "whatsapp"):
        revenue = _hours(frame, platform)
        assert _ratio(revenue, start, stop) < 0.3, platform
    instagram = _hours(frame, "instagram", "orders")
    after = stop.replace(minute=0) + timedelta(hours=1)
    assert _ratio(instagram, after, after + timedelta(hours=sales.RECAPTURE_H)) > 1.05


def test_our_own_network_being_offline_does_not_dent_the_sales(table):
    frame, _ = table
    offline = next(p for p in PAST if p.error == "vantage_offline")
    start, stop = sales.outage_window(offline, END, SPAN_S)
    for platform in sales.CHANNELS:
        assert (start, stop) not in sales.outages_of(platform, END, SPAN_S)
    revenue = sum(_hours(frame, platform) for platform in sales.CHANNELS)
    assert 0.75 < _ratio(revenue, start - timedelta(hours=12), stop + timedelta(hours=12)) < 1.3


def test_the_demo_config_maps_the_series_labelled_demo_and_synthetic(tmp_path):
    sim = SimPlatforms(Story()).start()
    try:
        without = write_demo_settings(demo_config(sim), str(tmp_path / "plain"))
        settings = write_demo_settings(demo_config(sim, sales=True), str(tmp_path / "d"))
    finally:
        sim.stop()
    assert without.business.series == []
    series = settings.business.series
    assert [s.metric for s in series] == ["revenue", "orders", "leads"]
    assert all(s.synthetic and s.label.startswith("DEMO") and s.file == sales.SALES_FILE
               for s in series)
    raw = tomllib.loads((tmp_path / "d" / "demo.toml").read_text(encoding="utf-8"))
    assert raw["business"]["series"][0]["channel"] == "platform"


@pytest.mark.slow
def test_the_written_series_dips_on_the_outages_detected_in_the_backfilled_history(tmp_path):
    sim = SimPlatforms(Story()).start()
    try:
        settings = write_demo_settings(demo_config(sim, sales=True), str(tmp_path))
    finally:
        sim.stop()
    end = datetime.now(UTC)
    backfill(settings, SPAN_S, end=end)
    truth = sales.write_sales(str(tmp_path), end, SPAN_S)
    assert json.loads((tmp_path / sales.TRUTH_FILE).read_text()) == truth
    frame = _frame((tmp_path / sales.SALES_FILE).read_text(encoding="utf-8"))
    samples = history.read_eventful_samples(str(tmp_path), end - timedelta(days=91), end)
    outages = [o for o in incidents.detect(samples, settings.platforms, settings.monitor)
               if o.platform in sales.CHANNELS]
    assert {(o.platform, o.start.isoformat()) for o in outages} == {
        (i["platform"], i["start"]) for i in truth["incidents"]}
    for outage in outages:
        hours = (outage.end - outage.start).total_seconds() / 3600
        if hours >= 2:  # whole hours inside it to compare
            assert _ratio(_hours(frame, outage.platform), outage.start, outage.end) < 0.3
