"""The read API: raw samples, hourly (round) roll-ups and eventful samples for a window.

Roll-ups come from the stored files for days whose samples have not changed since they
were rolled up, and are computed on the fly from the raw samples for every other day
(today, late arrivals, a crash's leftovers), so every answer is exact and current.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from monitors.history.eventful import (
    Intervals,
    add_eventful_rows,
    eventful_from_rollups,
    hours_needed,
    in_intervals,
    intervals_of,
)
from monitors.history.files import (
    DAY_MS,
    Partition,
    day_of,
    day_start_ms,
    ts_ms,
    with_vantage,
)
from monitors.history.gaps import (
    add_recovery_hours,
    counts_from_rollups,
    counts_from_samples,
    sample_counts,
)
from monitors.history.quarantine import list_problems
from monitors.history.rollup import (
    ROLLUP_COLUMNS,
    ROLLUP_FILE_SCHEMA,
    ROUND_ROLLUP_COLUMNS,
    compute_rollups,
    covered,
)
from monitors.history.scan import (
    Listing,
    Vanished,
    days_between,
    decode_strings,
    list_samples,
    ordered_frame,
    parallel,
    read_file,
    read_partition,
    to_frame,
    to_ms,
    window_filter,
)
from monitors.history.schema import SAMPLE_SCHEMA
from monitors.history.store import Store, open_store
from monitors.history.view import View, name_set, with_vantage_column
from monitors.vocabulary import COLUMNS

BATCH_ROWS = 65_536
# the sample columns compute_rollups reads (detail and http_status are not needed)
_ROLLUP_INPUT = ("ts", "platform", "check", "kind", "status", "latency_ms", "error")


def read_samples(data: str, start: Any, end: Any, *, platforms: Iterable[str] | None = None,
                 vantages: Iterable[str] | None = None, columns: Sequence[str] | None = None,
                 storage_endpoint: str | None = None) -> pd.DataFrame:
    """Raw samples with ts in [start, end), de-duplicated, sorted by (ts, vantage, platform,
    check); ts tz-aware UTC."""
    store, start_ms, end_ms = open_store(data, storage_endpoint), to_ms(start), to_ms(end)
    listing = list_samples(store, days_between(start_ms, end_ms), name_set(vantages))
    keep = window_filter(start_ms, end_ms, name_set(platforms))
    file_columns = None if columns is None else [c for c in columns if c != "vantage"]
    tables = parallel(lambda item: read_partition(store, item[0], item[1], keep, file_columns),
                      list(listing.items()))
    table = _concat_samples(tables)
    wanted = [c for c in COLUMNS if columns is None or c in columns]
    sort = [c for c in ("ts", "vantage", "platform", "check") if c in table.column_names]
    frame = to_frame(table, sort)
    return frame[wanted]


def read_rollups(data: str, start: Any, end: Any, *, platforms: Iterable[str] | None = None,
                 vantages: Iterable[str] | None = None,
                 storage_endpoint: str | None = None) -> pd.DataFrame:
    """Hourly roll-ups of the hours overlapping [start, end): stored, plus the raw tail;
    sorted by (hour, vantage, platform, check)."""
    view = View.load(open_store(data, storage_endpoint), start, end, vantages, platforms)
    frame = _rollup_frame(view, ["hour", "vantage", "platform", "check"])
    return frame if len(frame.columns) else _empty_rollups().to_pandas()


def read_round_rollups(data: str, start: Any, end: Any, *,
                       platforms: Iterable[str] | None = None,
                       vantages: Iterable[str] | None = None,
                       storage_endpoint: str | None = None) -> pd.DataFrame:
    """Platform-rounds per (hour, vantage, platform) of the hours overlapping [start, end),
    by verdict: stored, plus the raw tail; sorted by (hour, vantage, platform).

    A platform-round is one (vantage, platform, ts) of probe samples (status pages left
    out). `r_rounds` counts them; `r_unknown` those where every answer was unknown, `r_down`
    where every known answer was down, `r_degraded` where the known answers were otherwise
    not all up (DESIGN.md "Surfaces and partial outages"). Round-based availability over a
    long window needs no raw samples: known = r_rounds - r_unknown.
    """
    view = View.load(open_store(data, storage_endpoint), start, end, vantages, platforms,
                     rounds=True)
    frame = _rollup_frame(view, ["hour", "vantage", "platform"])
    return frame if len(frame.columns) else _empty_round_rollups().to_pandas()


def _rollup_frame(view: View, sort: list[str]) -> pd.DataFrame:
    """The view's stored roll-up pieces plus its tail computed from raw samples, sorted."""
    def tail(part: Partition) -> pa.Table:
        table = read_partition(view.store, part, view.listing[part], view.hour_filter(),
                               _ROLLUP_INPUT)
        rollups = compute_rollups(table, rounds=view.rounds)
        if view.rounds:
            rollups = rollups.filter(pc.is_valid(rollups["r_rounds"]))
        return with_vantage_column(rollups, part.vantage, view.columns)

    # stored months and computed days are each sorted by (hour, platform[, check])
    pieces = [(t, True) for t in [*view.pieces, *parallel(tail, view.tail)]]
    return ordered_frame(pieces, sort, view.columns)


def read_eventful_samples(data: str, start: Any, end: Any, *, pad_s: float = 3600,
                          platforms: Iterable[str] | None = None,
                          min_failures: int = 1, span_s: float = 3600,
                          storage_endpoint: str | None = None) -> pd.DataFrame:
    """Raw samples of the hours (± pad_s) where any sample is not up, plus the raw tail.

    With min_failures > 1 (incident detection passes `confirm`), a rolled-up hour counts only
    if it has vantage-offline rounds or its failures plus those within ± span_s reach
    min_failures: lone blips can never open an outage, so reading them changes nothing.

    1. Find eventful (platform, hour) pairs in the roll-ups (and in the not-rolled-up tail).
    2. Widen them by pad_s and clip to the window; platforms are treated separately.
    3. Read those rows from the monthly extracts (eventful hours ± 1 h, one small file per
       month); only days an extract does not cover are read from their samples file.
    Hours absent from the result had every sample up; an hour counts as a whole, also where
    the window cuts it. Sorted like read_samples.
    """
    view = View.load(open_store(data, storage_endpoint), start, end, None, platforms)
    keep = window_filter(view.start_ms, view.end_ms, view.platforms)
    tail = parallel(lambda p: read_partition(view.store, p, view.listing[p], keep), view.tail)
    pieces = [(t, False) for t in tail]  # sorted by platform first: not by time
    stored = pa.concat_tables([_empty_rollups(), *view.pieces], promote_options="permissive")
    found = eventful_from_rollups(stored, min_failures, span_s)
    for table in tail:
        add_eventful_rows(found, table)
    if found:  # outages running into a sampler gap recover where sampling resumed
        add_recovery_hours(found, sample_counts(
            [counts_from_rollups(stored), *(counts_from_samples(t) for t in tail)]))
    intervals = intervals_of(found, int(pad_s * 1000), view.start_ms, view.end_ms)
    needed_by_day = hours_needed(intervals)
    from_extract: dict[tuple[str, str], list[int]] = defaultdict(list)
    groups: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0])
    from_files: list[Partition] = []
    for part in view.valid:
        needed = needed_by_day.get(day_start_ms(part.day))
        if not needed:
            continue
        key, cover = (part.day[:7], part.vantage), view.cover(part)
        if view.months[key].extract and covered(cover, needed):
            from_extract[key].append(day_start_ms(part.day))
            if not covered({"eventful": cover.get("eventful", {})}, needed):
                groups[key] = [0, 1]  # the padding hours live in the second row group
        else:
            from_files.append(part)
    jobs = [("extract", key) for key in from_extract] + [("file", p) for p in from_files]

    def run(job: tuple[str, Any]) -> tuple[pa.Table, bool]:
        kind, item = job
        if kind == "extract":
            return _read_extract(view, item, from_extract[item], groups[item], intervals)
        table = read_partition(view.store, item, view.listing[item], keep)
        window = (view.start_ms, view.end_ms)
        return table.filter(pa.array(in_intervals(table, intervals, window))), False

    pieces += parallel(run, jobs)
    frame = ordered_frame(pieces, ["ts", "vantage", "platform", "check"], COLUMNS)
    return frame if len(frame.columns) else _empty_samples().to_pandas()


def iter_sample_batches(data: str, start: Any, end: Any, *,
                        storage_endpoint: str | None = None) -> Iterator[pa.RecordBatch]:
    """Samples in [start, end) as record batches, one UTC day at a time (bounded memory)."""
    store, start_ms, end_ms = open_store(data, storage_endpoint), to_ms(start), to_ms(end)
    listing = list_samples(store, days_between(start_ms, end_ms))
    by_day: dict[str, Listing] = defaultdict(dict)
    for part, names in listing.items():
        by_day[part.day][part] = names
    keep = window_filter(start_ms, end_ms)
    for day in sorted(by_day):
        tables = [read_partition(store, p, n, keep) for p, n in by_day[day].items()]
        table = _concat_samples(tables)
        if table.num_rows == 0:
            continue
        table = table.take(pc.sort_indices(table, sort_keys=[
            (c, "ascending") for c in ("ts", "vantage", "platform", "check")]))
        yield from table.cast(SAMPLE_SCHEMA).to_batches(max_chunksize=BATCH_ROWS)


def data_version(data: str, *, storage_endpoint: str | None = None) -> str:
    """A short token that changes whenever any sample or roll-up file changes."""
    store = open_store(data, storage_endpoint)
    digest = hashlib.sha1(usedforsecurity=False)
    for folder in ("samples", "rollups"):
        for entry in sorted(store.list(folder), key=lambda e: e.rel):
            digest.update(f"{entry.rel}\0{entry.size}\0{entry.mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def has_history(data: str | Store, *, storage_endpoint: str | None = None) -> bool:
    """Whether the data folder (or object-store prefix) holds any samples or roll-ups."""
    store = open_store(data, storage_endpoint)
    if store.local and not Path(store.root).is_dir():
        return False
    return any(entry.rel.endswith(".parquet") for folder in ("samples", "rollups")
               for entry in store.list(folder, stat=False))


def problems(data: str, *, storage_endpoint: str | None = None) -> list[dict[str, Any]]:
    """Quarantined or unreadable history files: [{path, reason, when}]."""
    return list_problems(open_store(data, storage_endpoint))


def _read_extract(view: View, key: tuple[str, str], days: list[int], groups: list[int],
                  intervals: Intervals) -> tuple[pa.Table, bool]:
    """Rows of a month's eventful extract for the given days, inside the intervals; and
    whether they are in time order (a single row group is; several are sorted here)."""
    rel, in_order = view.months[key].extract, groups == [0]
    try:
        table = read_file(view.store, rel, row_groups=groups, encoded=True) if rel else None
    except Vanished:
        table = None
    if table is None:  # gone or corrupt: the day files have the same rows
        names = list_samples(view.store, [day_of(d) for d in days], [key[1]])
        parts = [read_partition(view.store, p, n) for p, n in names.items()]
        if not parts:
            return _empty_samples(), False
        table, in_order = _concat_samples(parts).drop(["vantage"]), False
    ts = ts_ms(table)
    window = (view.start_ms, view.end_ms)
    mask = np.isin(ts - ts % DAY_MS, days) & in_intervals(table, intervals, window)
    table = decode_strings(table if mask.all() else table.filter(pa.array(mask)))
    if not in_order and table.num_rows > 1:  # one vantage: sorted here, no sort of the year
        table = table.take(pc.sort_indices(table, sort_keys=[
            (c, "ascending") for c in ("ts", "platform", "check")]))
        in_order = True
    return with_vantage(table, key[1]), in_order


def _empty_rollups() -> pa.Table:
    return with_vantage_column(ROLLUP_FILE_SCHEMA.empty_table(), "", ROLLUP_COLUMNS)


def _empty_round_rollups() -> pa.Table:
    return with_vantage_column(ROLLUP_FILE_SCHEMA.empty_table(), "", ROUND_ROLLUP_COLUMNS)


def _concat_samples(tables: Sequence[pa.Table]) -> pa.Table:
    tables = [t.select([c for c in COLUMNS if c in t.column_names]) for t in tables
              if t.num_rows]
    if not tables:
        return SAMPLE_SCHEMA.empty_table()
    return pa.concat_tables(tables, promote_options="permissive")


def _empty_samples() -> pa.Table:
    return SAMPLE_SCHEMA.empty_table()


