"""Which hours can hold an outage: eventful (platform, hour) pairs from roll-ups and raw
tails, widened into the intervals a read needs (pure Arrow and numpy)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitors.history.files import (
    DAY_MS,
    HOUR_MS,
    ts_ms,
)

Intervals = dict[str, tuple[np.ndarray, np.ndarray]]  # platform -> (starts, ends), merged


def eventful_from_rollups(rollups: pa.Table, min_failures: int = 1, span_s: float = 3600
                           ) -> dict[str, list[np.ndarray]]:
    """Per platform, the hours (ms) of stored roll-ups that can hold an outage: any
    non-up sample, vantage-offline rounds, or failures reaching `min_failures` within
    ± span_s (lone blips can never open an outage)."""
    found: dict[str, list[np.ndarray]] = defaultdict(list)
    if rollups.num_rows == 0:
        return found
    failed = pc.add(rollups["n_degraded"], rollups["n_down"])
    if min_failures <= 1:
        rows = rollups.filter(pc.greater(pc.add(failed, rollups["n_unknown"]), 0))
        _by_platform(found, rows, rows["hour"].cast(pa.int64()).to_numpy())
        return found
    table = pa.table({
        "platform": rollups["platform"], "hour": rollups["hour"].cast(pa.int64()),
        "failed": failed, "offline": rollups["n_offline"],
    }).filter(pc.greater(pc.add(failed, rollups["n_offline"]), 0))  # nulls dropped too
    if table.num_rows == 0:
        return found
    codes, names = _codes(table["platform"])
    order = np.lexsort((table["hour"].to_numpy(), codes))  # by platform, then hour
    codes, hours = codes[order], table["hour"].to_numpy()[order]
    first = np.flatnonzero(np.concatenate([[True], (codes[1:] != codes[:-1])
                                           | (hours[1:] != hours[:-1])]))
    codes, hours = codes[first], hours[first]  # one row per (platform, hour)
    fails = np.add.reduceat(table["failed"].to_numpy()[order].astype(np.int64), first)
    offline = np.add.reduceat(table["offline"].to_numpy()[order].astype(np.int64), first)
    span_ms = int(max(span_s, HOUR_MS / 1000) * 1000)
    bounds = np.searchsorted(codes, np.arange(len(names) + 1))
    for code, platform in enumerate(names):
        rows = slice(bounds[code], bounds[code + 1])
        at, failing = hours[rows], fails[rows]
        total = np.concatenate([[0], np.cumsum(failing)])  # failures within ± span of each hour
        near = total[np.searchsorted(at, at + span_ms, "right")] - total[
            np.searchsorted(at, at - span_ms, "left")]
        keep = (offline[rows] > 0) | ((failing > 0) & (near >= min_failures))
        found[platform].append(at[keep])
    return found


def add_eventful_rows(found: dict[str, list[np.ndarray]], table: pa.Table) -> None:
    """Add the hours of raw (not rolled-up) samples that are not up."""
    rows = table.filter(pc.not_equal(table["status"], "up"))
    if rows.num_rows:
        _by_platform(found, rows, ts_ms(rows) // HOUR_MS * HOUR_MS)


def _by_platform(found: dict[str, list[np.ndarray]], rows: pa.Table, hours: np.ndarray
                 ) -> None:
    if rows.num_rows == 0:
        return
    encoded = pc.dictionary_encode(rows["platform"].combine_chunks())
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    for code, platform in enumerate(encoded.dictionary.to_pylist()):
        found[platform].append(hours[codes == code])


def intervals_of(found: dict[str, list[np.ndarray]], pad_ms: int, start_ms: int, end_ms: int
               ) -> Intervals:
    """The eventful hours widened by pad_ms, clipped to the window and merged."""
    intervals: Intervals = {}
    for platform, parts in found.items():
        hours = np.unique(np.concatenate(parts))
        starts = np.maximum(hours - pad_ms, start_ms)
        ends = np.minimum(hours + HOUR_MS + pad_ms, end_ms)
        ok = starts < ends
        starts, ends = starts[ok], ends[ok]
        if len(starts) == 0:
            continue
        new = np.concatenate([[True], starts[1:] > np.maximum.accumulate(ends)[:-1]])
        groups = np.cumsum(new) - 1
        merged_ends = np.zeros(groups[-1] + 1, np.int64)
        np.maximum.at(merged_ends, groups, ends)
        intervals[platform] = (starts[new], merged_ends)
    return intervals


def hours_needed(intervals: Intervals) -> dict[int, dict[str, set[int]]]:
    """Per UTC day (ms) and platform, the hours of the day the intervals touch."""
    needed: dict[int, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for platform, (starts, ends) in intervals.items():
        first, last = starts // HOUR_MS, (ends - 1) // HOUR_MS
        counts = last - first + 1
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        hours = (np.repeat(first, counts) + offsets) * HOUR_MS
        days = hours - hours % DAY_MS
        for day, hour in zip(days.tolist(), ((hours - days) // HOUR_MS).tolist(), strict=True):
            needed[day][platform].add(hour)
    return needed


def in_intervals(table: pa.Table, intervals: Intervals,
                  window: tuple[int, int] | None = None) -> np.ndarray:
    """Rows whose (platform, ts) falls in the platform's intervals (clipped to `window`)."""
    ts = ts_ms(table)
    codes, names = _codes(table["platform"])
    if hour_aligned(intervals, window):  # the usual case: a (platform, hour) lookup
        first = min(int(s[0]) for s, _ in intervals.values()) // HOUR_MS
        last = -(-max(int(e[-1]) for _, e in intervals.values()) // HOUR_MS)
        lookup = np.zeros((len(names), last - first + 1), bool)
        for code, platform in enumerate(names):
            starts, ends = intervals.get(platform, (np.empty(0, np.int64),) * 2)
            for begin, stop in zip(starts // HOUR_MS - first, -(-ends // HOUR_MS) - first,
                                   strict=True):
                lookup[code, begin:stop] = True
        hour = np.clip(ts // HOUR_MS - first, 0, last - first)
        low, high = window or (first * HOUR_MS, last * HOUR_MS)
        return lookup[codes, hour] & (ts >= max(low, first * HOUR_MS)) & (
            ts < min(high, last * HOUR_MS))
    mask = np.zeros(table.num_rows, bool)
    for code, platform in enumerate(names):
        if platform not in intervals:
            continue
        starts, ends = intervals[platform]
        rows = np.flatnonzero(codes == code)
        index = np.searchsorted(starts, ts[rows], side="right") - 1
        inside = index >= 0
        inside[inside] = ts[rows][inside] < ends[index[inside]]
        mask[rows[inside]] = True
    return mask


def _codes(column: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """Each row's code in a list of the column's distinct values, and that list."""
    if not pa.types.is_dictionary(column.type):
        encoded = pc.dictionary_encode(column.combine_chunks())
        return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()
    chunks = column.unify_dictionaries().chunks if column.num_chunks else []
    if not chunks:
        return np.empty(0, np.int32), []
    codes = np.concatenate([(c.indices if c.null_count == 0 else c.indices.fill_null(0)
                             ).to_numpy(zero_copy_only=False) for c in chunks])
    return codes, chunks[0].dictionary.to_pylist()


def hour_aligned(intervals: Intervals, window: tuple[int, int] | None) -> bool:
    """True when every bound is a whole hour, or the window's edge it was clipped to."""
    low, high = window or (None, None)
    return bool(intervals) and all(
        np.all((s % HOUR_MS == 0) | (s == low)) and np.all((e % HOUR_MS == 0) | (e == high))
        for s, e in intervals.values())


