"""HistoryWriter: buffering, atomic segment files, the on-disk contract, faults, the lock."""

from __future__ import annotations

import logging
import os
import resource
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

import duckdb
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from support_history import ROOT, T0, at, keys, rounds, sample_files, table, write

from monitors.history import HistoryWriter, acquire_writer_lock, read_samples


def test_it_flushes_samples_into_a_hive_dataset_that_pyarrow_duckdb_and_pandas_read(data_dir):
    write(data_dir, rounds(0, 150))  # 22:00 .. 00:29: two days
    samples = data_dir / "samples"
    assert {p.parent.relative_to(samples).as_posix() for p in sample_files(data_dir)} == {
        "date=2024-03-01/vantage=hq", "date=2024-03-02/vantage=hq"}
    dataset = ds.dataset(samples, partitioning="hive").to_table()
    assert dataset.num_rows == 150 * 6
    assert set(dataset["vantage"].to_pylist()) == {"hq"}
    count = duckdb.sql(f"select count(*), count(distinct vantage) from read_parquet("
                       f"'{samples}/**/*.parquet', hive_partitioning=true)").fetchall()[0]
    assert count == (900, 1)
    assert len(pd.read_parquet(samples)) == 900


def test_it_reads_back_exactly_what_was_appended(data_dir):
    rows = rounds(0, 20, status=lambda i, p, c: ("down", "dns") if i == 3 else ("up", None))
    write(data_dir, rows)
    frame = read_samples(str(data_dir), T0, at(20))
    expected = table(rows).to_pandas().sort_values(["ts", "vantage", "platform", "check"])
    pd.testing.assert_frame_equal(frame, expected.reset_index(drop=True))
    assert str(frame["ts"].dtype) == "datetime64[ms, UTC]"


def test_it_is_due_after_flush_rows_or_flush_every_seconds(data_dir):
    writer = HistoryWriter(str(data_dir), "hq", flush_rows=12, flush_every_s=3600)
    assert not writer.due()
    writer.append(rounds(0, 1))
    assert not writer.due()
    writer.append(rounds(1, 1))
    assert writer.due()
    writer.flush()
    slow = HistoryWriter(str(data_dir), "hq", flush_rows=10**6, flush_every_s=0)
    assert not slow.due()  # nothing buffered
    slow.append(rounds(2, 1))
    assert slow.due()


def test_it_writes_segments_under_a_temporary_dot_name_then_renames(data_dir, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((os.path.basename(src), os.path.basename(dst), os.path.getsize(src)))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write(data_dir, rounds(0, 5))
    (temp, final, size), = seen
    assert temp.startswith(".") and temp.endswith(".tmp") and final.startswith("s-")
    assert size == (sample_files(data_dir)[0]).stat().st_size
    assert not [p for p in data_dir.rglob("*") if p.name.startswith(".") and p.is_file()
                and p.suffix == ".tmp"]


def test_segments_are_sorted_compressed_and_dictionary_encoded_without_a_vantage_column(
        data_dir):
    write(data_dir, list(reversed(rounds(0, 30))))
    parquet = pq.ParquetFile(sample_files(data_dir)[0])
    assert "vantage" not in parquet.schema_arrow.names  # it is the partition folder
    column = parquet.metadata.row_group(0).column(parquet.schema_arrow.names.index("platform"))
    assert column.compression == "ZSTD"
    assert "RLE_DICTIONARY" in column.encodings
    rows = parquet.read().to_pandas()
    assert list(rows.index) == list(rows.sort_values(["platform", "check", "ts"]).index)


def test_latency_is_kept_to_three_significant_digits(data_dir):
    rows = rounds(0, 1)[:4]
    for row, latency in zip(rows, (12.3456, 123.456, 1234.5, 0.98765), strict=True):
        row["latency_ms"] = latency
    write(data_dir, rows)
    frame = read_samples(str(data_dir), T0, at(1))
    assert sorted(round(float(x), 4) for x in frame["latency_ms"]) == [0.988, 12.3, 123.0,
                                                                        1230.0]


def test_a_long_detail_is_cut_to_200_characters(data_dir):
    rows = rounds(0, 1)[:1]
    rows[0].update(status="down", error="tls", detail="x" * 500)
    write(data_dir, rows)
    assert len(read_samples(str(data_dir), T0, at(1))["detail"][0]) == 200


@pytest.mark.parametrize("change, message", [
    ({"vantage": "elsewhere"}, "vantage 'hq'"),
    ({"status": "sideways"}, "status must be one of"),
    ({"platform": None}, "'platform' must not be empty"),
])
def test_it_rejects_malformed_rows_at_append(data_dir, change, message):
    writer = HistoryWriter(str(data_dir), "hq")
    row = {**rounds(0, 1)[0], **change}
    with pytest.raises(ValueError, match=message):
        writer.append([row])
    assert writer.stats["buffered"] == 0


def test_rows_without_a_vantage_get_the_writers(data_dir):
    rows = [{k: v for k, v in row.items() if k != "vantage"} for row in rounds(0, 2)]
    write(data_dir, rows, vantage="eu-west")
    assert set(read_samples(str(data_dir), T0, at(2))["vantage"]) == {"eu-west"}


def test_a_failing_flush_keeps_the_buffer_counts_the_error_and_retries(data_dir):
    blocker = data_dir / "samples"
    blocker.write_text("not a folder")  # every write below samples/ now fails with OSError
    writer = HistoryWriter(str(data_dir), "hq")
    writer.append(rounds(0, 10))
    assert writer.flush() == 0
    stats = writer.stats
    assert (stats["buffered"], stats["flush_errors"], stats["written"]) == (60, 1, 0)
    assert stats["last_error"]
    writer.append(rounds(10, 5))
    assert writer.flush() == 0
    blocker.unlink()
    assert writer.flush() == 90
    assert writer.stats["buffered"] == 0
    assert keys(read_samples(str(data_dir), T0, at(15))) == keys(
        table(rounds(0, 15)).to_pandas().sort_values(["ts", "platform", "check"]))


def test_a_read_only_folder_keeps_samples_buffered_until_it_is_writable(data_dir):
    samples = data_dir / "samples"
    samples.mkdir()
    writer = HistoryWriter(str(data_dir), "hq")
    writer.append(rounds(0, 3))
    with _read_only(samples):
        assert writer.flush() == 0
        assert writer.stats["buffered"] == 18
    assert writer.flush() == 18


def test_a_full_disk_keeps_samples_buffered(tmp_path):
    """A file-size limit makes writes fail with EFBIG, as a full disk fails with ENOSPC."""
    script = textwrap.dedent(f"""
        import resource, signal, sys
        sys.path[:0] = [{str(ROOT)!r}, {str(ROOT / "tests")!r}]
        from monitors.history import HistoryWriter
        from support_history import rounds
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        writer = HistoryWriter({str(tmp_path / 'data')!r}, "hq")
        writer.append(rounds(0, 400))
        soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, hard))
        print(writer.flush(), writer.stats["buffered"], writer.stats["flush_errors"])
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        print(writer.flush(), writer.stats["buffered"])
    """)
    assert resource.RLIMIT_FSIZE  # POSIX only
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=120)
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.split("\n")[:2]
    assert first.split()[:2] == ["0", "2400"] and int(first.split()[2]) >= 1
    assert second.split() == ["2400", "0"]


def test_past_max_buffer_rows_the_oldest_samples_are_dropped_with_a_counted_warning(
        data_dir, caplog):
    (data_dir / "samples").write_text("blocked")
    writer = HistoryWriter(str(data_dir), "hq", max_buffer_rows=30)
    writer.append(rounds(0, 4))  # 24 rows: within the bound
    assert writer.stats["dropped"] == 0
    with caplog.at_level(logging.WARNING, logger="monitors.history"):
        writer.append(rounds(4, 2))  # 36 rows: the 6 oldest go
        writer.flush()
    assert writer.stats["dropped"] == 6 and writer.stats["buffered"] == 30
    assert any("dropped the 6 oldest" in r.getMessage() for r in caplog.records)
    (data_dir / "samples").unlink()
    writer.flush()
    kept = read_samples(str(data_dir), T0, at(10))
    assert kept["ts"].min() == pd.Timestamp(at(1))


def test_close_flushes_what_is_buffered(data_dir):
    with HistoryWriter(str(data_dir), "hq", flush_rows=10**6) as writer:
        writer.append(rounds(0, 3))
    assert len(read_samples(str(data_dir), T0, at(3))) == 18


def test_the_writer_lock_admits_one_writer_per_vantage(data_dir):
    first = acquire_writer_lock(str(data_dir), "hq")
    assert first is not None
    assert acquire_writer_lock(str(data_dir), "hq") is None
    other = acquire_writer_lock(str(data_dir), "eu")
    assert other is not None
    assert (data_dir / "state" / "writer-hq.lock").exists()
    probe = [sys.executable, "-c", "import sys; from monitors.history import "
             "acquire_writer_lock as a; sys.exit(0 if a(sys.argv[1], 'hq') is None else 1)",
             str(data_dir)]
    assert subprocess.run(probe, timeout=60).returncode == 0  # held: another process waits
    first.release()
    first.release()  # idempotent
    assert subprocess.run(probe, timeout=60).returncode == 1  # free now
    other.release()


def test_a_killed_writers_lock_is_free_again(data_dir):
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from monitors.history import acquire_writer_lock as a; "
        "lock = a(sys.argv[1], 'hq'); assert lock; print('held', flush=True); time.sleep(60)"),
        str(data_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        assert acquire_writer_lock(str(data_dir), "hq") is None
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    lock = acquire_writer_lock(str(data_dir), "hq")
    assert lock is not None
    lock.release()


def test_an_unsafe_vantage_name_is_refused(data_dir):
    with pytest.raises(ValueError, match="vantage"):
        HistoryWriter(str(data_dir), "../escape")


def test_samples_are_partitioned_by_their_own_utc_day(data_dir):
    rows = rounds(0, 1, start=T0.replace(hour=23, minute=59, second=59))
    rows += rounds(0, 1, start=T0.replace(hour=23, minute=59) + timedelta(minutes=1))
    write(data_dir, rows)
    days = sorted(p.parent.parent.name for p in sample_files(data_dir))
    assert days == ["date=2024-03-01", "date=2024-03-02"]


class _read_only:
    """Make a folder unwritable: chmod for ordinary users, chattr +i for root; else skip."""

    def __init__(self, path) -> None:
        self.path, self.undo = path, None

    def __enter__(self) -> None:
        if os.geteuid() != 0:
            os.chmod(self.path, 0o555)
            self.undo = lambda: os.chmod(self.path, 0o755)
            return
        done = subprocess.run(["chattr", "+i", str(self.path)], capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot make a folder read-only here (root without chattr)")
        self.undo = lambda: subprocess.run(["chattr", "-i", str(self.path)], check=True)

    def __exit__(self, *exc: object) -> None:
        self.undo()
