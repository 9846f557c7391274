"""Uploaded series files: kept once, never overwritten, in a local folder and on S3 (moto)."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import test_history_s3

from monitors.history import uploads
from monitors.history.store import open_store
from monitors.history.uploads import UploadError, list_uploads, read_upload, save_upload

s3 = test_history_s3.s3  # the moto server on loopback, shared fixture
T = datetime(2026, 11, 2, 9, 30, 5, tzinfo=UTC)
CSV = b"Name,Created at,Total,Source\n#1001,2026-11-02 09:12:00 +0000,42.50,instagram\n"


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    """A Store on a fresh local folder, or on a fresh prefix of the local S3 server."""
    if request.param == "local":
        return open_store(str(tmp_path / "data"))
    endpoint, _ = request.getfixturevalue("s3")
    url = f"s3://{test_history_s3.BUCKET}/uploads-{request.node.name[:40]}"
    return open_store(url.replace("[", "-").replace("]", ""), endpoint)


def _parquet() -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table({"hour": ["2026-11-02T09:00:00Z"], "revenue": [12.5]}), sink)
    return sink.getvalue()


def test_an_upload_is_kept_under_business_uploads_with_time_name_and_hash(store):
    kept = save_upload(store, "orders_export.csv", CSV, now=T)
    assert kept.new and kept.kind == "csv"
    assert kept.rel.startswith("business/uploads/20261102T093005Z-orders_export-")
    assert kept.rel.endswith(".csv") and len(kept.sha256) == 12
    assert read_upload(store, kept) == CSV
    assert [u.rel for u in list_uploads(store)] == [kept.rel]


def test_the_same_bytes_twice_are_kept_once_even_under_another_name(store):
    first = save_upload(store, "orders.csv", CSV, now=T)
    again = save_upload(store, "orders (1).csv", CSV, now=T + timedelta(hours=3))
    assert not again.new and again.rel == first.rel
    assert len(list_uploads(store)) == 1


def test_a_new_file_under_the_same_name_never_overwrites_the_first(store):
    first = save_upload(store, "orders.csv", CSV, now=T)
    second = save_upload(store, "orders.csv", CSV + b"#1002,2026-11-02 10:00 +0000,9,x\n",
                         now=T)  # same second, same name, other bytes
    assert second.new and second.rel != first.rel
    assert read_upload(store, first) == CSV
    assert [u.rel for u in list_uploads(store)] == sorted([first.rel, second.rel],
                                                          reverse=True)


def test_a_taken_name_holding_other_bytes_gets_the_full_hash(store):
    kept = save_upload(store, "orders.csv", CSV, now=T)
    other = CSV + b"\n"
    short = hashlib.sha256(other).hexdigest()[:12]
    forged = f"{uploads.FOLDER}/20261102T093005Z-orders-{short}.csv"
    store.write(forged, lambda out: out.write(b"someone else's bytes"))
    saved = save_upload(store, "orders.csv", other, now=T)
    assert saved.new and len(saved.sha256) == 64
    assert read_upload(store, forged) == b"someone else's bytes"
    assert read_upload(store, kept) == CSV


def test_parquet_uploads_are_kept_and_listed_newest_first(store):
    old = save_upload(store, "sales.csv", CSV, now=T)
    new = save_upload(store, "ga4 hourly.PARQUET", _parquet(), now=T + timedelta(days=1))
    assert new.kind == "parquet" and new.original == "ga4_hourly"
    assert [u.rel for u in list_uploads(store)] == [new.rel, old.rel]
    assert pq.read_table(io.BytesIO(read_upload(store, new))).num_rows == 1


@pytest.mark.parametrize(("name", "data", "message"), [
    ("orders.xlsx", b"PK\x03\x04", "orders.xlsx: only .csv and .parquet files can be uploaded"),
    ("orders.csv", b"", "orders.csv: the file is empty"),
    ("fake.parquet", b"Name,Total\n", "fake.parquet: not a Parquet file (no PAR1 header)"),
])
def test_a_file_that_cannot_be_used_is_refused_with_one_line_and_nothing_kept(
        store, name, data, message):
    with pytest.raises(UploadError) as caught:
        save_upload(store, name, data, now=T)
    assert str(caught.value) == message
    assert list_uploads(store) == []


def test_an_upload_over_the_size_limit_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(uploads, "MAX_BYTES", 10)
    with pytest.raises(UploadError, match="over the 0 MB limit"):
        save_upload(open_store(str(tmp_path)), "big.csv", b"x" * 11)


@pytest.mark.parametrize(("name", "safe"), [
    ("../../etc/passwd.csv", "passwd"),
    ("C:\\Users\\me\\Desktop\\orders.csv", "orders"),
    ("=cmd|' /C calc'!A0.csv", "C_calc_A0"),  # "/" ends a folder name
    ("=HYPERLINK(1).csv", "HYPERLINK_1"),
    ("<img src=x onerror=alert(1)>.csv", "img_src_x_onerror_alert_1"),
    ("Ventes été 2026.csv", "Ventes_ete_2026"),
    (".hidden.csv", "hidden"),
    ("....csv", "upload"),
    ("x" * 300 + ".csv", "x" * uploads.NAME_CHARS),
])
def test_the_original_name_is_sanitised_into_one_safe_part(name, safe):
    assert uploads.sanitise(name) == safe


def test_a_hostile_name_is_kept_inside_the_uploads_folder(tmp_path):
    store = open_store(str(tmp_path))
    kept = save_upload(store, "../../../outside.csv", CSV, now=T)
    assert kept.rel.startswith("business/uploads/") and "/.." not in kept.rel
    assert (tmp_path / kept.rel).is_file()
    assert not (tmp_path.parent / "outside.csv").exists()


def test_the_mapping_chosen_for_an_upload_is_kept_beside_it_and_not_listed(store):
    kept = save_upload(store, "orders.csv", CSV, now=T)
    uploads.save_mapping(store, kept, {"time": "Created at", "value": "Total",
                                       "channel": "Source", "metric": "revenue"})
    assert uploads.read_mapping(store, kept) == {
        "time": "Created at", "value": "Total", "channel": "Source", "metric": "revenue",
        "file": kept.rel}
    assert [u.rel for u in list_uploads(store)] == [kept.rel]


def test_files_not_named_by_the_uploader_are_left_out_of_the_list(tmp_path):
    store = open_store(str(tmp_path))
    (tmp_path / uploads.FOLDER).mkdir(parents=True)
    (tmp_path / uploads.FOLDER / "notes.txt").write_text("hi")
    assert list_uploads(store) == []
    assert uploads.read_mapping(store, save_upload(store, "a.csv", CSV)) is None
