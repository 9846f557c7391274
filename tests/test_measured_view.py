"""Measured impact for people: the texts say which figure is measured and which assumed, the
calibration TOML parses, the chart draws actual vs expected, uploads come back as series."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from conftest import LOOPBACK_CONFIG

from monitors.analysis.calibration import Suggestion
from monitors.analysis.impact import ImpactEstimate
from monitors.analysis.measured import IncidentMeasure, Measurement, MetricMeasure, Range
from monitors.analysis.series import LoadedSeries, SeriesSet
from monitors.config import Platform, load_settings
from monitors.history import uploads
from monitors.history.store import open_store
from monitors.output import measured_charts, measured_view, uploaded

T0 = datetime(2026, 11, 2, 10, tzinfo=UTC)
PLATFORMS = [Platform.model_validate({"id": pid, "name": name, "checks": [
    {"id": "web", "kind": "http", "url": "http://127.0.0.1:9/"}]})
    for pid, name in (("instagram", "Instagram"), ("facebook", "Facebook"))]
NAMES = {p.id: p.name for p in PLATFORMS}


def _metric(metric: str, loss: Range | None, *, net: Range | None = None, unit: str = "GBP",
            synthetic: bool = False, reason: str | None = None) -> MetricMeasure:
    return MetricMeasure(metric=metric, unit=unit, label="shop.csv", synthetic=synthetic,
                         loss=loss, recaptured=None, net=net, measured=1 if loss else 0,
                         outages=1, reason=reason)


def _series(label: str, synthetic: bool) -> LoadedSeries:
    index = pd.date_range(T0, periods=3, freq="h")
    return LoadedSeries("instagram", "revenue", pd.Series([1.0, 2.0, 3.0], index=index),
                        "hour", label, synthetic)


def _measurement(*, synthetic: bool = False) -> Measurement:
    return Measurement(platforms={
        "instagram": {
            "revenue": _metric("revenue", Range(300.0, 200.0, 410.0),
                               net=Range(240.0, 120.0, 365.0), synthetic=synthetic),
            "orders": _metric("orders", Range(12.0, 8.04, 15.26), net=Range(9.5, 5.0, 14.0),
                              unit="orders", synthetic=synthetic),
            "ad_spend": _metric("ad_spend", Range(7.5, 7.5, 7.5), synthetic=synthetic),
        },
        "facebook": {"revenue": _metric("revenue", None, reason="not enough history "
                                        "(2.1 of 3 weeks)")},
    }, series=SeriesSet(series=(_series("DEMO sales: revenue", synthetic),)))


IMPACTS = {"instagram": ImpactEstimate(amount=400.0, currency="GBP", revenue=310.0,
                                       ad_spend=9.0)}


def test_each_row_puts_the_assumed_estimate_beside_the_measured_net_figure():
    frame = measured_view.comparison(_measurement(), IMPACTS, PLATFORMS, "GBP")
    rows = frame.set_index(["platform", "metric"])
    revenue = rows.loc[("instagram", "revenue")]
    assert (revenue.estimated, revenue.measured) == (310.0, 240.0)  # net, like the estimate
    assert revenue.estimated_text == "£310"
    assert revenue.measured_text == "£240 (likely £120–£365)"
    assert rows.loc[("instagram", "orders")].estimated_text == "— (no assumption)"
    assert rows.loc[("instagram", "orders")].measured_text == "9.5 orders (likely 5.0–14.0 orders)"
    assert rows.loc[("instagram", "ad_spend")].measured_text == "£7.50"  # spent while down
    facebook = rows.loc[("facebook", "revenue")]
    assert not facebook.trusted and facebook.estimated_text == "£0"
    assert facebook.measured_text == "not enough history (2.1 of 3 weeks)"


def test_the_table_headers_and_the_lines_say_which_is_assumed_and_which_measured():
    frame = measured_view.comparison(_measurement(), IMPACTS, PLATFORMS, "GBP")
    table = measured_view.comparison_table(frame)
    assert list(table.columns) == ["Platform", "Figure", "Estimated (assumed)",
                                   "Measured (your numbers)", "From"]
    lines = measured_view.headline_lines(frame)
    assert lines[0] == ("Instagram · lost sales: estimated £310 (assumed) · measured £240 "
                        "(likely £120–£365)")
    assert any(line.startswith("Facebook · lost sales: estimated £0 (assumed) · measured not "
                               "enough history") for line in lines)


def test_synthetic_series_are_labelled_in_the_table_and_the_note():
    real, fake = _measurement(), _measurement(synthetic=True)
    assert measured_view.synthetic_note(real) == ""
    assert measured_view.synthetic_note(None) == ""
    assert measured_view.synthetic_note(fake).startswith("SYNTHETIC sample data: ")
    assert measured_view.synthetic_note(fake, demo=True).startswith("DEMO data: ")
    table = measured_view.comparison_table(
        measured_view.comparison(fake, IMPACTS, PLATFORMS, "GBP"))
    assert table["From"].iloc[0] == "shop.csv · SYNTHETIC"


def test_platforms_not_selected_are_left_out_and_nothing_measured_is_an_empty_table():
    frame = measured_view.comparison(_measurement(), IMPACTS, PLATFORMS[1:], "GBP")
    assert set(frame["platform"]) == {"facebook"}
    assert measured_view.comparison(None, IMPACTS, PLATFORMS, "GBP").empty


@pytest.mark.parametrize(("found", "unit", "text"), [
    (Range(1234.4, -5.43, 2000.2), "USD", "$1,234 (likely -$5–$2,000)"),
    (Range(4.0, 1.25, 6.5), "USD", "$4 (likely $1.25–$6.50)"),
    (Range(2.0, -0.5, 4.5), "leads", "2.0 leads (likely -0.5–4.5 leads)"),
    (None, "USD", "not enough history"),
])
def test_ranges_read_as_one_figure_and_a_likely_range(found, unit, text):
    assert measured_view.range_text(found, unit, "USD") == text


def _suggestion(platform: str | None, field: str, assumed: float, value: float) -> Suggestion:
    return Suggestion(platform=platform, field=field, assumed=assumed, suggested=value,
                      low=value * 0.9, high=value * 1.1, sentence=f"{field}: {value}",
                      toml="", basis="shop.csv, 89 days")


def test_the_calibration_snippet_has_one_block_per_platform_and_each_block_is_toml():
    snippet = measured_view.calibration_toml([
        _suggestion("instagram", "revenue_per_hour", 260, 308),
        _suggestion("instagram", "recapture", 0.4, 0.28),
        _suggestion("facebook", "leads_per_hour", 2, 2.2),
        _suggestion(None, "off_hours_weight", 0.3, 0.23)])
    blocks = snippet.split("\n\n")
    assert len(blocks) == 3 and blocks[0].startswith(
        '# in the [[platforms]] table with id = "instagram"\n[platforms.impact]\n')
    assert tomllib.loads(blocks[0]) == {"platforms": {"impact": {
        "revenue_per_hour": 308, "recapture": 0.28}}}
    assert tomllib.loads(blocks[2]) == {"business": {"off_hours_weight": 0.23}}
    assert "assumed 260" in blocks[0]


def _incident(platform: str, metric: str, start: datetime, trusted: bool) -> IncidentMeasure:
    figure = Range(10.0, 5.0, 15.0) if trusted else None
    return IncidentMeasure(platform=platform, metric=metric, start=start,
                           end=start + timedelta(hours=2), unit="GBP", label="shop.csv",
                           synthetic=False, loss=figure, net=figure, expected=50.0,
                           actual=40.0 if trusted else None,
                           reason=None if trusted else "the series does not cover this outage")


def test_chart_choices_put_measured_incidents_first_newest_first_and_say_when_not_measured():
    older, newer = T0 - timedelta(days=3), T0
    measurement = Measurement(incidents=[
        _incident("instagram", "revenue", older, True),
        _incident("instagram", "revenue", newer, False),
        _incident("facebook", "revenue", newer, True),
        _incident("facebook", "orders", older, True)],
        baselines={("instagram", "revenue"): object(), ("facebook", "revenue"): object()})
    choices = measured_view.chart_choices(measurement, NAMES, "Europe/London")
    assert [index for index, _ in choices] == [2, 0, 1]  # no baseline for orders: not offered
    assert choices[0][1] == "Facebook · 02 Nov 10:00 · lost sales"
    assert choices[-1][1].endswith("(not measured)")
    assert measured_view.no_figure("the series does not cover this outage") == (
        "not measured (the series does not cover this outage)")
    assert measured_view.no_figure(None) == "not enough history"
    rows = measured_view.incident_rows(measurement, NAMES, "Europe/London", "GBP")
    assert rows["Why no figure"].tolist().count(
        "not measured (the series does not cover this outage)") == 1


def _around(n: int = 48) -> pd.DataFrame:
    ts = pd.date_range(T0 - timedelta(hours=24), periods=n, freq="h", tz="UTC")
    expected = 50 + 20 * np.sin(np.arange(n) / 24 * 2 * np.pi)
    outage = (ts >= T0) & (ts < T0 + timedelta(hours=3))
    actual = np.where(outage, expected * 0.1, expected)
    return pd.DataFrame({"ts": ts, "actual": actual, "expected": expected,
                         "low": expected - 12, "high": expected + 12, "outage": outage})


def test_the_chart_draws_the_band_expected_and_actual_and_shades_the_outage():
    fig = measured_charts.around_chart(_around(), tz="Europe/London", unit="GBP",
                                       title="Instagram: revenue", synthetic=True)
    names = [t.name for t in fig.data]
    assert names == [None, "Expected range (95 %)", "Expected", "Actual"]
    assert fig.data[3].line.color == measured_charts.ACTUAL
    (shape,) = fig.layout.shapes
    assert pd.Timestamp(shape.x0) == pd.Timestamp("2026-11-02 10:00")  # GMT: local = UTC
    assert pd.Timestamp(shape.x1) == pd.Timestamp("2026-11-02 13:00")
    assert any(a.text == "SYNTHETIC DATA" for a in fig.layout.annotations)
    plain = measured_charts.around_chart(_around(), tz="Europe/London", unit="GBP")
    assert not any(a.text == "SYNTHETIC DATA" for a in plain.layout.annotations)


def test_an_empty_frame_gives_a_chart_that_says_so():
    fig = measured_charts.around_chart(pd.DataFrame(), tz="UTC", unit="GBP")
    assert fig.layout.annotations[0].text == "No data around this incident"


CSV = b"hour,sales\n2026-11-02T09:00:00Z,12.5\n2026-11-02T10:00:00Z,14\n"


def test_a_mapped_upload_comes_back_as_a_series_and_a_bad_mapping_as_one_line(tmp_path):
    store = open_store(str(tmp_path))
    good = uploads.save_upload(store, "sales.csv", CSV)
    table = uploaded.mapping(good, time="hour", value="sales", metric="revenue",
                             platform="instagram")
    assert uploaded.check_mapping(table) is None
    uploads.save_mapping(store, good, table)
    bad = uploads.save_upload(store, "other.csv", CSV + b"2026-11-02T11:00:00Z,3\n")
    uploads.save_mapping(store, bad, {**table, "file": bad.rel, "metric": "profit"})
    unmapped = uploads.save_upload(store, "later.csv", CSV + b"\n\n")
    found, problems = uploaded.uploaded_series(store)
    assert [(s.file, s.platform, s.value, data) for s, data in found] == [
        (good.rel, "instagram", "sales", CSV)]
    assert len(problems) == 1 and problems[0].startswith(f"upload {bad.name}: metric: ")
    assert uploaded.describe(unmapped, None).endswith("not mapped yet")


def test_counting_rows_and_a_channel_column_make_the_right_table(tmp_path):
    kept = uploads.save_upload(open_store(str(tmp_path)), "orders.csv", CSV)
    table = uploaded.mapping(kept, time="hour", value=uploaded.COUNT_ROWS, metric="orders",
                             channel="source")
    assert "value" not in table and table["channel"] == "source" and "platform" not in table
    assert uploaded.check_mapping({**table, "platform": "instagram"}).startswith("series: ")


def test_the_series_version_changes_when_an_upload_or_its_mapping_arrives(tmp_path):
    store, settings = open_store(str(tmp_path)), load_settings(str(LOOPBACK_CONFIG))
    before = uploaded.series_version(settings, store)
    kept = uploads.save_upload(store, "sales.csv", CSV)
    middle = uploaded.series_version(settings, store)
    uploads.save_mapping(store, kept, {"time": "hour", "metric": "revenue",
                                       "platform": "instagram"})
    assert before != middle != uploaded.series_version(settings, store)


def test_the_chart_opens_on_the_largest_measured_loss():
    small = _incident("instagram", "revenue", T0, True)
    big = _incident("facebook", "revenue", T0 - timedelta(days=9), True)
    big = IncidentMeasure(**{**{f: getattr(big, f) for f in big.__slots__},
                             "loss": Range(900.0, 700.0, 1100.0)})
    measurement = Measurement(incidents=[small, big], baselines={
        ("instagram", "revenue"): object(), ("facebook", "revenue"): object()})
    assert [i for i, _ in measured_view.chart_choices(measurement, NAMES, "UTC")] == [1, 0]


@pytest.mark.parametrize("text", ["![x](http://127.0.0.1:9/p)", "*bold* _it_ `code`",
                                  ":red[alarm] :material/home:", "$x^2$", "<b>hi</b> & a\\b"])
def test_text_from_files_is_escaped_for_markdown_and_reads_back_as_itself(text):
    escaped = measured_view.md_escape(text)
    assert re.sub(r"\\(.)", r"\1", escaped) == text
    assert not re.search(r"(?<!\\)[\[\]()*_`:$<>!]", escaped)


def test_a_platform_without_outages_in_the_window_gets_no_row_of_zeros():
    quiet = MetricMeasure(metric="revenue", unit="GBP", label="shop.csv", synthetic=False,
                          loss=Range(0.0, 0.0, 0.0), recaptured=None, net=None, measured=0,
                          outages=0)
    measurement = Measurement(platforms={"instagram": {"revenue": quiet}})
    assert measured_view.comparison(measurement, {}, PLATFORMS, "GBP").empty


def test_an_upload_is_read_before_it_is_kept_and_says_what_it_holds(tmp_path):
    settings = load_settings(str(LOOPBACK_CONFIG))
    kept = uploads.save_upload(open_store(str(tmp_path)), "sales.csv", CSV)
    pid = settings.platforms[0].id
    table = uploaded.mapping(kept, time="hour", value="sales", metric="revenue", platform=pid)
    assert uploaded.preview(settings, table, CSV) == (
        True, f"Reads 2 rows: {pid} revenue 02 Nov 2026–02 Nov 2026 (hourly)")
    ok, line = uploaded.preview(settings, {**table, "value": "nope"}, CSV)
    assert not ok and line.startswith("sales (uploaded): no column 'nope'")
    ok, line = uploaded.preview(settings, {**table, "metric": "profit"}, CSV)
    assert not ok and line.startswith("metric: ")
