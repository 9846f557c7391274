"""The on-disk format of raw samples: layout, normalisation, sort + de-duplication, Parquet I/O.

`DATA/samples/date=YYYY-MM-DD/vantage=NAME/<file>.parquet`. The vantage lives in the folder
name only (a column of the same name inside the file would clash with hive partitioning in
pandas). Files are sorted by (platform, check, ts) for compression: one row group per file,
so each column has one dictionary for the whole day. Segments are named `s-<rank>-<id>`,
compacted files `c-<rank>-<id>`; the rank (a nanosecond clock) orders files for
de-duplication: of two rows with the same key the one from the later file wins.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from monitors.history.schema import SAMPLE_SCHEMA
from monitors.history.store import Store, rank_of
from monitors.vocabulary import COLUMNS, DETAIL_MAX, STATUSES

FILE_SCHEMA = pa.schema([f for f in SAMPLE_SCHEMA if f.name != "vantage"])
FILE_COLUMNS: tuple[str, ...] = tuple(FILE_SCHEMA.names)
SORT_KEYS = [("platform", "ascending"), ("check", "ascending"), ("ts", "ascending")]
# Latency is kept to 3 significant digits (0.5 % at most: 12.3 ms, 123 ms, 1.23 s). A network
# round trip jitters far more than that, and full float32 noise would double the history size.
LATENCY_DIGITS = 3
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
ROW_GROUP_MAX = 1 << 20
VANTAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_DICTIONARY = ["platform", "check", "kind", "status", "latency_ms", "http_status", "error",
               "detail"]
_PART = re.compile(r"^samples/date=(\d{4}-\d{2}-\d{2})/vantage=([^/]+)/([^/]+\.parquet)$")


@dataclass(frozen=True, slots=True, order=True)
class Partition:
    """One hive partition of samples: a UTC day seen from one vantage."""

    day: str  # YYYY-MM-DD
    vantage: str

    @property
    def rel(self) -> str:
        """The partition's folder, relative to the data root."""
        return f"samples/date={self.day}/vantage={self.vantage}"


def parse_sample_path(rel: str) -> tuple[Partition, str] | None:
    """(partition, file name) for a samples file path, None for anything else."""
    match = _PART.match(rel)
    return (Partition(match.group(1), match.group(2)), match.group(3)) if match else None


def file_order(name: str) -> tuple[int, int, str]:
    """Sort key of files in one partition: older first; a merged file after its inputs."""
    return rank_of(name), 1 if name.startswith("c-") else 0, name


def day_of(ms: int) -> str:
    """The UTC date (YYYY-MM-DD) of an epoch-millisecond timestamp."""
    return datetime.fromtimestamp(ms / 1000, UTC).date().isoformat()


def day_start_ms(day: str | date) -> int:
    """Epoch milliseconds of a UTC day's midnight."""
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) * 1000


def ts_ms(table: pa.Table) -> np.ndarray:
    """The ts column as int64 epoch milliseconds."""
    column = table["ts"]
    column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    ints = column.view(pa.int64()) if pa.types.is_timestamp(column.type) else column.cast(
        pa.int64())
    return int_numpy(ints)


def int_numpy(array: pa.Array) -> np.ndarray:
    """An integer Arrow array as numpy, straight from its buffer when it has no nulls.

    Why: Array.to_numpy() (and pa.array() of numpy) import pandas, about 50 MB, just to look
    for pandas types; the long-running sampler writes history without ever needing pandas.
    """
    if array.null_count or not pa.types.is_integer(array.type):
        return array.to_numpy(zero_copy_only=False)
    dtype = np.dtype(str(array.type))
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array),
                         offset=array.offset * dtype.itemsize).copy()


def arrow_indices(indices: np.ndarray) -> pa.Array:
    """int64 row indices as an Arrow array without pa.array() (see int_numpy)."""
    indices = np.ascontiguousarray(indices, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(indices), [None, pa.py_buffer(indices)])


def _quantized(x: np.ndarray) -> np.ndarray:
    """float64 latencies (already float32 values) -> float32 at LATENCY_DIGITS digits."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        scale = 10.0 ** (np.floor(np.log10(np.abs(x))) - (LATENCY_DIGITS - 1))
        rounded = np.where(np.isfinite(scale) & (scale > 0), np.round(x / scale) * scale, x)
    return rounded.astype(np.float32)


def quantize_latency(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Round latencies to LATENCY_DIGITS significant digits (idempotent), as float32."""
    rounded = _quantized(values.to_numpy(zero_copy_only=False).astype(np.float64))
    return pa.array(rounded, mask=np.isnan(rounded))


def normalize(rows: Sequence[dict[str, Any]] | pa.Table, vantage: str) -> pa.Table:
    """Validate rows against SAMPLE_SCHEMA and bring them to the stored form."""
    if isinstance(rows, pa.Table | pa.RecordBatch):
        table = _cast(pa.Table.from_batches([rows]) if isinstance(rows, pa.RecordBatch)
                      else rows)
    else:
        fast = _rows_via_json(rows, vantage)
        if fast is not None:
            return fast
        table = pa.Table.from_pylist(
            [{**row, "vantage": row.get("vantage") or vantage} for row in rows],
            schema=SAMPLE_SCHEMA,
        )
    if table.num_rows == 0:
        return table
    table = table.set_column(1, "vantage", pc.fill_null(table["vantage"], vantage))
    for field in SAMPLE_SCHEMA:
        if not field.nullable and table[field.name].null_count:
            raise ValueError(f"samples: column {field.name!r} must not be empty")
    if not pc.all(pc.equal(table["vantage"], vantage)).as_py():
        raise ValueError(f"samples: every row must come from vantage {vantage!r}")
    if not pc.all(pc.is_in(table["status"], pa.array(STATUSES))).as_py():
        raise ValueError(f"samples: status must be one of {', '.join(STATUSES)}")
    detail = table["detail"]
    if (pc.max(pc.utf8_length(detail)).as_py() or 0) > DETAIL_MAX:
        detail = pc.utf8_slice_codeunits(detail, 0, DETAIL_MAX)
    table = table.set_column(9, "detail", detail)
    return table.set_column(6, "latency_ms", quantize_latency(table["latency_ms"]))


# What normalize() returns: SAMPLE_SCHEMA with vantage nullable (set_column's result); both
# paths must agree exactly, since buffered tables are concatenated.
_NORMALIZED = SAMPLE_SCHEMA.set(1, pa.field("vantage", pa.string()))


def _json_row(row: dict[str, Any], vantage: str, latency: float | None) -> str | None:
    ts = row.get("ts")
    if not isinstance(ts, datetime):
        return None
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC)
    row_vantage, code = row.get("vantage") or vantage, row.get("http_status")
    if row_vantage != vantage or row.get("status") not in STATUSES:
        return None  # let the general path raise its clear error
    if not all(isinstance(row.get(k), str) and row.get(k) for k in ("platform", "check", "kind")):
        return None
    if code is not None and not isinstance(code, int):
        return None
    detail = row.get("detail")
    return json.dumps({
        "ts": ts.strftime("%Y-%m-%d %H:%M:%S.") + f"{ts.microsecond // 1000:03d}",
        "vantage": row_vantage, "platform": row["platform"], "check": row["check"],
        "kind": row["kind"], "status": row["status"], "latency_ms": latency,
        "http_status": code, "error": row.get("error"),
        "detail": None if detail is None else str(detail)[:DETAIL_MAX],
    }, allow_nan=False)


def _latencies(rows: Sequence[dict[str, Any]]) -> list[float | None] | None:
    """Each row's latency rounded exactly as quantize_latency() rounds it (None: fall back)."""
    raw = [row.get("latency_ms") for row in rows]
    if any(v is not None and (isinstance(v, bool) or not isinstance(v, int | float)) for v in raw):
        return None
    # float32 first, as the general path stores it before rounding
    values = np.array([np.nan if v is None else v for v in raw], dtype=np.float32)
    rounded = _quantized(values.astype(np.float64))
    return [None if np.isnan(v) else float(v) for v in rounded]


def _rows_via_json(rows: Sequence[dict[str, Any]], vantage: str) -> pa.Table | None:
    """Plain sampler rows -> Arrow through pyarrow's C++ JSON reader, or None to fall back.

    Why: any conversion of Python objects in pyarrow (pa.array, from_pylist) imports pandas
    (~50 MB) to check for pandas types; the long-running sampler never needs pandas, and this
    path keeps it out. Validation matches the general path; anything unusual falls back.
    """
    latencies = _latencies(rows)
    if latencies is None:
        return None
    lines = []
    for row, latency in zip(rows, latencies, strict=True):
        try:
            line = _json_row(row, vantage, latency)
        except (TypeError, ValueError):  # infinite latency, odd types: the general path decides
            return None
        if line is None:
            return None
        lines.append(line)
    if not lines:
        return None
    options = pa_json.ParseOptions(explicit_schema=SAMPLE_SCHEMA, unexpected_field_behavior="error")
    table = pa_json.read_json(io.BytesIO("\n".join(lines).encode()), parse_options=options)
    return pa.Table.from_arrays(table.columns, schema=_NORMALIZED)


def _cast(table: pa.Table) -> pa.Table:
    columns = []
    for field in SAMPLE_SCHEMA:
        if field.name not in table.column_names:
            if not field.nullable and field.name != "vantage":
                raise ValueError(f"samples: column {field.name!r} is missing")
            columns.append(pa.nulls(table.num_rows, field.type))
            continue
        column = table[field.name]
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if field.name == "ts" and pa.types.is_timestamp(column.type) and column.type.tz is None:
            column = column.cast(pa.timestamp(column.type.unit, tz="UTC"))
        columns.append(column.cast(field.type, safe=field.name != "ts"))
    return pa.Table.from_arrays(columns, schema=SAMPLE_SCHEMA)


def sort_dedupe(table: pa.Table) -> tuple[pa.Table, int]:
    """Sort by (platform, check, ts); of rows sharing a key keep the last one (stable sort)."""
    if table.num_rows == 0:
        return table, 0
    table = table.take(pc.sort_indices(table, sort_keys=SORT_KEYS)).combine_chunks()
    if table.num_rows < 2:
        return table, 0
    ts = ts_ms(table)
    same = ts[1:] == ts[:-1]
    for name in ("platform", "check"):
        codes = _codes(table[name])
        same &= codes[1:] == codes[:-1]
    if not same.any():
        return table, 0
    keep = np.append(~same, True)
    return table.take(arrow_indices(np.flatnonzero(keep))), int(same.sum())


def _codes(column: pa.ChunkedArray) -> np.ndarray:
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return int_numpy(pc.dictionary_encode(array).indices)


def to_file_table(table: pa.Table) -> pa.Table:
    """Drop the vantage column (it is the partition folder) and fix column order/types."""
    return table.select(list(FILE_COLUMNS)).cast(FILE_SCHEMA)


def write_samples(store: Store, rel: str, *parts: pa.Table,
                  metadata: dict[bytes, bytes] | None = None) -> int:
    """Write sorted, de-duplicated tables as one Parquet file (atomically), one row group
    per part (an empty part still makes an empty row group); returns rows written."""
    schema = FILE_SCHEMA.with_metadata(metadata) if metadata else FILE_SCHEMA

    def fill(out: Any) -> None:
        with pq.ParquetWriter(out, schema, compression="zstd", use_dictionary=_DICTIONARY,
                              column_encoding={"ts": "DELTA_BINARY_PACKED"},
                              write_statistics=True) as writer:
            for part in parts:
                writer.write_table(to_file_table(part), row_group_size=ROW_GROUP_MAX)

    store.write(rel, fill)
    return sum(part.num_rows for part in parts)


def with_vantage(table: pa.Table, vantage: str) -> pa.Table:
    """Add the partition's vantage column back, in SAMPLE_SCHEMA order."""
    if "vantage" not in table.column_names:
        table = table.append_column("vantage", pa.repeat(pa.scalar(vantage), table.num_rows))
    names = [n for n in COLUMNS if n in table.column_names]
    return table.select(names)


class SchemaMismatch(ValueError):
    """A Parquet file whose columns cannot be read as samples."""


def check_file_schema(schema: pa.Schema) -> None:
    """Raise SchemaMismatch when a file's columns cannot be read as samples."""
    for field in FILE_SCHEMA:
        if field.name not in schema.names:
            raise SchemaMismatch(f"column {field.name!r} is missing")
        found = schema.field(field.name).type
        if found != field.type and not _castable(found, field.type):
            raise SchemaMismatch(f"column {field.name!r} is {found}, expected {field.type}")


def _castable(found: pa.DataType, wanted: pa.DataType) -> bool:
    if pa.types.is_dictionary(found):
        found = found.value_type
    kinds = (pa.types.is_string, pa.types.is_large_string, pa.types.is_timestamp,
             pa.types.is_floating, pa.types.is_integer)
    return any(kind(found) and kind(wanted) for kind in kinds) or (
        pa.types.is_string(wanted) and pa.types.is_large_string(found))
