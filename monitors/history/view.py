"""What a read window looks like: which partitions have valid stored roll-ups, which are raw."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from monitors.history.files import DAY_MS, HOUR_MS, Partition, day_start_ms
from monitors.history.rollup import (
    ROLLUP_COLUMNS,
    ROUND_COLUMNS,
    ROUND_ROLLUP_COLUMNS,
    Month,
    index_months,
    read_month,
)
from monitors.history.scan import (
    Listing,
    days_between,
    list_samples,
    parallel,
    to_ms,
    window_filter,
)
from monitors.history.store import Store

_ROUND_READ = ("hour", "platform", *ROUND_COLUMNS)  # what round roll-ups need of a file


@dataclass(slots=True)
class View:
    """Stored roll-ups of a window and the partitions (`tail`) to compute from raw samples.

    A partition is valid when its day's cover names its only samples file, and, for round
    roll-ups, says round counts were computed; every other listed partition is tail.
    """

    store: Store
    start_ms: int
    end_ms: int
    platforms: set[str] | None
    rounds: bool = False  # pieces hold ROUND_ROLLUP_COLUMNS instead of ROLLUP_COLUMNS
    listing: Listing = field(default_factory=dict)
    months: dict[tuple[str, str], Month] = field(default_factory=dict)
    valid: list[Partition] = field(default_factory=list)
    tail: list[Partition] = field(default_factory=list)
    pieces: list[pa.Table] = field(default_factory=list)  # stored, one per month and vantage

    @classmethod
    def load(cls, store: Store, start: Any, end: Any, vantages: Iterable[str] | None,
             platforms: Iterable[str] | None, *, rounds: bool = False) -> View:
        """List samples and roll-ups of the window and sort partitions into valid / tail."""
        view = cls(store, to_ms(start), to_ms(end), name_set(platforms), rounds)
        first_hour, wanted = view.start_ms - view.start_ms % HOUR_MS, name_set(vantages)
        days = days_between(first_hour, view.end_ms)
        view.listing = list_samples(store, days, wanted)
        view.months = {key: m for key, m in index_months(store.list("rollups")).items()
                       if key[0] in {d[:7] for d in days} and (wanted is None
                                                               or key[1] in wanted)}
        months = list(view.months.values())
        columns = _ROUND_READ if rounds else None
        tables = parallel(lambda m: read_month(store, m, columns), months)
        for part, files in view.listing.items():
            (view.valid if view._is_valid(part, files) else view.tail).append(part)
        tail = {(p.day, p.vantage) for p in view.tail}
        view.pieces = [view._stored_rows(t, m.vantage, tail)
                       for m, t in zip(months, tables, strict=True)]
        return view

    def cover(self, part: Partition) -> dict[str, Any]:
        """What the stored roll-ups say about a partition's day (file, extract hours)."""
        month = self.months.get((part.day[:7], part.vantage))
        return ((month.covers or {}) if month else {}).get(part.day, {})

    def _is_valid(self, part: Partition, files: list[str]) -> bool:
        cover = self.cover(part)
        return len(files) == 1 and files[0] == cover.get("file") and (
            not self.rounds or bool(cover.get("rounds")))

    def _stored_rows(self, table: pa.Table, vantage: str, tail: set[tuple[str, str]]
                     ) -> pa.Table:
        hours = table["hour"].cast(pa.int64()).to_numpy()
        first_hour = self.start_ms - self.start_ms % HOUR_MS
        mask = (hours >= first_hour) & (hours < self.end_ms)
        stale = [d for d, v in tail if v == vantage]
        if stale:
            mask &= ~np.isin(hours - hours % DAY_MS, [day_start_ms(d) for d in stale])
        if self.platforms is not None:
            mask &= pc.is_in(table["platform"], pa.array(sorted(self.platforms))).to_numpy(
                zero_copy_only=False)
        if self.rounds:  # one row per (hour, platform) carries the hour's rounds
            mask &= pc.is_valid(table["r_rounds"]).to_numpy(zero_copy_only=False)
        rows = table if mask.all() else table.filter(pa.array(mask))
        return with_vantage_column(rows, vantage, self.columns)

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of the stored pieces (and of what the tail must give)."""
        return ROUND_ROLLUP_COLUMNS if self.rounds else ROLLUP_COLUMNS

    def hour_filter(self) -> Any:
        """Row filter for whole hours overlapping the window (roll-ups summarise full hours)."""
        first_hour = self.start_ms - self.start_ms % HOUR_MS
        last_hour = -(-self.end_ms // HOUR_MS) * HOUR_MS
        return window_filter(first_hour, last_hour, self.platforms)


def with_vantage_column(table: pa.Table, vantage: str, columns: Sequence[str]) -> pa.Table:
    """Roll-up rows of one vantage with the vantage column added, as `columns`."""
    table = table.append_column("vantage", pa.repeat(pa.scalar(vantage), table.num_rows))
    return table.select(list(columns))


def name_set(values: Iterable[str] | str | None) -> set[str] | None:
    """A filter argument (one name, several, or None for all) as a set."""
    if values is None:
        return None
    return {values} if isinstance(values, str) else set(values)
