"""Compaction: merging, de-duplication, idempotence, crash safety, the CLI."""

from __future__ import annotations

import shutil
import sys
from datetime import timedelta

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from support_history import T0, at, keys, random_rounds, rounds, sample_files, write

from monitors.__main__ import main
from monitors.history import compact, data_version, read_rollups, read_samples


def _flushes(data_dir, count: int, per: int = 10) -> None:
    for i in range(count):
        write(data_dir, rounds(i * per, per))


def test_it_merges_every_partitions_segments_into_one_file(data_dir):
    _flushes(data_dir, 13, per=11)  # 143 rounds from 22:00: one flush straddles midnight
    assert len(sample_files(data_dir)) == 14
    stats = compact(str(data_dir))
    files = sample_files(data_dir)
    assert [f.name[:2] for f in files] == ["c-", "c-"]
    assert stats["partitions"] == 2 and stats["files_merged"] == 14
    assert len(read_samples(str(data_dir), T0, at(150))) == 143 * 6
    assert pq.ParquetFile(files[0]).num_row_groups == 1


def test_it_keeps_one_row_per_key_the_newest(data_dir):
    write(data_dir, rounds(0, 10))
    newer = rounds(5, 2, status=lambda i, p, c: ("down", "connect"))
    write(data_dir, newer)
    assert len(ds.dataset(data_dir / "samples", partitioning="hive").to_table()) == 72
    before = read_samples(str(data_dir), T0, at(10))  # readers de-duplicate already
    stats = compact(str(data_dir))
    after = read_samples(str(data_dir), T0, at(10))
    assert stats["duplicates"] == 12
    assert len(after) == 60 == len(set(keys(after)))
    assert before.equals(after)
    assert set(after[after["ts"].isin([at(5), at(6)])]["status"]) == {"down"}
    assert ds.dataset(data_dir / "samples", partitioning="hive").to_table().num_rows == 60


def test_compaction_is_idempotent(data_dir):
    _flushes(data_dir, 4)
    compact(str(data_dir))
    version, files = data_version(str(data_dir)), sorted(data_dir.rglob("*.parquet"))
    again = compact(str(data_dir))
    assert data_version(str(data_dir)) == version
    assert sorted(data_dir.rglob("*.parquet")) == files
    assert again.get("partitions", 0) == 0 and again.get("rollup_files", 0) == 0


def test_a_crash_between_writing_the_merged_file_and_removing_inputs_shows_no_duplicates(
        data_dir, tmp_path):
    rows = random_rounds(1, 0, 40)
    write(data_dir, rows[:120])
    write(data_dir, rows[120:])
    saved = tmp_path / "saved"
    shutil.copytree(data_dir / "samples", saved)
    compact(str(data_dir))
    expected = read_samples(str(data_dir), T0, at(40))
    expected_rollups = read_rollups(str(data_dir), T0, at(40))
    # the crash: the merged file was written but the inputs are still there
    shutil.copytree(saved, data_dir / "samples", dirs_exist_ok=True)
    assert len(sample_files(data_dir)) == 3
    seen = read_samples(str(data_dir), T0, at(40))
    assert seen.equals(expected)
    assert read_rollups(str(data_dir), T0, at(40)).equals(expected_rollups)
    compact(str(data_dir))
    assert len(sample_files(data_dir)) == 1
    assert read_samples(str(data_dir), T0, at(40)).equals(expected)


def test_a_crash_before_roll_ups_are_written_leaves_them_exact(data_dir):
    write(data_dir, random_rounds(2, 0, 30))
    compact(str(data_dir))
    expected = read_rollups(str(data_dir), T0, at(30))
    for rollup in (data_dir / "rollups").rglob("*.parquet"):
        rollup.unlink()  # as if the run died after merging
    assert read_rollups(str(data_dir), T0, at(30)).equals(expected)
    files = sample_files(data_dir)
    compact(str(data_dir))
    assert list((data_dir / "rollups").rglob("r-*.parquet"))
    assert read_rollups(str(data_dir), T0, at(30)).equals(expected)
    assert sample_files(data_dir) == files  # rolled up again without rewriting samples


def test_segments_written_while_compaction_runs_are_left_in_place(data_dir, monkeypatch):
    write(data_dir, rounds(0, 10))
    module = sys.modules["monitors.history.compaction"]
    real = module.write_samples
    late = rounds(10, 5)

    def write_then_sampler_flushes(store, rel, *parts, **kwargs):
        result = real(store, rel, *parts, **kwargs)
        if rel.startswith("samples/") and late:
            write(data_dir, late.copy())  # the sampler flushes during compaction
            late.clear()
        return result

    monkeypatch.setattr(module, "write_samples", write_then_sampler_flushes)
    compact(str(data_dir))
    assert sorted(f.name[:2] for f in sample_files(data_dir)) == ["c-", "s-"]
    assert len(read_samples(str(data_dir), T0, at(15))) == 90
    monkeypatch.undo()
    compact(str(data_dir))
    assert [f.name[:2] for f in sample_files(data_dir)] == ["c-"]
    assert len(read_samples(str(data_dir), T0, at(15))) == 90


def test_a_second_compaction_waits_its_turn(data_dir):
    from monitors.history.writer import lock_path, try_lock

    write(data_dir, rounds(0, 3))
    held = try_lock(lock_path(str(data_dir), "compact"))
    try:
        assert compact(str(data_dir)) == {"skipped": "another compaction is running"}
    finally:
        held.release()
    assert compact(str(data_dir))["partitions"] == 1


def test_days_after_now_are_left_alone(data_dir):
    write(data_dir, rounds(0, 180))  # 22:00 .. 00:59 next day
    stats = compact(str(data_dir), now=T0 + timedelta(hours=1))
    assert stats["partitions"] == 1
    assert sorted(f.name[:2] for f in sample_files(data_dir)) == ["c-", "s-"]


def test_a_late_sample_for_a_compacted_day_is_merged_next_time(data_dir):
    write(data_dir, rounds(0, 20))
    compact(str(data_dir))
    late = rounds(20, 1, status=lambda i, p, c: ("down", "timeout"))
    write(data_dir, late)
    assert len(read_samples(str(data_dir), T0, at(21))) == 126
    rollups = read_rollups(str(data_dir), T0, at(21))
    assert rollups["n_down"].sum() == 6
    compact(str(data_dir))
    assert len(sample_files(data_dir)) == 1
    assert read_rollups(str(data_dir), T0, at(21)).equals(rollups)


def test_old_temporary_files_are_removed_and_young_ones_kept(data_dir):
    import os
    import time

    write(data_dir, rounds(0, 3))
    folder = sample_files(data_dir)[0].parent
    old, young = folder / ".s-old.parquet.abc.tmp", folder / ".s-young.parquet.def.tmp"
    old.write_bytes(b"half a file")
    young.write_bytes(b"being written")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    stats = compact(str(data_dir))
    assert stats["temp_removed"] == 1 and not old.exists() and young.exists()
    assert ds.dataset(data_dir / "samples", partitioning="hive").to_table().num_rows == 18


def test_python_m_monitors_compact_prints_a_summary(data_dir, capsys):
    _flushes(data_dir, 3)
    assert main(["compact", "--data", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "compacted 1 partitions (3 files, 180 samples, 0 duplicates dropped)" in out


@pytest.mark.parametrize("vantages", [("hq",), ("hq", "eu")])
def test_roll_up_and_extract_files_are_replaced_not_accumulated(data_dir, vantages):
    for day in range(3):
        for vantage in vantages:
            write(data_dir, rounds(day * 1440, 30, vantage=vantage), vantage=vantage)
        compact(str(data_dir))
    per_folder: dict = {}
    for path in (data_dir / "rollups").rglob("*.parquet"):
        per_folder.setdefault(path.parent.name, []).append(path.name[:2])
    assert {k: sorted(v) for k, v in per_folder.items()} == {
        f"vantage={v}": ["e-", "r-"] for v in vantages}
    rows = pa.concat_tables([pq.read_table(p) for p in (data_dir / "rollups").rglob("r-*")])
    assert rows.num_rows == 3 * len(vantages) * 6  # 3 days x 1 hour x 6 series
