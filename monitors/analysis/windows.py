"""Analysis of a window of the history: read what can hold an outage, use the stored months,
and summarise (history in, uptime.Analysis and summary JSON out)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd

from monitors import history
from monitors.analysis import stored as analysis_store
from monitors.analysis.coverage import coverage_from_rollups
from monitors.analysis.findings import Findings, join
from monitors.analysis.intervals import from_ns, to_ns
from monitors.analysis.summary import compare_summaries, summary_json
from monitors.analysis.uptime import (
    LOOKBACK,
    Analysis,
    _bounds,
    conclude,
    context_s,
    find,
    longest_interval,
    select_platforms,
)
from monitors.analysis.verdicts import HOUR_NS
from monitors.config import Monitor, Platform, Settings
from monitors.timeutil import Window, parse_window, utcnow

log = logging.getLogger("monitors.analysis")


def analyse_history(
    settings: Settings,
    window: Window | str,
    *,
    platforms: Sequence[str] | None = None,
    now: datetime | None = None,
    vantages: Sequence[str] | None = None,
    materialised: bool = True,
) -> Analysis:
    """analyse() over the history: sparse eventful samples plus hourly roll-ups for coverage.

    Reads only hours with something other than `up` (history.read_eventful_samples), so a
    year costs little more than its incidents. With `materialised`, the findings stored by
    monitors/analysis_store.py stand in for every stretch they cover, and only the days
    before the first stored cut and after the last are read and analysed.
    """
    now = now or utcnow()
    window = parse_window(window, end=now) if isinstance(window, str | int | float) else window
    chosen = select_platforms(settings, platforms)
    _, until_ns, _ = _bounds(window, now)
    stored: dict[str, tuple[int, int]] = {}
    pieces: list[Findings] = []
    if materialised and not vantages:
        try:
            stored, middle = analysis_store.middle(settings, chosen, to_ns(window.start),
                                                   min(until_ns, to_ns(window.end) - 1))
            pieces.append(middle)
        except (KeyError, TypeError, ValueError, IndexError) as exc:  # a damaged stored file
            log.warning("stored analysis unusable (%s); analysing from samples",
                        type(exc).__name__)
            stored, pieces = {}, []
    first = [p for p in chosen if p.id in stored]
    rest = [p for p in chosen if p.id not in stored]
    if rest:  # nothing stored for these: the whole window from samples
        pieces.append(_live(settings, rest, window.start - LOOKBACK, window.end, window.start,
                            now, vantages))
    if first:  # from samples only before the first cut and after the last
        head_end = min(window.end, from_ns(max(stored[p.id][0] for p in first)
                                           + _tail_ns(first, settings.monitor)))
        head = _live(settings, first, window.start - LOOKBACK, head_end, window.start, now,
                     vantages)
        pieces.append(head.restrict({p.id: (_MIN, stored[p.id][0]) for p in first}))
        begin = min(stored[p.id][1] for p in first)
        tail = _live(settings, first, from_ns(begin - 2 * HOUR_NS), window.end,
                     max(window.start, from_ns(begin - HOUR_NS)), now, vantages)
        pieces.append(tail.restrict({p.id: (stored[p.id][1], _MAX) for p in first}))
    return conclude(join(pieces), chosen, settings.business, window, now=now)


_MIN, _MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def _tail_ns(platforms: Sequence[Platform], monitor: Monitor) -> int:
    """How far past a cut a stretch's detection reads: the context plus one hour."""
    return round(context_s(platforms, monitor) * 1e9) + HOUR_NS


def _live(
    settings: Settings,
    chosen: Sequence[Platform],
    start: datetime,
    end: datetime,
    rollups_from: datetime,
    now: datetime,
    vantages: Sequence[str] | None,
) -> Findings:
    """Findings from the samples: eventful samples in [start, end), coverage from the roll-ups
    in [rollups_from, end)."""
    ids = [p.id for p in chosen]
    store = history.store_for(settings)
    samples = history.read_eventful_samples(
        store, start, end, platforms=ids,
        pad_s=context_s(chosen, settings.monitor), min_failures=settings.monitor.confirm,
        span_s=settings.monitor.confirm * longest_interval(chosen, settings.monitor),
    )
    rollups = history.read_rollups(
        store, rollups_from, end, platforms=ids,
        vantages=list(vantages) if vantages else None,
    )
    if vantages and len(samples):  # only what these vantages saw (dashboard filter)
        samples = samples[samples["vantage"].isin(list(vantages))]
    intervals = {p.id: p.interval or settings.monitor.interval for p in chosen}
    return find(samples, chosen, settings.monitor, settings.business, now=now,
                coverage=coverage_from_rollups(rollups, intervals))


def summarize(
    settings: Settings,
    window: Window | str,
    *,
    platforms: Sequence[str] | None = None,
    now: datetime | None = None,
) -> dict:
    """The summary JSON of DESIGN.md for a window, read from the history."""
    return summary_json(analyse_history(settings, window, platforms=platforms, now=now))


def daily_uptime(
    settings: Settings,
    window: Window | str,
    *,
    platforms: Sequence[str] | None = None,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Uptime per platform per local day (business timezone), read from the history."""
    return analyse_history(settings, window, platforms=platforms, now=now).daily


def compare_periods(
    settings: Settings,
    window: Window | str,
    *,
    platforms: Sequence[str] | None = None,
    now: datetime | None = None,
) -> dict:
    """This window against the previous one of the same length: both summaries and changes."""
    now = now or utcnow()
    window = parse_window(window, end=now) if isinstance(window, str | int | float) else window
    current = summarize(settings, window, platforms=platforms, now=now)
    previous = summarize(settings, window.previous(), platforms=platforms, now=now)
    return {"current": current, "previous": previous,
            "platforms": compare_summaries(current, previous)}
