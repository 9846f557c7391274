"""The history on an object store: a real local S3 server (moto in server mode) on 127.0.0.1."""

from __future__ import annotations

import os

import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pytest
from support_history import T0, at, keys, random_rounds, rounds

from monitors.history import (
    HistoryWriter,
    acquire_writer_lock,
    compact,
    data_version,
    iter_sample_batches,
    problems,
    read_eventful_samples,
    read_rollups,
    read_samples,
)

BUCKET = "pulse-history"
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on a free loopback port, dummy credentials, one empty bucket."""
    from moto.server import ThreadedMotoServer

    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ.update(_ENV)  # before any client exists: nothing may look for real AWS
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    fs = pafs.S3FileSystem(endpoint_override=f"{host}:{port}", scheme="http",
                           region="us-east-1", access_key="testing", secret_key="testing",
                           allow_bucket_creation=True, allow_delayed_open=True)
    fs.create_dir(BUCKET)
    yield endpoint, fs
    server.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def url(s3, request):
    """A fresh prefix in the bucket for each test."""
    return f"s3://{BUCKET}/{request.node.name[:40]}"


def _listing(fs, url: str) -> list[str]:
    selector = pafs.FileSelector(url[5:], recursive=True, allow_not_found=True)
    return sorted(i.path[len(url) - 4:] for i in fs.get_file_info(selector)
                  if i.type == pafs.FileType.File)


def test_two_vantages_write_one_dataset_and_a_compaction_merges_it(s3, url):
    endpoint, fs = s3
    writers = {v: HistoryWriter(url, v, storage_endpoint=endpoint) for v in ("eu", "us")}
    locks = [acquire_writer_lock(url, v) for v in writers]
    assert all(locks) and acquire_writer_lock(url, "eu") is None
    for first in range(0, 90, 30):  # three flushes each, interleaved
        for seed, (vantage, writer) in enumerate(writers.items()):
            writer.append(random_rounds(seed, first, 30, vantage=vantage))
            assert writer.flush() == 180
    segments = [p for p in _listing(fs, url) if p.startswith("samples/")]
    assert len(segments) == 6 and all("/s-" in p for p in segments)
    before = read_samples(url, T0, at(90), storage_endpoint=endpoint)
    assert len(before) == 2 * 90 * 6 == len(set(keys(before)))

    stats = compact(url, storage_endpoint=endpoint)
    assert stats["partitions"] == 2 and stats["files_merged"] == 6
    files = _listing(fs, url)
    assert [p.split("/")[-1][:2] for p in files if p.startswith("samples/")] == ["c-", "c-"]
    assert sum(p.startswith("rollups/") for p in files) == 4  # r- and e- per vantage

    after = read_samples(url, T0, at(90), storage_endpoint=endpoint)
    assert after.equals(before)
    assert set(after["vantage"]) == {"eu", "us"}
    rollups = read_rollups(url, T0, at(90), storage_endpoint=endpoint)
    assert rollups[["n_up", "n_degraded", "n_down", "n_unknown"]].to_numpy().sum() == len(after)
    eventful = read_eventful_samples(url, T0, at(90), storage_endpoint=endpoint)
    assert set(eventful["vantage"]) == {"eu", "us"}
    streamed = sum(b.num_rows for b in iter_sample_batches(url, T0, at(90),
                                                           storage_endpoint=endpoint))
    assert streamed == len(after)
    # the bucket is a plain hive dataset for any other reader
    table = ds.dataset(f"{url[5:]}/samples", filesystem=fs, partitioning="hive").to_table()
    assert table.num_rows == len(after)
    for lock in locks:
        lock.release()


def test_new_samples_after_a_compaction_are_read_and_merged_next_time(s3, url):
    endpoint, _ = s3
    writer = HistoryWriter(url, "eu", storage_endpoint=endpoint)
    writer.append(rounds(0, 20, vantage="eu"))
    writer.flush()
    compact(url, storage_endpoint=endpoint)
    version = data_version(url, storage_endpoint=endpoint)
    writer.append(rounds(20, 10, vantage="eu", status=lambda i, p, c: ("down", "connect")))
    writer.flush()
    assert data_version(url, storage_endpoint=endpoint) != version
    rollups = read_rollups(url, T0, at(30), storage_endpoint=endpoint)
    assert rollups["n_down"].sum() == 60
    compact(url, storage_endpoint=endpoint)
    assert read_rollups(url, T0, at(30), storage_endpoint=endpoint).equals(rollups)
    assert compact(url, storage_endpoint=endpoint).get("partitions", 0) == 0


def test_a_corrupt_object_is_moved_to_quarantine_and_reported(s3, url):
    endpoint, fs = s3
    writer = HistoryWriter(url, "eu", storage_endpoint=endpoint)
    for first in (0, 10):
        writer.append(rounds(first, 10, vantage="eu"))
        writer.flush()
    bad = next(p for p in _listing(fs, url) if p.startswith("samples/"))
    with fs.open_output_stream(f"{url[5:]}/{bad}") as out:
        out.write(b"PAR1 definitely not parquet")
    assert len(read_samples(url, T0, at(20), storage_endpoint=endpoint)) == 60
    assert [p["path"] for p in problems(url, storage_endpoint=endpoint)] == [bad]
    assert f"quarantine/{bad}" in _listing(fs, url)
