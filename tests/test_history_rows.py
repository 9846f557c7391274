"""Plain sampler rows take a pandas-free path into Arrow; it must equal the general path."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from monitors.history.files import _rows_via_json, normalize
from monitors.history.schema import SAMPLE_SCHEMA
from monitors.vocabulary import STATUSES


def _general(rows, vantage):
    """The general path: from_pylist, then the same validation as normalize()."""
    table = pa.Table.from_pylist([{**r, "vantage": r.get("vantage") or vantage} for r in rows],
                                 schema=SAMPLE_SCHEMA)
    return normalize(table, vantage)


texts = st.one_of(st.none(), st.text(max_size=250))
rows = st.fixed_dictionaries({
    "ts": st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1),
                       timezones=st.sampled_from([UTC, None])),
    "platform": st.text(min_size=1, max_size=20), "check": st.text(min_size=1, max_size=10),
    "kind": st.sampled_from(["http", "dns", "tcp", "tls", "statuspage"]),
    "status": st.sampled_from(STATUSES),
    "latency_ms": st.one_of(st.none(), st.floats(min_value=0, max_value=1e6),
                            st.integers(min_value=0, max_value=10**6)),
    "http_status": st.one_of(st.none(), st.integers(min_value=100, max_value=599)),
    "error": texts, "detail": texts,
})


@settings(max_examples=200, deadline=None)
@given(st.lists(rows, min_size=1, max_size=8))
def test_the_json_path_gives_exactly_what_the_general_path_gives(sample_rows):
    fast = _rows_via_json(sample_rows, "hq")
    assert fast is not None
    assert fast.equals(_general(sample_rows, "hq"))


def test_odd_rows_fall_back_to_the_general_path():
    row = {"ts": 1_700_000_000_000, "platform": "a", "check": "web", "kind": "http",
           "status": "up", "latency_ms": 1.0, "http_status": 200, "error": None, "detail": None}
    assert _rows_via_json([row], "hq") is None  # ts not a datetime
    infinite = {**row, "ts": datetime(2026, 1, 1, tzinfo=UTC), "latency_ms": float("inf")}
    assert _rows_via_json([infinite], "hq") is None  # JSON has no infinity


def test_a_nan_or_subnormal_latency_is_stored_as_the_general_path_stores_it():
    rows = [{"ts": datetime(2026, 1, 1, tzinfo=UTC), "platform": "a", "check": "web",
             "kind": "http", "status": "up", "latency_ms": latency, "http_status": None,
             "error": None, "detail": None} for latency in (float("nan"), 5e-324, 970500.01)]
    assert _rows_via_json(rows, "hq").equals(_general(rows, "hq"))


def test_writing_plain_rows_never_imports_pandas(tmp_path):
    code = f"""
import sys
from datetime import datetime, UTC
from monitors.history import HistoryWriter
writer = HistoryWriter({str(tmp_path)!r}, "hq")
writer.append([{{"ts": datetime.now(UTC), "vantage": "hq", "platform": "a", "check": "web",
                 "kind": "http", "status": "up", "latency_ms": 12.3, "http_status": 200,
                 "error": None, "detail": "ok"}}])
assert writer.flush() == 1
print("pandas" in sys.modules)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"


def test_a_round_spanning_midnight_is_split_by_day_without_loss(tmp_path):
    from monitors.history import HistoryWriter, read_samples

    midnight = datetime(2026, 11, 23, tzinfo=UTC)
    writer = HistoryWriter(str(tmp_path), "hq")
    writer.append([{"ts": midnight + timedelta(seconds=s), "vantage": "hq", "platform": "a",
                    "check": "web", "kind": "http", "status": "up", "latency_ms": 1.0,
                    "http_status": 200, "error": None, "detail": None} for s in (-1, 1)])
    assert writer.flush() == 2
    back = read_samples(str(tmp_path), midnight - timedelta(hours=1), midnight + timedelta(hours=1))
    assert len(back) == 2
