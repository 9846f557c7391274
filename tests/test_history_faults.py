"""Damaged history: corrupt or truncated files are skipped, quarantined and reported."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from support_history import T0, at, keys, random_rounds, rounds, sample_files, write

from monitors.history import (
    clear_cache,
    compact,
    problems,
    read_eventful_samples,
    read_rollups,
    read_samples,
)


def _damage(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "garbage":
        path.write_bytes(data[:4] + b"\x00\xff" * (len(data) // 2) + data[-8:])
    elif how == "foreign schema":
        pq.write_table(pa.table({"something": [1, 2, 3]}), path)


@pytest.mark.parametrize("how", ["truncated", "empty", "garbage", "foreign schema"])
def test_a_damaged_segment_is_skipped_moved_to_quarantine_and_reported(data_dir, how):
    write(data_dir, rounds(0, 10))
    write(data_dir, rounds(10, 10))
    bad = sample_files(data_dir)[1]
    relative = bad.relative_to(data_dir).as_posix()
    _damage(bad, how)
    frame = read_samples(str(data_dir), T0, at(20))
    assert len(frame) == 60  # the good segment still reads
    assert not bad.exists()
    assert (data_dir / "quarantine" / relative).exists()
    found = problems(str(data_dir))
    assert [p["path"] for p in found] == [relative]
    assert found[0]["reason"] and found[0]["when"]
    record = json.loads((data_dir / "state" / "quarantine.json").read_text())
    assert record[0]["moved_to"] == f"quarantine/{relative}"
    assert ds.dataset(data_dir / "samples", partitioning="hive").to_table().num_rows == 60


def test_compaction_quarantines_damaged_inputs_and_merges_the_rest(data_dir):
    for i in range(3):
        write(data_dir, rounds(i * 10, 10))
    _damage(sample_files(data_dir)[0], "truncated")
    stats = compact(str(data_dir))
    assert stats["quarantined"] == 1
    assert [f.name[:2] for f in sample_files(data_dir)] == ["c-"]
    assert len(read_samples(str(data_dir), T0, at(30))) == 120
    assert len(problems(str(data_dir))) == 1


def test_a_damaged_roll_up_file_is_quarantined_and_roll_ups_come_from_raw(data_dir):
    write(data_dir, random_rounds(7, 0, 90))
    compact(str(data_dir))
    expected = read_rollups(str(data_dir), T0, at(90))
    rollup, = (data_dir / "rollups").rglob("r-*.parquet")
    _damage(rollup, "garbage")
    clear_cache()
    assert read_rollups(str(data_dir), T0, at(90)).equals(expected)
    assert [p["path"].split("/")[0] for p in problems(str(data_dir))] == ["rollups"]
    compact(str(data_dir))
    assert read_rollups(str(data_dir), T0, at(90)).equals(expected)


def test_a_damaged_extract_falls_back_to_the_day_files_and_is_rebuilt(data_dir):
    def status(i, platform, check):
        return ("down", "dns") if 30 <= i < 35 and platform == "beta" else ("up", None)

    start = T0.replace(hour=0)
    for day in range(2):
        write(data_dir, rounds(day * 1440, 1440, start=start, status=status))
    compact(str(data_dir))
    window = (start, start + timedelta(days=2))
    expected = read_eventful_samples(str(data_dir), *window)
    extract, = (data_dir / "rollups").rglob("e-*.parquet")
    _damage(extract, "truncated")
    assert read_eventful_samples(str(data_dir), *window).equals(expected)
    assert len(problems(str(data_dir))) == 1
    write(data_dir, rounds(1440, 1, start=start, status=status))  # day 2 changes
    compact(str(data_dir))  # day 1 lost its extract: it is raw tail (all of it) until...
    got = read_eventful_samples(str(data_dir), *window)
    assert len(got) == 1440 * 6  # the whole of day 1; day 2 is all up
    assert set(keys(expected)) <= set(keys(got))
    compact(str(data_dir))  # ...the next run rebuilds it
    assert read_eventful_samples(str(data_dir), *window).equals(expected)
    assert len(list((data_dir / "rollups").rglob("e-*.parquet"))) == 1


def test_temporary_files_are_invisible_to_every_reader(data_dir):
    write(data_dir, rounds(0, 5))
    folder = sample_files(data_dir)[0].parent
    shutil.copy(sample_files(data_dir)[0], folder / ".s-half-written.parquet.123.tmp")
    (folder / ".s-torn.parquet.456.tmp").write_bytes(b"PAR1 torn")
    assert len(read_samples(str(data_dir), T0, at(5))) == 30
    assert ds.dataset(data_dir / "samples", partitioning="hive").to_table().num_rows == 30
    assert problems(str(data_dir)) == []


def test_files_dropped_into_quarantine_by_hand_are_reported_too(data_dir):
    target = data_dir / "quarantine" / "samples" / "date=2024-03-01" / "vantage=hq"
    target.mkdir(parents=True)
    (target / "s-x.parquet").write_bytes(b"junk")
    found = problems(str(data_dir))
    assert [p["path"] for p in found] == ["samples/date=2024-03-01/vantage=hq/s-x.parquet"]
    assert found[0]["reason"] == "found in quarantine/"
