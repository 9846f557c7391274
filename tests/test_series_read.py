"""Reading the business's own numbers: event rows and aggregates, DST, duplicates, bad files
(real CSV and Parquet files in temp folders)."""

from __future__ import annotations

import pandas as pd
import pytest
from support_samples import CONFIG
from support_series import with_series

from monitors.analysis.series import SeriesError, load_series, read_series
from monitors.config import load_settings
from monitors.config_series import BusinessSeries

KNOWN = {"instagram": "Instagram", "facebook": "Facebook"}


def spec(**values) -> BusinessSeries:
    return BusinessSeries(**{"file": "sales.csv", "metric": "revenue", **values})


def write(tmp_path, text: str, name: str = "sales.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_orders_export_sums_orders_per_hour_per_channel_and_an_empty_hour_is_zero(tmp_path):
    path = write(tmp_path, "# SYNTHETIC sample\nName,Created at,Total,Source\n"
                 "#1001,2026-03-02 10:15:00 +0000,£12.50,instagram\n"
                 "#1002,2026-03-02 10:45:00 +0000,\"£1,000.00\",Instagram\n"
                 "#1003,2026-03-02 12:05:00 +0000,5,facebook\n"
                 "#1004,2026-03-02 13:05:00 +0000,7,Instagram\n"
                 "#1005,2026-03-02 13:06:00 +0000,9,newsletter\n")
    found, notes = read_series(path, spec(time="Created at", value="Total", channel="Source"),
                               known=KNOWN)
    by = {s.platform: s for s in found}
    insta = by["instagram"].values
    assert list(insta.to_numpy()) == [1012.5, 0.0, 0.0, 7.0]  # 10:00, 11, 12, 13 UTC
    assert by["facebook"].values.sum() == 5
    assert any("newsletter" in n for n in notes)  # unmapped, said, left out


def test_counting_rows_when_no_value_column_is_given(tmp_path):
    path = write(tmp_path, "when,source\n2026-03-02T10:01:00Z,ig\n2026-03-02T10:02:00Z,ig\n"
                 "2026-03-02T11:30:00Z,ig\n")
    found, _ = read_series(path, spec(time="when", channel="source", channels={"ig": "instagram"},
                                      metric="orders"))
    assert list(found[0].values) == [2.0, 1.0]


def test_an_hourly_aggregate_keeps_a_missing_hour_missing(tmp_path):
    path = write(tmp_path, "date_hour,conversions\n2026030210,4\n2026030211,5\n2026030213,6\n")
    found, _ = read_series(path, spec(time="date_hour", time_format="%Y%m%d%H",
                                      value="conversions", platform="instagram",
                                      metric="leads"), timezone="UTC")
    values = found[0].values
    assert len(values) == 4 and pd.isna(values.iloc[2])  # 12:00 was not in the export


def test_repeated_rows_are_dropped_and_counted(tmp_path):
    rows = "hour,revenue\n" + "".join(f"2026-03-02T{h:02d}:00:00Z,{h}\n" for h in range(10, 14))
    path = write(tmp_path, rows + "2026-03-02T11:00:00Z,11\n2026-03-02T12:00:00Z,12\n")
    found, notes = read_series(path, spec(time="hour", value="revenue", platform="instagram"))
    assert list(found[0].values) == [10.0, 11.0, 12.0, 13.0]
    assert found[0].duplicates == 2 and "2 repeated rows dropped" in notes[0]


def test_local_times_across_the_autumn_clock_change_keep_every_hour(tmp_path):
    # 2026-10-25 in London: 01:00-02:00 happens twice (BST, then GMT). An export in local
    # time without offsets repeats the hour; the first is read as BST, the second as GMT.
    lines = ["time,revenue"]
    for hour, value in [("00:00", 10), ("01:00", 11), ("01:00", 12), ("02:00", 13),
                        ("03:00", 14)]:
        lines.append(f"2026-10-25 {hour},{value}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    found, _ = read_series(path, spec(time="time", value="revenue", platform="instagram"),
                           timezone="Europe/London")
    values = found[0].values
    assert values.index[0] == pd.Timestamp("2026-10-24 23:00", tz="UTC")
    assert list(values) == [10.0, 11.0, 12.0, 13.0, 14.0]


def test_a_daily_export_becomes_a_daily_series_in_the_business_zone(tmp_path):
    path = write(tmp_path, "Day,Platform,Amount spent (GBP)\n2026-03-01,instagram,60.00\n"
                 "2026-03-02,instagram,55.50\n2026-03-03,instagram,61.00\n")
    found, _ = read_series(path, spec(time="Day", value="Amount spent (GBP)",
                                      channel="Platform", metric="ad_spend"),
                           timezone="Europe/London", known=KNOWN)
    assert found[0].step == "day" and list(found[0].values) == [60.0, 55.5, 61.0]


def test_parquet_files_are_read_too(tmp_path):
    frame = pd.DataFrame({"ts": pd.date_range("2026-03-02", periods=3, freq="h", tz="UTC"),
                          "revenue": [1.0, 2.0, 3.0]})
    path = tmp_path / "sales.parquet"
    frame.to_parquet(path)
    found, _ = read_series(path, spec(file="sales.parquet", time="ts", value="revenue",
                                      platform="instagram"))
    assert list(found[0].values) == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(("text", "kwargs", "message"), [
    ("hour,revenue\n2026-03-02T10:00Z,5\n", {"value": "sales"},
     "sales.csv: no column 'sales' (the file has 'hour', 'revenue')"),
    ("hour,revenue\n2026-03-02T10:00Z,5\nyesterday,6\n", {},
     "sales.csv: row 3, column 'hour': 'yesterday' is not a time"),
    ("hour,revenue\n2026-03-02T10:00Z,5\n2026-03-02T11:00Z,lots\n", {},
     "sales.csv: row 3, column 'revenue': 'lots' is not a number"),
    ("# a comment\n\nhour,revenue\n2026-03-02T10:00Z,5\n2026-03-02T11:00Z,x\n", {},
     "sales.csv: row 5, column 'revenue'"),
    ("hour,channel\n2026-03-02T10:00Z,tv\n", {"value": None, "channel": "channel",
                                              "platform": None},
     "sales.csv: no rows belong to a configured platform"),
])
def test_a_bad_file_says_which_row_and_column_in_one_line(tmp_path, text, kwargs, message):
    path = write(tmp_path, text)
    values = {"time": "hour", "value": "revenue", "platform": "instagram", **kwargs}
    with pytest.raises(SeriesError) as caught:
        read_series(path, spec(**values), known=KNOWN)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def test_a_missing_file_and_a_broken_parquet_file_are_one_line_each(tmp_path):
    with pytest.raises(SeriesError, match="file not found"):
        read_series(tmp_path / "nope.csv", spec(time="t", value="v", platform="instagram"))
    broken = tmp_path / "sales.parquet"
    broken.write_bytes(b"PAR1" + b"\0" * 50)
    with pytest.raises(SeriesError, match="not a readable Parquet file"):
        read_series(broken, spec(time="t", value="v", platform="instagram"))


def test_a_series_for_a_platform_that_is_not_configured_is_reported(tmp_path):
    write(tmp_path, "hour,revenue\n2026-03-02T10:00:00Z,5\n")
    config = tmp_path / "pulse.toml"
    config.write_text(with_series(CONFIG, platform="myspace"), encoding="utf-8")
    found = load_series(load_settings(str(config), str(tmp_path / "data")))
    assert found.series == ()
    assert found.problems == (
        "sales.csv: platform 'myspace' is not configured; its numbers are left out",)


def test_a_time_format_with_offsets_that_change_at_the_clock_change(tmp_path):
    path = write(tmp_path, "Created at,Total\n24/10/2026 12:00:00 +0100,5\n"
                 "26/10/2026 12:00:00 +0000,7\n")
    found, _ = read_series(path, spec(time="Created at", time_format="%d/%m/%Y %H:%M:%S %z",
                                      value="Total", platform="instagram"))
    values = found[0].values.dropna()
    assert list(values.index) == [pd.Timestamp("2026-10-24 11:00", tz="UTC"),
                                  pd.Timestamp("2026-10-26 12:00", tz="UTC")]


def test_a_one_column_file_is_read_as_one_column_and_counted(tmp_path):
    path = write(tmp_path, "created\n2026-03-02T10:05:00Z\n2026-03-02T10:40:00Z\n"
                 "2026-03-02T11:10:00Z\n")
    found, _ = read_series(path, spec(time="created", value=None, platform="instagram",
                                      metric="orders"))
    assert list(found[0].values) == [2.0, 1.0]


def test_a_semicolon_file_with_decimal_commas(tmp_path):
    path = write(tmp_path, "Zeit;Umsatz\n2026-03-02T10:00:00Z;1.234,50\n"
                 "2026-03-02T11:00:00Z;12,00\n")
    found, _ = read_series(path, spec(time="Zeit", value="Umsatz", decimal=",",
                                      platform="instagram"))
    assert list(found[0].values) == [1234.5, 12.0]
