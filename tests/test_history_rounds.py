"""Platform-round roll-ups: stored at compaction, computed for the tail, upgraded from old files."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support_history import T0, at, random_rounds, rounds, sample_files, write

from monitors.history import (
    clear_cache,
    compact,
    problems,
    read_rollups,
    read_round_rollups,
    read_samples,
)

ROUND_COLUMNS = ["hour", "vantage", "platform", "r_rounds", "r_unknown", "r_down",
                 "r_degraded"]
CHECKS = ("web", "api", "status")  # "status" is the vendor status page: not a surface
DAY2 = T0.replace(hour=0) + timedelta(days=1)  # rounds 120.. of T0 fall on this day
DAY3 = DAY2 + timedelta(days=1)


def expected_round_rollups(raw: pd.DataFrame) -> pd.DataFrame:
    """Rounds per (hour, vantage, platform) classified the slow, obvious way from raw samples:
    a round is the probe answers of one (vantage, platform, ts)."""
    out = []
    raw = raw.assign(hour=raw["ts"].dt.floor("h"))
    for (hour, vantage, platform), rows in raw.groupby(["hour", "vantage", "platform"],
                                                       sort=True):
        counts = dict.fromkeys(ROUND_COLUMNS[3:], 0)
        pages = rows[rows["kind"] == "statuspage"]
        vendor = set(pages.loc[pages["status"].isin(["degraded", "down"]), "ts"])
        for ts, answers in rows[rows["kind"] != "statuspage"].groupby("ts"):
            known = [s for s in answers["status"] if s != "unknown"]
            counts["r_rounds"] += 1
            if not known:
                counts["r_degraded" if ts in vendor else "r_unknown"] += 1
            elif all(s == "down" for s in known):
                counts["r_down"] += 1
            elif not all(s == "up" for s in known) or ts in vendor:  # the vendor's incident
                counts["r_degraded"] += 1
        out.append({"hour": hour, "vantage": vantage, "platform": platform, **counts})
    return pd.DataFrame(out, columns=ROUND_COLUMNS)


def assert_rounds_equal(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == ROUND_COLUMNS
    assert str(got["hour"].dtype) == "datetime64[ms, UTC]"
    # got must come sorted already: no re-sorting here
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True),
                                  check_dtype=False)


def hand_status(i: int, platform: str, check: str) -> tuple[str, str | None]:
    """One kind of round per stretch of five rounds (vantage hq; eu is shifted)."""
    probe = check != "status"
    if platform == "alpha" and 10 <= i < 15 and probe:
        return "unknown", "vantage_offline"  # unknown-only rounds
    if platform == "alpha" and 20 <= i < 25 and probe:
        return ("down", "timeout") if check == "web" else ("unknown", "probe_error")  # down
    if platform == "alpha" and 30 <= i < 35 and check == "api":
        return "down", "http_status"  # one surface down: degraded
    if platform == "alpha" and 40 <= i < 45 and check == "web":
        return "degraded", "slow"
    if platform == "alpha" and 50 <= i < 55 and check == "api":
        return "unknown", "probe_error"  # the known answer is up: an up round
    if platform == "alpha" and 60 <= i < 65 and not probe:
        return "down", "official_incident"  # the vendor's incident, probes up: degraded
    if platform == "beta" and 15 <= i < 20 and probe:
        return "down", "connect"
    if platform == "gamma" and 70 <= i < 76 and check == "web":
        return "down", "connect"
    return "up", None


def hand_rounds(first: int, count: int, vantage: str, shift: int = 0,
                start=T0) -> list[dict]:
    """Rounds with a status-page check; gamma's probes are missing in rounds 100..104 and
    in the whole hour of rounds 120..179 (only its status page answered)."""
    rows = rounds(first, count, checks=CHECKS, vantage=vantage, start=start,
                  status=lambda i, p, c: hand_status(i + shift, p, c))
    for row in rows:
        if row["check"] == "status":
            row["kind"] = "statuspage"
    index = {at(i, start): i for i in range(first, first + count)}
    return [row for row in rows if not (
        row["platform"] == "gamma" and row["check"] != "status"
        and (100 <= index[row["ts"]] < 105 or 120 <= index[row["ts"]] < 180))]


@pytest.fixture
def hand_built(data_dir):
    """Two vantages, two days compacted; then a late sample for day 1 and a third day raw."""
    write(data_dir, hand_rounds(0, 180, "hq"), vantage="hq")
    write(data_dir, hand_rounds(0, 180, "eu", shift=7), vantage="eu")
    compact(str(data_dir))
    late = [dict(row, status="down", error="timeout", latency_ms=None, http_status=None)
            for row in hand_rounds(80, 1, "hq") if row["check"] in ("web", "api")]
    write(data_dir, late, vantage="hq")  # round 80 (day 1) turns from up to down
    write(data_dir, hand_rounds(0, 90, "hq", start=DAY3), vantage="hq")  # not compacted
    return data_dir


def _window():
    return T0, DAY3 + timedelta(hours=2)


def test_the_hand_built_history_has_every_kind_of_round(hand_built):
    want = expected_round_rollups(read_samples(str(hand_built), *_window()))
    assert (want[["r_unknown", "r_down", "r_degraded"]].sum() > 0).all()
    assert set(want["vantage"]) == {"hq", "eu"}
    assert ((want["platform"] == "gamma") & (want["r_rounds"] == 0)).any()  # status page only
    assert (want["hour"] >= pd.Timestamp(DAY3)).any()


def test_round_roll_ups_equal_a_classification_of_the_raw_samples(hand_built):
    got = read_round_rollups(str(hand_built), *_window())
    assert_rounds_equal(got, expected_round_rollups(read_samples(str(hand_built), *_window())))


def test_a_late_sample_counts_before_and_after_the_next_compaction(hand_built):
    hour = pd.Timestamp(at(80)).floor("h")
    got = read_round_rollups(str(hand_built), hour, hour + timedelta(hours=1),
                             vantages="hq", platforms=["alpha", "beta"])
    assert got["r_down"].tolist() == [1, 1]  # round 80 is down for both now; it was up
    compact(str(hand_built))
    clear_cache()
    after = read_round_rollups(str(hand_built), *_window())
    assert_rounds_equal(after, expected_round_rollups(read_samples(str(hand_built),
                                                                   *_window())))


def test_round_roll_ups_filter_and_cover_whole_hours(hand_built):
    start, end = at(25), at(31)  # inside the 22:00 hour
    got = read_round_rollups(str(hand_built), start, end, platforms="alpha", vantages=["eu"])
    raw = read_samples(str(hand_built), T0, T0 + timedelta(hours=1), platforms=["alpha"],
                       vantages=["eu"])
    assert_rounds_equal(got, expected_round_rollups(raw))
    assert len(got) == 1


def test_random_statuses_over_two_vantages_match_after_every_step(data_dir):
    def with_status_page(rows: list[dict]) -> list[dict]:
        return [dict(r, kind="statuspage") if r["check"] == "status" else r for r in rows]

    window = T0, at(400)
    for step, (vantage, seed, first, count) in enumerate(
            [("hq", 1, 0, 150), ("eu", 2, 0, 150), ("hq", 3, 140, 200), ("eu", 4, 10, 5)]):
        rows = with_status_page(random_rounds(seed, first, count, vantage=vantage,
                                              checks=CHECKS))
        write(data_dir, rows, vantage=vantage)
        want = expected_round_rollups(read_samples(str(data_dir), *window))
        assert_rounds_equal(read_round_rollups(str(data_dir), *window), want)
        if step % 2 == 0:
            compact(str(data_dir))
            assert_rounds_equal(read_round_rollups(str(data_dir), *window), want)


def test_compacted_round_roll_ups_need_no_raw_samples(hand_built, monkeypatch):
    compact(str(hand_built))
    clear_cache()
    r_file = next((hand_built / "rollups").rglob("r-*.parquet"))
    stored = pq.read_table(r_file).to_pandas()
    firsts = stored.groupby(["hour", "platform"])["check"].transform("min") == stored["check"]
    assert stored["r_rounds"].notna().tolist() == firsts.tolist()  # one row per hour, platform
    opened = _record_opened_files(monkeypatch)
    got = read_round_rollups(str(hand_built), *_window())
    assert opened and not [rel for rel in opened if rel.startswith("samples/")]
    assert_rounds_equal(got, expected_round_rollups(read_samples(str(hand_built), *_window())))


def test_an_old_format_history_reads_exactly_and_compaction_upgrades_it(hand_built):
    compact(str(hand_built))
    window = _window()
    rollups = read_rollups(str(hand_built), *window)
    files = sample_files(hand_built)
    _downgrade_to_old_format(hand_built)
    assert_rounds_equal(read_round_rollups(str(hand_built), *window),
                        expected_round_rollups(read_samples(str(hand_built), *window)))
    assert read_rollups(str(hand_built), *window).equals(rollups)
    assert problems(str(hand_built)) == []  # old files are not damaged files

    stats = compact(str(hand_built))
    month_files = list((hand_built / "rollups").rglob("r-*.parquet"))
    assert stats["rollup_files"] == len(month_files) == 2  # March, for hq and eu
    assert stats.get("partitions", 0) == 0
    assert sample_files(hand_built) == files  # roll-ups redone, samples files kept
    for path in (hand_built / "rollups").rglob("r-*.parquet"):
        assert "r_rounds" in pq.read_schema(path).names
        assert all(cover["rounds"] for cover in _covers(path).values())
    clear_cache()
    assert_rounds_equal(read_round_rollups(str(hand_built), *window),
                        expected_round_rollups(read_samples(str(hand_built), *window)))
    assert read_rollups(str(hand_built), *window).equals(rollups)
    assert compact(str(hand_built)).get("rollup_files", 0) == 0  # upgraded once


def _covers(path) -> dict:
    return json.loads(pq.read_schema(path).metadata[b"pulse.covers"])


# The roll-up file schema before round counts existed.
OLD_SCHEMA = pa.schema([
    pa.field("hour", pa.timestamp("ms", tz="UTC"), nullable=False),
    pa.field("platform", pa.string(), nullable=False),
    pa.field("check", pa.string(), nullable=False),
    pa.field("kind", pa.string()),
    *[pa.field(name, pa.int32()) for name in ("n_up", "n_degraded", "n_down", "n_unknown",
                                              "n_offline")],
    *[pa.field(name, pa.float64()) for name in ("latency_p50", "latency_p95",
                                                "latency_max")],
])


def _downgrade_to_old_format(data_dir) -> None:
    """Rewrite every r- file as the previous version wrote it: no round columns, covers
    without the "rounds" flag."""
    for path in (data_dir / "rollups").rglob("r-*.parquet"):
        covers = {day: {k: v for k, v in cover.items() if k != "rounds"}
                  for day, cover in _covers(path).items()}
        table = pq.read_table(path).select(OLD_SCHEMA.names).cast(OLD_SCHEMA)
        metadata = {b"pulse.covers": json.dumps(covers).encode()}
        pq.write_table(table.replace_schema_metadata(metadata), path, compression="zstd")
    clear_cache()  # same names, new contents: only a test does that


def _record_opened_files(monkeypatch) -> list[str]:
    from monitors.history.store import LocalStore

    opened: list[str] = []
    real = LocalStore.open_input

    def spy(self, rel, *args, **kwargs):
        opened.append(rel)
        return real(self, rel, *args, **kwargs)

    monkeypatch.setattr(LocalStore, "open_input", spy)
    return opened
