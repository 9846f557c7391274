"""Compaction: one de-duplicated file per partition; hourly roll-ups and eventful extracts.

Crash-safe at every step because nothing is ever modified in place:
1. the merged file is written under a new name (atomically), ranked like its newest input;
2. only then are the inputs it merged removed (files that arrived meanwhile stay);
3. roll-ups and extracts are written last, naming the samples file they came from.
Days rolled up before round counts existed (no "rounds" in their cover) are rolled up again
from their unchanged samples file: the upgrade is an ordinary run.
A crash between 1 and 2 leaves inputs next to the merged file: readers de-duplicate on the
key (the rows are identical) and the next run merges them again. A crash before 3 leaves
roll-ups that name a file that is gone: readers compute those days from the raw samples.
Running it twice is a no-op.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitors.history.files import (
    DAY_MS,
    HOUR_MS,
    Partition,
    day_start_ms,
    file_order,
    sort_dedupe,
    ts_ms,
    write_samples,
)
from monitors.history.rollup import (
    ROLLUP_FILE_SCHEMA,
    Month,
    compute_rollups,
    covered,
    index_months,
    read_month,
    rollup_dir,
    write_month,
)
from monitors.history.scan import Vanished, empty_file_table, list_samples, read_file
from monitors.history.store import Store, new_rank, open_store, rank_of, unique_name
from monitors.history.writer import lock_path, try_lock

log = logging.getLogger("monitors.history")

Hours = dict[str, set[int]]  # platform -> hours of one day (0..23)


def compact(data: str, *, now: datetime | None = None,
            storage_endpoint: str | None = None) -> dict[str, Any]:
    """Merge segments, drop duplicates, write roll-ups; idempotent. Returns what it did.

    Days after `now` (UTC, default the clock) are left alone: a sampler with a clock
    running ahead must not get its future rows frozen into roll-ups.
    """
    lock = try_lock(lock_path(data, "compact"))
    if lock is None:
        return {"skipped": "another compaction is running"}
    with lock:
        return _Compactor(open_store(data, storage_endpoint), now).run()


def eventful_hours(rollups: pa.Table, day_ms: int) -> Hours:
    """Per platform, the hours of one day with any sample that was not up."""
    found: Hours = defaultdict(set)
    if rollups.num_rows == 0:
        return found
    bad = pc.greater(pc.add(pc.add(rollups["n_degraded"], rollups["n_down"]),
                            rollups["n_unknown"]), 0)
    rows = rollups.filter(bad)
    hours = (rows["hour"].cast(pa.int64()).to_numpy() - day_ms) // HOUR_MS
    for platform, hour in zip(rows["platform"].to_pylist(), hours.tolist(), strict=True):
        if 0 <= hour < 24:
            found[platform].add(hour)
    return found


def padded_hours(today: Hours, before: Hours, after: Hours) -> Hours:
    """The hours next to eventful ones (also across midnight) that are not eventful."""
    padded: Hours = defaultdict(set)
    for platform, hours in today.items():
        for hour in hours:
            padded[platform].update(h for h in (hour - 1, hour + 1) if 0 <= h < 24)
    for platform, hours in before.items():
        if 23 in hours:
            padded[platform].add(0)
    for platform, hours in after.items():
        if 0 in hours:
            padded[platform].add(23)
    result = {p: hours - today.get(p, set()) for p, hours in padded.items()}
    return {p: hours for p, hours in result.items() if hours}


def select_hours(table: pa.Table, day_ms: int, hours: Hours) -> pa.Table:
    """The rows of a day table whose (platform, hour) is in `hours`."""
    if not hours or table.num_rows == 0:
        return table.slice(0, 0)
    encoded = pc.dictionary_encode(table["platform"].combine_chunks())
    lookup = np.zeros((len(encoded.dictionary), 24), bool)
    for i, name in enumerate(encoded.dictionary.to_pylist()):
        lookup[i, sorted(hours.get(name, ()))] = True
    hour = np.clip((ts_ms(table) - day_ms) // HOUR_MS, 0, 23)
    return table.filter(pa.array(lookup[encoded.indices.to_numpy(zero_copy_only=False), hour]))


@dataclass(slots=True)
class _Part:
    """One partition during a run: its merged rows (None = the single file is fine)."""

    inputs: list[str]
    table: pa.Table | None
    rollups: pa.Table


@dataclass(slots=True)
class _DayUpdate:
    """New roll-ups, extract rows and cover of one day (all None: the day has no file)."""

    rollups: pa.Table | None
    extract: tuple[pa.Table, pa.Table] | None  # (eventful hours, hours next to them)
    cover: dict[str, Any] | None


class _Compactor:
    """One compaction run over the whole history."""

    def __init__(self, store: Store, now: datetime | None) -> None:
        self.store = store
        self.now = now or datetime.now(UTC)
        self.stats: dict[str, Any] = defaultdict(int)
        self.months: dict[tuple[str, str], Month] = {}
        self.loaded: dict[tuple[str, str], pa.Table] = {}
        self.extracts: dict[tuple[str, str], tuple[pa.Table, pa.Table]] = {}
        self.updates: dict[tuple[str, str], dict[str, _DayUpdate]] = defaultdict(dict)
        self.prepared: dict[str, dict[str, _Part]] = {}
        self.eventful: dict[str, Hours] = {}

    def run(self) -> dict[str, Any]:
        """Steps: list; merge and roll up what changed (and neighbours); write months."""
        started = time.perf_counter()
        self.months = index_months(self.store.list("rollups"))
        last_day = self.now.astimezone(UTC).date().isoformat()
        self.by_day: dict[str, dict[str, list[str]]] = defaultdict(dict)
        for part, names in list_samples(self.store).items():
            if part.day <= last_day:
                self.by_day[part.day][part.vantage] = names
        work = {d for d, parts in self.by_day.items()
                if any(self._needs_work(d, v, n) for v, n in parts.items())}
        days = {n for d in work for n in (_shift(d, -1), d, _shift(d, 1))} & set(self.by_day)
        for day in sorted(days):
            self._process(day)
        self._write_months()
        self.stats["temp_removed"] = self.store.cleanup_temp(3600)
        self.stats["seconds"] = round(time.perf_counter() - started, 3)
        return dict(self.stats)

    def _needs_work(self, day: str, vantage: str, names: list[str]) -> bool:
        if len(names) != 1 or not names[0].startswith("c-"):
            return True
        cover = self._cover(day, vantage)  # no "rounds": rolled up before round counts existed
        return cover.get("file") != names[0] or not cover.get("rounds")

    def _cover(self, day: str, vantage: str) -> dict[str, Any]:
        return (self._month(day[:7], vantage).covers or {}).get(day, {})

    def _month(self, month: str, vantage: str) -> Month:
        key = (month, vantage)
        entry = self.months.setdefault(key, Month(month, vantage))
        if entry.covers is None:
            self.loaded[key] = read_month(self.store, entry)
        return entry

    def _extract(self, key: tuple[str, str]) -> tuple[pa.Table, pa.Table] | None:
        """The month's current extract tiers; None when it is missing or unreadable."""
        if key not in self.extracts:
            rel, tiers = self.months[key].extract, []
            for group in (0, 1):
                table = None
                if rel:
                    try:
                        table = read_file(self.store, rel, row_groups=[group])
                    except Vanished:
                        table = None
                tiers.append(table)
            self.extracts[key] = None if None in tiers else (tiers[0], tiers[1])
        return self.extracts[key]

    def _stored_rollups(self, day: str, vantage: str) -> pa.Table:
        self._month(day[:7], vantage)
        return _rows_of_day(self.loaded[(day[:7], vantage)], "hour", day)

    def _prepare(self, day: str) -> dict[str, _Part]:
        if day in self.prepared:
            return self.prepared[day]
        result = {}
        for vantage, names in self.by_day.get(day, {}).items():
            if self._needs_work(day, vantage, names):
                merged = self._merge(Partition(day, vantage), names)
                if merged is not None:
                    result[vantage] = _Part(merged[1], merged[0], compute_rollups(merged[0]))
            else:
                result[vantage] = _Part(names, None, self._stored_rollups(day, vantage))
        self.prepared[day] = result
        self.eventful[day] = _union(eventful_hours(p.rollups, day_start_ms(day))
                                    for p in result.values())
        return result

    def _merge(self, part: Partition, names: list[str]) -> tuple[pa.Table, list[str]] | None:
        tables, inputs = [], []
        try:
            for name in sorted(names, key=file_order):
                table = read_file(self.store, f"{part.rel}/{name}")
                inputs.append(name)
                if table is None:
                    self.stats["quarantined"] += 1
                elif table.num_rows:
                    tables.append(table)
        except Vanished:
            log.info("history: %s changed during compaction; next run", part.rel)
            return None
        if not tables:
            return empty_file_table(None), inputs
        table, dropped = sort_dedupe(pa.concat_tables(tables))
        self.stats["duplicates"] += dropped
        return table, inputs

    def _process(self, day: str) -> None:
        parts = self._prepare(day)
        self._prepare(_shift(day, 1))
        before = self.eventful.get(_shift(day, -1))
        if before is None:
            before = _union(eventful_hours(self._stored_rollups(_shift(day, -1), v),
                                           day_start_ms(_shift(day, -1)))
                            for v in self.by_day.get(_shift(day, -1), {}))
        eventful = self.eventful[day]
        padded = padded_hours(eventful, before, self.eventful.get(_shift(day, 1), {}))
        for vantage, part in parts.items():
            self._update(Partition(day, vantage), part, eventful, padded)
        self.prepared.pop(_shift(day, -1), None)

    def _update(self, part: Partition, item: _Part, eventful: Hours, padded: Hours) -> None:
        key = (part.day[:7], part.vantage)
        table, name = item.table, item.inputs[0]
        if table is None:  # unchanged file: only the extract may need more hours
            if covered(self._cover(part.day, part.vantage), eventful, padded):
                return
            table = read_file(self.store, f"{part.rel}/{name}")
            if table is None:
                self.stats["quarantined"] += 1
                self.updates[key][part.day] = _DayUpdate(None, None, None)
                return
            self.stats["extracts_widened"] += 1
        elif table.num_rows == 0:  # nothing readable was left (corrupt files moved aside)
            self._delete(part, item.inputs)
            self.updates[key][part.day] = _DayUpdate(None, None, None)
            return
        elif len(item.inputs) > 1 or not name.startswith("c-"):
            name = self._write_merged(part, table, item.inputs)
        # else: one compacted file whose roll-ups were missing; it stays as it is
        cover = {"file": name, "eventful": _jsonable(eventful), "padded": _jsonable(padded),
                 "rounds": True}  # item.rollups has round counts: fresh, or a covered day's
        day_ms = day_start_ms(part.day)
        extract = (select_hours(table, day_ms, eventful), select_hours(table, day_ms, padded))
        self.updates[key][part.day] = _DayUpdate(item.rollups, extract, cover)

    def _write_merged(self, part: Partition, table: pa.Table, inputs: list[str]) -> str:
        rank = max((rank_of(n) for n in inputs), default=0) or new_rank()
        name = unique_name("c", rank)
        write_samples(self.store, f"{part.rel}/{name}", table)
        self._delete(part, inputs)
        self.stats["partitions"] += 1
        self.stats["files_merged"] += len(inputs)
        self.stats["rows"] += table.num_rows
        return name

    def _delete(self, part: Partition, names: Iterable[str]) -> None:
        for old in names:
            self.store.delete(f"{part.rel}/{old}")

    def _write_months(self) -> None:
        for key in sorted(set(self.updates) | {k for k, m in self.months.items() if m.stale}):
            month = self._month(*key)
            old = list(month.stale)
            if self.updates.get(key):
                self._write_month(key, self.updates[key])
                old += [rel for rel in (month.file, month.extract) if rel]
            for rel in old:
                self.store.delete(rel)

    def _write_month(self, key: tuple[str, str], days: dict[str, _DayUpdate]) -> None:
        covers = dict(self.months[key].covers or {})
        previous = self._extract(key)
        if previous is None:  # lost: days not redone now are read from raw until next run
            covers = {}
            previous = (empty_file_table(), empty_file_table())
        starts = [day_start_ms(d) for d in days]
        kept_r = [_drop_days(self.loaded[key], "hour", starts)]
        kept_e = [[_drop_days(tier, "ts", starts)] for tier in previous]
        for day, update in sorted(days.items()):
            covers.pop(day, None)
            if update.cover is None or update.extract is None:
                continue
            covers[day] = update.cover
            kept_r.append(update.rollups if update.rollups is not None
                          else ROLLUP_FILE_SCHEMA.empty_table())
            for tiers, rows in zip(kept_e, update.extract, strict=True):
                tiers.append(rows.select(tiers[0].column_names))
        rollups = _sorted(pa.concat_tables(kept_r, promote_options="permissive"), "hour")
        extract = tuple(_sorted(pa.concat_tables(tiers), "ts") for tiers in kept_e)
        write_month(self.store, rollup_dir(*key), new_rank(), rollups, extract, covers,
                    write_samples)
        self.stats["rollup_files"] += 1


def _rows_of_day(table: pa.Table, column: str, day: str) -> pa.Table:
    start = day_start_ms(day)
    values = table[column].cast(pa.int64()).to_numpy()
    return table.filter(pa.array((values >= start) & (values < start + DAY_MS)))


def _drop_days(table: pa.Table, column: str, starts: list[int]) -> pa.Table:
    values = table[column].cast(pa.int64()).to_numpy()
    return table.filter(pa.array(~np.isin(values - values % DAY_MS, starts)))


def _sorted(table: pa.Table, time_column: str) -> pa.Table:
    # time first: readers concatenate months and get rows in the order they return them
    keys = [(time_column, "ascending"), ("platform", "ascending"), ("check", "ascending")]
    return table.take(pc.sort_indices(table, sort_keys=keys))


def _union(items: Iterable[Hours]) -> Hours:
    found: Hours = defaultdict(set)
    for hours in items:
        for platform, values in hours.items():
            found[platform] |= values
    return dict(found)


def _jsonable(hours: Hours) -> dict[str, list[int]]:
    return {p: sorted(h) for p, h in sorted(hours.items()) if h}


def _shift(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()
