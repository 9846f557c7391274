"""Finding and reading sample files: listing partitions, per-file fault handling, de-duplication."""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from monitors.history.files import (
    DAY_MS,
    FILE_COLUMNS,
    FILE_SCHEMA,
    Partition,
    SchemaMismatch,
    check_file_schema,
    file_order,
    parse_sample_path,
    sort_dedupe,
    ts_ms,
    with_vantage,
)
from monitors.history.quarantine import is_known_bad, quarantine
from monitors.history.store import Store

log = logging.getLogger("monitors.history")
T = TypeVar("T")
R = TypeVar("R")
Listing = dict[Partition, list[str]]
FILE_SCHEMA_BY_NAME = {f.name: f for f in FILE_SCHEMA}


class Vanished(Exception):
    """A listed file disappeared before it was read (a compaction replaced it)."""


def to_ms(value: Any) -> int:
    """Epoch milliseconds of a datetime (naive = UTC), pandas Timestamp, ISO text or number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def days_between(start_ms: int, end_ms: int) -> list[str]:
    """The UTC days (YYYY-MM-DD) that [start_ms, end_ms) touches."""
    if end_ms <= start_ms:
        return []
    first = datetime.fromtimestamp(start_ms / 1000, UTC).date()
    last = datetime.fromtimestamp((end_ms - 1) / 1000, UTC).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def list_samples(store: Store, days: Sequence[str] | None = None,
                 vantages: Iterable[str] | None = None) -> Listing:
    """Sample files per partition, oldest first, restricted to days and vantages if given."""
    if days is not None and len(days) <= 3:  # a live view: a few prefixes beat a full listing
        entries = [e for day in days for e in store.list(f"samples/date={day}", stat=False)]
    else:
        entries = store.list("samples", stat=False)
    wanted_days, wanted = (set(days) if days is not None else None), _set(vantages)
    listing: Listing = defaultdict(list)
    for entry in entries:
        parsed = parse_sample_path(entry.rel)
        if parsed is None or is_known_bad(store, entry.rel):
            continue
        part, name = parsed
        if (wanted_days is None or part.day in wanted_days) and (
                wanted is None or part.vantage in wanted):
            listing[part].append(name)
    return {part: sorted(names, key=file_order) for part, names in sorted(listing.items())}


def _set(values: Iterable[str] | str | None) -> set[str] | None:
    if values is None:
        return None
    return {values} if isinstance(values, str) else set(values)


def _open(store: Store, rel: str, dictionaries: Sequence[str] = ()) -> pq.ParquetFile:
    parquet = pq.ParquetFile(store.open_input(rel), read_dictionary=list(dictionaries) or None)
    check_file_schema(parquet.schema_arrow)
    return parquet


def large_strings(schema: pa.Schema) -> pa.Schema:
    """The schema with string columns as large_string (what pandas stores them as)."""
    return pa.schema([f.with_type(pa.large_string()) if pa.types.is_string(f.type) else f
                      for f in schema])


def decode_strings(table: pa.Table) -> pa.Table:
    """Dictionary-encoded string columns (read_file(encoded=True)) as large_string."""
    schema = pa.schema([f.with_type(pa.large_string()) if pa.types.is_dictionary(f.type) else f
                        for f in table.schema])
    return table if schema.equals(table.schema) else table.cast(schema)


def read_file(store: Store, rel: str, columns: Sequence[str] | None = None,
              row_groups: Sequence[int] | None = None,
              for_pandas: bool = False, encoded: bool = False) -> pa.Table | None:
    """Read a sample file (or some of its row groups); None when it was corrupt (it is then
    quarantined). `for_pandas` decodes each distinct string once, straight to large_string;
    `encoded` keeps strings dictionary-encoded (cheap to filter; `decode_strings` later)."""
    names = list(columns or FILE_COLUMNS)
    schema = pa.schema([FILE_SCHEMA_BY_NAME[n] for n in names])
    if for_pandas or encoded:
        schema = large_strings(schema)
    strings = [f.name for f in schema if not pa.types.is_primitive(f.type)
               ] if for_pandas or encoded else []
    if encoded:
        schema = pa.schema([f.with_type(pa.dictionary(pa.int32(), f.type))
                            if f.name in strings else f for f in schema])

    def read() -> pa.Table:
        parquet = _open(store, rel, strings)
        if row_groups is None:
            table = parquet.read(columns=names)
        else:
            groups = [g for g in row_groups if g < parquet.num_row_groups]
            table = parquet.read_row_groups(groups, columns=names)
        table = table.replace_schema_metadata(None)
        return table if table.schema.equals(schema) else table.cast(schema)

    return _guarded(store, rel, read)


def _guarded(store: Store, rel: str, action: Callable[[], T]) -> T | None:
    attempts = 1 if store.local else 2  # an object store may fail once for network reasons
    for attempt in range(attempts):
        try:
            return action()
        except (FileNotFoundError, PermissionError) as exc:
            if isinstance(exc, PermissionError) and store.exists(rel):
                raise
            raise Vanished(rel) from exc
        except (pa.ArrowException, OSError, SchemaMismatch) as exc:  # damaged data, not bugs
            if not store.exists(rel):
                raise Vanished(rel) from exc
            if attempt + 1 == attempts:
                quarantine(store, rel, f"{type(exc).__name__}: {exc}")
    return None


def read_partition(store: Store, part: Partition, names: list[str],
                   keep: Callable[[pa.Table], pa.Table] | None = None,
                   columns: Sequence[str] | None = None) -> pa.Table:
    """One partition's rows (filtered by `keep`), de-duplicated, with the vantage column."""
    cols = list(dict.fromkeys([*(columns or FILE_COLUMNS), "ts", "platform", "check"]))
    cols = [c for c in cols if c in FILE_COLUMNS]
    for _ in range(5):
        try:
            read = [read_file(store, f"{part.rel}/{name}", cols) for name in names] if len(
                names) < 8 else list(_file_pool().map(
                    lambda name: read_file(store, f"{part.rel}/{name}", cols), names))
            tables = [keep(t) if keep else t for t in read if t is not None and t.num_rows]
            break
        except Vanished:  # a compaction swapped files under us: its output has the rows
            names = list_samples(store, [part.day], [part.vantage]).get(part, [])
    else:
        raise OSError(f"{part.rel}: files keep changing while reading")
    table = pa.concat_tables(tables) if tables else empty_file_table(cols)
    if len(tables) > 1:
        table, _ = sort_dedupe(table)
    return with_vantage(table, part.vantage)


def empty_file_table(columns: Sequence[str] | None = None) -> pa.Table:
    """A table with no rows and the given sample-file columns (default: all)."""
    return pa.schema([FILE_SCHEMA_BY_NAME[c] for c in columns or FILE_COLUMNS]).empty_table()


def window_filter(start_ms: int, end_ms: int, platforms: Iterable[str] | None = None
                  ) -> Callable[[pa.Table], pa.Table]:
    """A row filter: ts in [start_ms, end_ms) and platform in `platforms` (if given)."""
    wanted = _set(platforms)

    def keep(table: pa.Table) -> pa.Table:
        ts = ts_ms(table)
        mask = (ts >= start_ms) & (ts < end_ms)
        if wanted is not None:
            mask &= pc.is_in(table["platform"], pa.array(sorted(wanted))).to_numpy(
                zero_copy_only=False)
        return table if mask.all() else table.filter(pa.array(mask))

    return keep


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="history-read")


@cache
def _file_pool() -> ThreadPoolExecutor:
    # separate from _pool: partitions read on _pool fan out to files here without deadlock
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="history-file")


def parallel(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """fn over items on a small thread pool (pyarrow releases the GIL while decoding)."""
    if len(items) < 2:
        return [fn(item) for item in items]
    return list(_pool().map(fn, items))


def to_frame(table: pa.Table, sort: Sequence[str]) -> pd.DataFrame:
    """An Arrow table as a pandas DataFrame sorted by `sort`, fresh index."""
    if table.num_rows > 1:
        keys = [_sort_key(table[name]) for name in sort]
        composite = _composite(keys)
        if composite is not None:  # one int64 per row: a stable sort merges sorted runs fast
            if np.any(composite[1:] < composite[:-1]):
                table = table.take(pa.array(np.argsort(composite, kind="stable")))
        elif not _is_sorted(keys):
            table = table.take(pa.array(np.lexsort(keys[::-1])))
    return table.to_pandas()


def _composite(keys: list[np.ndarray]) -> np.ndarray | None:
    """The keys packed into one int64 that sorts the same way, if they fit in 62 bits."""
    lows = [int(k.min()) for k in keys]
    spans = [int(k.max()) - low + 1 for k, low in zip(keys, lows, strict=True)]
    if sum(span.bit_length() for span in spans) > 62:
        return None
    packed = np.zeros(len(keys[0]), np.int64)
    for key, low, span in zip(keys, lows, spans, strict=True):
        packed = packed * span + (key - low)
    return packed


def ordered_frame(pieces: Sequence[tuple[pa.Table, bool]], sort: Sequence[str],
                  columns: Sequence[str]) -> pd.DataFrame:
    """Concatenate pieces into a DataFrame sorted by `sort` (time column first).

    A piece flagged True is already sorted and holds one vantage; when such pieces do not
    overlap in time their concatenation is sorted too, and the costly sort is skipped.
    """
    pieces = [(t, ok) for t, ok in pieces if t.num_rows]
    spans = [(_bound(t, sort[0], pc.min), _bound(t, sort[0], pc.max), ok) for t, ok in pieces]
    order = sorted(range(len(pieces)), key=lambda i: spans[i][0])
    tables = [pieces[i][0].select(list(columns)) for i in order]
    table = pa.concat_tables(tables, promote_options="permissive") if tables else None
    if table is None:
        return pd.DataFrame()
    presorted = all(spans[i][2] for i in order) and all(
        spans[a][1] < spans[b][0] for a, b in itertools.pairwise(order))
    return table.to_pandas() if presorted else to_frame(table, sort)


def _bound(table: pa.Table, column: str, fn: Callable[..., Any]) -> int:
    return int(fn(table[column]).cast(pa.int64()).as_py())


def _is_sorted(keys: list[np.ndarray]) -> bool:
    """True when rows are already in lexicographic order of the keys (O(n), no sort)."""
    before = np.zeros(len(keys[0]) - 1, bool)  # row i < row i+1 decided by an earlier key
    for key in keys:
        step = key[1:] - key[:-1]
        if np.any((step < 0) & ~before):
            return False
        before |= step > 0
    return True


def _sort_key(column: pa.ChunkedArray) -> np.ndarray:
    """Integers that sort like the column (strings: ranks of their few distinct values)."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if pa.types.is_timestamp(array.type) or pa.types.is_integer(array.type):
        return array.cast(pa.int64()).to_numpy(zero_copy_only=False)
    encoded = pc.dictionary_encode(array)
    values = encoded.dictionary.to_pylist()
    rank = np.empty(len(values), np.int64)
    rank[sorted(range(len(values)), key=lambda i: values[i])] = np.arange(len(values))
    return rank[pc.fill_null(encoded.indices, 0).to_numpy(zero_copy_only=False)]


def day_mask(hours_ms: np.ndarray, day_starts: Iterable[int]) -> np.ndarray:
    """True for timestamps whose UTC day start is in `day_starts`."""
    return np.isin(hours_ms - hours_ms % DAY_MS, np.fromiter(day_starts, np.int64))
