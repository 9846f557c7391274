"""Half-open time spans as sorted int64-nanosecond arrays: union, measure, overlap (pure)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

NS = 1_000_000_000


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_ns(ts: datetime) -> int:
    """An aware datetime as integer nanoseconds since the epoch (UTC)."""
    if isinstance(ts, pd.Timestamp):
        return ts.as_unit("ns").value
    return (ts - EPOCH) // _MICROSECOND * 1000


def from_ns(value: int) -> datetime:
    """Integer nanoseconds since the epoch as an aware UTC datetime (microsecond precision)."""
    return EPOCH + timedelta(microseconds=int(value) // 1000)


def ns_array(series: pd.Series) -> np.ndarray:
    """A timestamp column (any unit, tz-aware or UTC-naive) as int64 nanoseconds."""
    ts = pd.to_datetime(series, utc=True)
    return ts.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]").view("int64")


@dataclass(frozen=True, slots=True)
class Spans:
    """A union of disjoint, sorted half-open spans [starts[i], ends[i]) in ns."""

    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, starts: Iterable[int] | np.ndarray, ends: Iterable[int] | np.ndarray) -> Spans:
        """Merge any spans (overlapping, unsorted, empty ones dropped) into a Spans."""
        s = np.asarray(list(starts) if not isinstance(starts, np.ndarray) else starts, np.int64)
        e = np.asarray(list(ends) if not isinstance(ends, np.ndarray) else ends, np.int64)
        keep = e > s
        s, e = s[keep], e[keep]
        if s.size == 0:
            return EMPTY
        order = np.argsort(s, kind="stable")
        s, e = s[order], e[order]
        reach = np.maximum.accumulate(e)
        # a new span starts where it begins after everything before it has ended
        new = np.concatenate(([True], s[1:] > reach[:-1]))
        firsts = np.flatnonzero(new)  # groups are contiguous runs: reduce each run
        return cls(s[firsts], np.maximum.reduceat(e, firsts))

    @property
    def total_s(self) -> float:
        """Total length in seconds."""
        return float((self.ends - self.starts).sum()) / NS

    def __len__(self) -> int:
        return int(self.starts.size)

    def covered_before(self, t: np.ndarray) -> np.ndarray:
        """Nanoseconds covered before each instant in t (a non-decreasing function of t)."""
        t = np.asarray(t, np.int64)
        if self.starts.size == 0:
            return np.zeros(t.shape, np.int64)
        cum = np.concatenate(([0], np.cumsum(self.ends - self.starts)))
        i = np.searchsorted(self.ends, t, side="right")  # spans fully over at t
        partial = np.zeros(t.shape, np.int64)
        inside = i < self.starts.size
        j = i[inside]
        partial[inside] = np.clip(t[inside] - self.starts[j], 0, None)
        return cum[i] + partial

    def measure(self, edges: np.ndarray) -> np.ndarray:
        """Seconds covered inside each [edges[k], edges[k+1])."""
        covered = self.covered_before(np.asarray(edges, np.int64))
        return np.diff(covered) / NS

    def clip(self, lo: int, hi: int) -> Spans:
        """The part inside [lo, hi)."""
        if not self.starts.size or (self.starts[0] >= lo and self.ends[-1] <= hi):
            return self
        s, e = np.clip(self.starts, lo, hi), np.clip(self.ends, lo, hi)
        keep = e > s
        return Spans(s[keep], e[keep])

    def union(self, other: Spans) -> Spans:
        """Everything in either."""
        if not other.starts.size:
            return self
        if not self.starts.size:
            return other
        return Spans.of(np.concatenate((self.starts, other.starts)),
                        np.concatenate((self.ends, other.ends)))

    def overlap(self, other: Spans, edges: np.ndarray) -> np.ndarray:
        """Seconds inside both, per [edges[k], edges[k+1]) (inclusion–exclusion)."""
        return self.measure(edges) + other.measure(edges) - self.union(other).measure(edges)


def intersect(a: Spans, b: Spans) -> Spans:
    """The spans inside both a and b."""
    if not len(a) or not len(b):
        return EMPTY
    points = np.unique(np.concatenate((a.starts, a.ends, b.starts, b.ends)))
    lo, hi = points[:-1], points[1:]
    keep = _contains(a, lo) & _contains(b, lo)
    return Spans.of(lo[keep], hi[keep])


def _contains(spans: Spans, t: np.ndarray) -> np.ndarray:
    i = np.searchsorted(spans.starts, t, side="right") - 1
    return (i >= 0) & (spans.ends[np.clip(i, 0, None)] > t)


EMPTY = Spans(np.zeros(0, np.int64), np.zeros(0, np.int64))


def spans_of(pairs: Iterable[tuple[datetime, datetime | None]], until: datetime) -> Spans:
    """Spans from (start, end) datetimes; an open end (None) runs to `until`."""
    starts, ends = [], []
    for start, end in pairs:
        starts.append(to_ns(start))
        ends.append(to_ns(end if end is not None else until))
    return Spans.of(starts, ends)
