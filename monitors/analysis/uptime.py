"""Uptime per platform and window, the daily series, the summary and period comparison.

Definitions (per platform, inside the window, up to now):
- observed time: time the history covers (hours with samples; the whole window for a plain
  DataFrame of samples); unknown time: buckets where no vantage could measure (own network
  offline). known = observed − unknown.
- down_s / degraded_s: outage time that was down / degraded, minus unknown time inside it.
- uptime_pct = 100 × (known − down_s) / known; degraded time does not count against uptime
  (it is reported next to it). None when nothing is known.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from monitors.analysis.coverage import (
    coverage_from_samples,
    offline_spans,
    offline_totals,
    unknown_spans,
)
from monitors.analysis.findings import Findings, offline_by_vantage
from monitors.analysis.impact import (
    ImpactEstimate,
    estimate_all,
    total,
)
from monitors.analysis.incidents import Outage, detect_timeline
from monitors.analysis.intervals import EMPTY, Spans, intersect, spans_of, to_ns
from monitors.analysis.verdicts import GAP_ROUNDS
from monitors.config import Business, Monitor, Platform, Settings
from monitors.timeutil import Window, utcnow, zone

log = logging.getLogger("monitors.analysis")

# Outages that began before the window are looked for this far back, so they keep their start.
LOOKBACK = timedelta(days=1)


def _outage_spans(outages: Sequence[Outage], until: datetime) -> tuple[Spans, Spans]:
    """(all outage time, down time) of one platform's outages."""
    down_pairs: list[tuple[datetime, datetime | None]] = []
    for outage in outages:
        if outage.severity == "down":
            down_pairs.extend(outage.down_spans or [(outage.start, outage.end)])
    whole = spans_of(((o.start, o.end) for o in outages), until)
    return whole, intersect(spans_of(down_pairs, until), whole)


def _measure(
    outages: Sequence[Outage], unknown: Spans, coverage: Spans, edges: np.ndarray, until: datetime
) -> dict[str, np.ndarray]:
    """Observed, unknown, known, down and degraded seconds per [edges[k], edges[k+1])."""
    whole, down = _outage_spans(outages, until)
    unknown = intersect(unknown, coverage)
    whole, down = intersect(whole, coverage), intersect(down, coverage)
    observed = coverage.measure(edges)
    unknown_s = unknown.measure(edges)
    down_s = down.measure(edges) - intersect(down, unknown).measure(edges)
    outage_s = whole.measure(edges) - intersect(whole, unknown).measure(edges)
    known = observed - unknown_s
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(known > 0, np.clip(100.0 * (known - down_s) / known, 0.0, 100.0), np.nan)
    return {
        "observed_s": observed, "unknown_s": unknown_s, "known_s": known,
        "down_s": down_s, "degraded_s": np.clip(outage_s - down_s, 0.0, None), "uptime_pct": pct,
    }


def _bounds(window: Window, now: datetime | None) -> tuple[int, int, datetime]:
    until = min(window.end, now) if now else window.end
    until = max(until, window.start)
    return to_ns(window.start), to_ns(until), until


def uptime_table(
    outages: Sequence[Outage],
    window: Window,
    platforms: Sequence[str],
    *,
    unknown: Mapping[str, Spans] | None = None,
    coverage: Mapping[str, Spans] | None = None,
    now: datetime | None = None,
) -> pd.DataFrame:
    """One row per platform: observed/unknown/known/down/degraded seconds, uptime_pct, incidents."""
    lo, hi, until = _bounds(window, now)
    rows = []
    for pid in platforms:
        mine = [o for o in outages if o.platform == pid]
        cover = coverage.get(pid, EMPTY) if coverage is not None else Spans.of([lo], [hi])
        figures = _measure(mine, (unknown or {}).get(pid, EMPTY), cover.clip(lo, hi),
                           np.array([lo, hi]), until)
        row = {"platform": pid, **{k: float(v[0]) for k, v in figures.items()}}
        row["incidents"] = sum(1 for o in mine if _overlaps(o, window.start, until))
        rows.append(row)
    return pd.DataFrame(rows, columns=[
        "platform", "observed_s", "unknown_s", "known_s", "down_s", "degraded_s", "uptime_pct",
        "incidents",
    ])


def _overlaps(outage: Outage, start: datetime, end: datetime) -> bool:
    return outage.start < end and (outage.end is None or outage.end > start)


def day_edges(window: Window, timezone: str, now: datetime | None = None) -> np.ndarray:
    """Window start, every local midnight inside it, and its end (ns): the daily buckets."""
    lo, hi, until = _bounds(window, now)
    tz = zone(timezone)
    first = window.start.astimezone(tz).date()
    last = until.astimezone(tz).date()
    midnights = pd.date_range(first, last + timedelta(days=1), freq="D", tz=tz)
    inner = midnights.as_unit("ns").asi8
    return np.r_[lo, inner[(inner > lo) & (inner < hi)], hi]


def daily_table(
    outages: Sequence[Outage],
    window: Window,
    platforms: Sequence[str],
    timezone: str,
    *,
    unknown: Mapping[str, Spans] | None = None,
    coverage: Mapping[str, Spans] | None = None,
    now: datetime | None = None,
) -> pd.DataFrame:
    """One row per platform per local calendar day (business timezone) with its uptime."""
    lo, hi, until = _bounds(window, now)
    edges = day_edges(window, timezone, now)
    days = pd.DatetimeIndex(edges[:-1].view("datetime64[ns]"), tz="UTC").tz_convert(timezone)
    frames = []
    for pid in platforms:
        cover = coverage.get(pid, EMPTY) if coverage is not None else Spans.of([lo], [hi])
        figures = _measure([o for o in outages if o.platform == pid],
                           (unknown or {}).get(pid, EMPTY), cover.clip(lo, hi), edges, until)
        frames.append(pd.DataFrame({"day": days.date, "platform": pid, **figures}))
    if not frames:
        return pd.DataFrame(columns=["day", "platform", "observed_s", "unknown_s", "known_s",
                                     "down_s", "degraded_s", "uptime_pct"])
    return pd.concat(frames, ignore_index=True)


@dataclass(slots=True)
class Analysis:
    """Everything the summary, CLI, dashboard and report show for one window."""

    window: Window
    until: datetime
    business: Business
    outages: list[Outage]
    uptime: pd.DataFrame
    daily: pd.DataFrame
    impacts: dict[str, ImpactEstimate]  # unplanned outages
    vantage_offline_s: float = 0.0
    maintenance: dict[str, ImpactEstimate] = field(default_factory=dict)  # planned, apart
    vantages_offline_s: dict[str, float] = field(default_factory=dict)
    platforms: dict[str, Platform] = field(default_factory=dict)


def analyse(
    samples: pd.DataFrame,
    platforms: Sequence[Platform],
    monitor: Monitor,
    business: Business,
    window: Window,
    *,
    now: datetime | None = None,
    coverage: Mapping[str, Spans] | None = None,
) -> Analysis:
    """Outages, uptime, daily series and impact of these samples over the window.

    `coverage=None` means the samples are complete (not sparse): coverage is taken from them.
    """
    now = now or utcnow()
    found = find(samples, platforms, monitor, business, now=now, coverage=coverage)
    return conclude(found, platforms, business, window, now=now)


def find(
    samples: pd.DataFrame,
    platforms: Sequence[Platform],
    monitor: Monitor,
    business: Business,
    *,
    now: datetime,
    coverage: Mapping[str, Spans] | None = None,
) -> Findings:
    """Detection over these samples: outages, unknown, covered and offline time."""
    detection = detect_timeline(samples, platforms, monitor, now=now, business=business,
                                coverage=coverage is None)
    cover = coverage_from_samples(detection) if coverage is None else dict(coverage)
    return Findings(outages=detection.outages, unknown=unknown_spans(detection),
                    coverage=cover, offline=offline_spans(detection))


def conclude(
    found: Findings,
    platforms: Sequence[Platform],
    business: Business,
    window: Window,
    *,
    now: datetime,
) -> Analysis:
    """Uptime, daily series and impact over the window from what detection found."""
    _, _, until = _bounds(window, now)
    outages = [o for o in found.outages if _overlaps(o, window.start, until)]
    ids = [p.id for p in platforms]
    cover = dict(found.coverage)
    unknown = found.unknown
    for pid in ids:  # what we saw happen was observed, whatever the coverage estimate says
        seen = _outage_spans([o for o in outages if o.platform == pid], until)[0]
        cover[pid] = cover.get(pid, EMPTY).union(seen).union(unknown.get(pid, EMPTY))
    inside = [o.impact is not None and o.start >= window.start and o.end is not None
              and o.end <= window.end for o in outages]
    clipped = iter(estimate_all([o for o, keep in zip(outages, inside, strict=True) if not keep],
                                {p.id: p.impact for p in platforms}, business, now=now,
                                within=window))
    costs = [o.impact if keep else next(clipped) for o, keep in zip(outages, inside, strict=True)]
    impacts, planned = ({
        pid: total((c for o, c in zip(outages, costs, strict=True)
                    if o.platform == pid and o.maintenance is maintenance), business.currency)
        for pid in ids
    } for maintenance in (False, True))
    offline = offline_totals(offline_by_vantage(found.offline), window, now)
    return Analysis(
        window=window, until=until, business=business, outages=outages,
        uptime=uptime_table(outages, window, ids, unknown=unknown, coverage=cover, now=now),
        daily=daily_table(outages, window, ids, business.timezone, unknown=unknown,
                          coverage=cover, now=now),
        impacts=impacts, maintenance=planned, vantage_offline_s=offline["total_s"],
        vantages_offline_s=offline["vantages"], platforms={p.id: p for p in platforms},
    )


def select_platforms(settings: Settings, ids: Sequence[str] | None) -> list[Platform]:
    """The configured platforms, or only those ids (ValueError naming an unknown one)."""
    if not ids:
        return list(settings.platforms)
    unknown = [i for i in ids if settings.platform(i) is None]
    if unknown:
        known = ", ".join(p.id for p in settings.platforms) or "none"
        raise ValueError(f"unknown platform {unknown[0]!r} (configured: {known})")
    return [p for p in settings.platforms if p.id in ids]


def longest_interval(platforms: Sequence[Platform], monitor: Monitor) -> float:
    """The longest sampling interval among these platforms."""
    return max([p.interval or monitor.interval for p in platforms] or [monitor.interval])


def context_s(platforms: Sequence[Platform], monitor: Monitor) -> float:
    """Seconds of quiet samples needed around eventful hours to judge them exactly.

    Enough rounds to see an outage recover and to tell a data gap from a run of failures;
    hours absent from eventful reads were all up, so more context changes nothing.
    """
    return (max(monitor.recover, GAP_ROUNDS) + 1) * longest_interval(platforms, monitor) + 60.0
