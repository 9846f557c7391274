"""The read API: windows and filters, exact roll-ups, eventful samples, streaming, versions."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support_history import PLATFORMS, T0, at, keys, random_rounds, rounds, write

from monitors.history import (
    compact,
    data_version,
    iter_sample_batches,
    read_eventful_samples,
    read_rollups,
    read_samples,
)
from monitors.history.schema import SAMPLE_SCHEMA
from monitors.vocabulary import COLUMNS

ROLLUP_COLUMNS = ["hour", "vantage", "platform", "check", "kind", "n_up", "n_degraded",
                  "n_down", "n_unknown", "n_offline", "latency_p50", "latency_p95",
                  "latency_max"]


def expected_rollups(raw: pd.DataFrame) -> pd.DataFrame:
    """Hourly roll-ups computed the slow, obvious way from raw samples."""
    out = []
    raw = raw.assign(hour=raw["ts"].dt.floor("h"))
    for (hour, vantage, platform, check), rows in raw.groupby(
            ["hour", "vantage", "platform", "check"], sort=True):
        answered = rows[rows["status"].isin(["up", "degraded"])]["latency_ms"].dropna()
        values = answered.to_numpy(np.float64)
        out.append({
            "hour": hour, "vantage": vantage, "platform": platform, "check": check,
            "kind": rows.sort_values("ts")["kind"].iloc[-1],
            **{f"n_{s}": int((rows["status"] == s).sum())
               for s in ("up", "degraded", "down", "unknown")},
            "n_offline": int(((rows["status"] == "unknown")
                              & (rows["error"] == "vantage_offline")).sum()),
            "latency_p50": np.percentile(values, 50) if len(values) else np.nan,
            "latency_p95": np.percentile(values, 95) if len(values) else np.nan,
            "latency_max": values.max() if len(values) else np.nan,
        })
    return pd.DataFrame(out, columns=ROLLUP_COLUMNS)


def assert_rollups_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == ROLLUP_COLUMNS
    got = got.sort_values(["hour", "vantage", "platform", "check"]).reset_index(drop=True)
    want = want.sort_values(["hour", "vantage", "platform", "check"]).reset_index(drop=True)
    exact = ROLLUP_COLUMNS[:10]
    pd.testing.assert_frame_equal(got[exact], want[exact], check_dtype=False)
    for column in ROLLUP_COLUMNS[10:]:
        np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float),
                                   rtol=1e-9, equal_nan=True)


@pytest.fixture
def mixed(data_dir):
    """Two vantages, random statuses, two days; hq compacted, then more raw samples."""
    for vantage, seed in (("hq", 1), ("eu", 2)):
        write(data_dir, random_rounds(seed, 0, 150, vantage=vantage), vantage=vantage)
    compact(str(data_dir))
    write(data_dir, random_rounds(3, 150, 30), vantage="hq")  # the raw tail
    write(data_dir, random_rounds(4, 20, 5), vantage="hq")  # late, overwrites 20..24
    return data_dir


def test_read_samples_covers_a_half_open_window_sorted_by_ts(mixed):
    frame = read_samples(str(mixed), at(10), at(20))
    assert list(frame.columns) == list(COLUMNS)
    assert frame["ts"].min() == pd.Timestamp(at(10)) and frame["ts"].max() == pd.Timestamp(at(19))
    assert frame["ts"].is_monotonic_increasing
    assert len(frame) == 10 * 6 * 2 == len(set(keys(frame)))


def test_read_samples_filters_platforms_vantages_and_columns(mixed):
    frame = read_samples(str(mixed), T0, at(200), platforms=["beta"], vantages=["eu"],
                         columns=["ts", "status"])
    assert list(frame.columns) == ["ts", "status"]
    assert len(frame) == 150 * 2
    everything = read_samples(str(mixed), T0, at(200))
    only = everything[(everything["platform"] == "beta") & (everything["vantage"] == "eu")]
    assert frame["status"].tolist() == only["status"].tolist()


def test_the_newest_write_of_a_key_wins(mixed):
    frame = read_samples(str(mixed), at(20), at(25), vantages=["hq"])
    late = pd.DataFrame(random_rounds(4, 20, 5)).sort_values(["ts", "platform", "check"])
    assert frame["status"].tolist() == late["status"].tolist()


def test_an_empty_window_gives_an_empty_frame_with_the_schema_columns(data_dir):
    frame = read_samples(str(data_dir), T0, at(10))
    assert frame.empty and list(frame.columns) == list(COLUMNS)
    assert str(frame["ts"].dtype) == "datetime64[ms, UTC]"
    assert read_rollups(str(data_dir), T0, at(10)).empty
    assert read_eventful_samples(str(data_dir), T0, at(10)).empty


def test_roll_ups_equal_counts_and_percentiles_computed_from_raw_samples(mixed):
    raw = read_samples(str(mixed), T0, at(240))
    got = read_rollups(str(mixed), T0, at(240))
    assert_rollups_equal(got, expected_rollups(raw))
    assert got["n_offline"].sum() > 0 and got["n_degraded"].sum() > 0


def test_roll_ups_include_the_raw_tail_and_late_samples_not_yet_rolled_up(mixed):
    stored = list((mixed / "rollups").rglob("r-*.parquet"))
    assert stored  # days 1 and 2 were rolled up before the tail and the late rows arrived
    tail_hour = pd.Timestamp(at(150)).floor("h")
    got = read_rollups(str(mixed), tail_hour, tail_hour + timedelta(hours=1), vantages=["hq"])
    raw = read_samples(str(mixed), tail_hour, tail_hour + timedelta(hours=1), vantages=["hq"])
    assert_rollups_equal(got, expected_rollups(raw))
    compact(str(mixed))  # afterwards the stored roll-ups alone give the same answer
    assert_rollups_equal(read_rollups(str(mixed), T0, at(240)),
                         expected_rollups(read_samples(str(mixed), T0, at(240))))


def test_roll_ups_cover_whole_hours_overlapping_the_window_and_filter(mixed):
    got = read_rollups(str(mixed), at(30), at(31), platforms=["alpha"], vantages=["eu"])
    assert got["hour"].tolist() == [pd.Timestamp(T0)] * 2  # web and api of 22:00
    assert got[["n_up", "n_degraded", "n_down", "n_unknown"]].sum(axis=1).tolist() == [60, 60]
    assert set(got["platform"]) == {"alpha"} and set(got["vantage"]) == {"eu"}
    assert str(got["hour"].dtype) == "datetime64[ms, UTC]"


def _brute_force_eventful(raw: pd.DataFrame, pad_s: float, everything: pd.DataFrame | None = None
                          ) -> pd.DataFrame:
    """Rows of `raw` in hours (± pad) with a sample not up in `everything` (the window's hours,
    whole): an hour is eventful as a whole, also when the window starts or ends inside it."""
    source = raw if everything is None else everything
    bad = source[source["status"] != "up"]
    hours = bad.assign(hour=bad["ts"].dt.floor("h"))[["platform", "hour"]].drop_duplicates()
    keep = np.zeros(len(raw), bool)
    pad = pd.Timedelta(seconds=pad_s)
    for platform, group in hours.groupby("platform"):
        same = (raw["platform"] == platform).to_numpy()
        for hour in group["hour"]:
            keep |= same & ((raw["ts"] >= hour - pad)
                            & (raw["ts"] < hour + pd.Timedelta(hours=1) + pad)).to_numpy()
    return raw[keep].reset_index(drop=True)


def _outage_history(data_dir) -> None:
    """Three days from midnight; alpha fails at 01:00 on day 1, beta for 20 minutes on day 2,
    gamma blips."""
    def status(i, platform, check):
        if platform == "alpha" and 60 <= i < 63:
            return "down", "timeout"
        if platform == "beta" and 1500 <= i < 1520:
            return "down", "connect"
        if platform == "gamma" and i == 2000 and check == "api":
            return "degraded", "slow"
        return "up", None

    for day in range(3):
        write(data_dir, rounds(day * 1440, 1440, start=T0.replace(hour=0), status=status))
    compact(str(data_dir))


@pytest.mark.parametrize("pad_s", [0, 600, 3600, 3 * 3600])
@pytest.mark.parametrize("edges_m", [(0, 0), (77.5, -200)], ids=["whole days", "odd edges"])
def test_eventful_samples_are_the_failing_hours_plus_padding_and_nothing_else(
        data_dir, pad_s, edges_m):
    _outage_history(data_dir)
    start = T0.replace(hour=0) + timedelta(minutes=edges_m[0])
    end = T0.replace(hour=0) + timedelta(days=3, minutes=edges_m[1])
    raw = read_samples(str(data_dir), start, end)
    hours = pd.Timestamp(start).floor("h"), pd.Timestamp(end).ceil("h")
    everything = read_samples(str(data_dir), *hours)  # the window's hours, whole
    got = read_eventful_samples(str(data_dir), start, end, pad_s=pad_s)
    want = _brute_force_eventful(raw, pad_s, everything)
    pd.testing.assert_frame_equal(got, want)
    assert set(got["platform"]) == {"alpha", "beta", "gamma"}


def test_eventful_samples_come_from_the_small_monthly_extract(data_dir, monkeypatch):
    _outage_history(data_dir)
    extract, = (data_dir / "rollups").rglob("e-*.parquet")
    parquet = pq.ParquetFile(extract)
    sizes = [parquet.metadata.row_group(i).num_rows for i in range(parquet.num_row_groups)]
    # alpha, beta, gamma: one eventful hour each and the hour either side; 2 checks x 60
    assert sizes == [3 * 120, 6 * 120]
    opened = []
    import monitors.history.scan as scan

    real = scan._open
    monkeypatch.setattr(scan, "_open", lambda store, rel, *more: opened.append(rel) or real(
        store, rel, *more))
    start = T0.replace(hour=0)
    read_eventful_samples(str(data_dir), start, start + timedelta(days=3))
    assert len(opened) == 1 and "/e-" in opened[0]  # not the 4 MB of day files


def test_eventful_samples_include_the_tail_not_yet_compacted(data_dir):
    _outage_history(data_dir)
    tail_start = T0.replace(hour=0) + timedelta(days=3)
    write(data_dir, rounds(0, 30, start=tail_start))  # all up, not compacted
    got = read_eventful_samples(str(data_dir), T0.replace(hour=0), tail_start
                                + timedelta(hours=1))
    assert (got["ts"] >= pd.Timestamp(tail_start)).sum() == 180


def test_an_eventful_hour_seen_by_one_vantage_returns_every_vantages_samples(data_dir):
    def hq(i, platform, check):
        return ("down", "timeout") if (i, platform) == (30, "alpha") else ("up", None)

    write(data_dir, rounds(0, 120, status=hq), vantage="hq")
    write(data_dir, rounds(0, 120, vantage="eu"), vantage="eu")
    compact(str(data_dir))
    got = read_eventful_samples(str(data_dir), T0, at(120), pad_s=0)
    assert set(got["vantage"]) == {"hq", "eu"} and set(got["platform"]) == {"alpha"}
    assert len(got) == 60 * 2 * 2
    write(data_dir, rounds(0, 1, vantage="eu", platforms=["alpha"]), vantage="eu")
    # eu's day is now a tail (not rolled up since): all of it, plus hq's eventful hour
    assert len(read_eventful_samples(str(data_dir), T0, at(120), pad_s=0)) == 720 + 120


def test_iter_sample_batches_streams_the_window_day_by_day(data_dir):
    write(data_dir, random_rounds(5, 0, 200))
    write(data_dir, random_rounds(6, 10, 10))  # duplicates of rounds 10..19
    batches = list(iter_sample_batches(str(data_dir), at(5), at(190)))
    assert all(isinstance(b, pa.RecordBatch) and b.schema.equals(SAMPLE_SCHEMA) for b in batches)
    streamed = pa.Table.from_batches(batches).to_pandas()
    assert streamed.equals(read_samples(str(data_dir), at(5), at(190)))
    assert len(batches) == 2  # one per UTC day: memory stays bounded by a day


def test_data_version_changes_only_when_history_changes(data_dir):
    empty = data_version(str(data_dir))
    write(data_dir, rounds(0, 5))
    flushed = data_version(str(data_dir))
    assert flushed != empty and data_version(str(data_dir)) == flushed
    read_samples(str(data_dir), T0, at(5))
    assert data_version(str(data_dir)) == flushed
    compact(str(data_dir))
    compacted = data_version(str(data_dir))
    assert compacted != flushed
    compact(str(data_dir))
    assert data_version(str(data_dir)) == compacted


def test_windows_accept_naive_utc_datetimes_strings_and_timestamps(data_dir):
    write(data_dir, rounds(0, 10))
    by_naive = read_samples(str(data_dir), at(2).replace(tzinfo=None), at(4).replace(
        tzinfo=None))
    by_text = read_samples(str(data_dir), at(2).isoformat(), at(4).isoformat())
    by_pandas = read_samples(str(data_dir), pd.Timestamp(at(2)), pd.Timestamp(at(4)))
    assert len(by_naive) == len(by_text) == len(by_pandas) == 2 * 6
    assert set(by_naive["platform"]) == set(PLATFORMS)
