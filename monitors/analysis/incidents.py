"""Samples -> outages: confirmation, recovery, vantage health, quorum, grouping (pure).

Semantics (DESIGN.md "Semantics that matter"), decided here:
- Rounds are judged per vantage, then combined per time bucket by quorum (`verdicts.py`).
  Buckets where no vantage could measure (own network offline) are skipped: they neither open
  nor close an outage, and an open outage runs on through them.
- An outage opens after `confirm` consecutive failed buckets (degraded or down), back-dated to
  the first; `detected_at` is the end of the confirming round (its ts + its slowest sample's
  latency). It closes after `recover` consecutive good buckets; `end` is the first good one.
  Shorter good stretches in between belong to the outage.
- One outage has one severity, its worst: `down` if any of its buckets was down. The exact
  down stretches are kept in `down_spans` so uptime and impact count degraded time as such.
- `official_lag_s` = vendor's first acknowledgement − our `detected_at`, in seconds: positive
  when we knew first, negative when the vendor was first. The acknowledgement is the first
  status-page sample of the vendor incident (or maintenance) that overlaps the outage, however
  early it began.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd

from monitors.analysis.evidence import Rows, describe, official_runs
from monitors.analysis.evidence import probable_cause as probable_cause  # re-exported
from monitors.analysis.impact import ImpactEstimate, estimate_all
from monitors.analysis.intervals import NS, from_ns
from monitors.analysis.verdicts import (
    DEGRADED,
    DOWN,
    GAP_ROUNDS,
    bucket_coverage,
    bucket_verdicts,
    prepare,
    relevant_rows,
    vantage_rounds,
)
from monitors.config import Business, Monitor, Platform
from monitors.history.notes import incident_id
from monitors.timeutil import utcnow

Severity = Literal["down", "degraded"]

@dataclass(slots=True)
class Outage:
    """One detected outage of one platform (the JSON of `incidents --json`)."""

    platform: str
    provider: str
    start: datetime  # back-dated to the first failed round (UTC)
    end: datetime | None  # first good sample; None while ongoing
    detected_at: datetime  # end of the round that confirmed it
    severity: Severity
    cause: str  # plain words, e.g. "DNS / routing (network-level)"
    error: str | None = None  # dominant error class
    sources: tuple[str, ...] = ("probe",)  # "probe", "official"
    vantages: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()  # failing checks (surfaces)
    ok_checks: tuple[str, ...] = ()  # surfaces that kept working (for "media down, web up")
    official_lag_s: float | None = None
    official_title: str | None = None
    maintenance: bool = False
    impact: ImpactEstimate | None = None
    extra: dict = field(default_factory=dict)
    name: str = ""  # the platform's display name
    # the stretches that were down (end None: still down); the rest of the outage was degraded.
    # Empty with severity "down" means the whole outage was down.
    down_spans: tuple[tuple[datetime, datetime | None], ...] = ()

    def duration_s(self, now: datetime | None = None) -> float:
        """Seconds from start to end (or to now while ongoing)."""
        return max(0.0, ((self.end or now or utcnow()) - self.start).total_seconds())

    @property
    def id(self) -> str:
        """The stable id: platform + back-dated start, e.g. 'instagram-20261203t101205z'.

        Detection back-dates a start to the first failed round, which a re-detection or a
        recomputation of a stored month finds again; notes keep the incident's span as well,
        so one whose start did move still finds its incident (analysis/notes.py)."""
        return incident_id(self.platform, self.start)

    @property
    def headline(self) -> str:
        """One line for people: "Instagram: media down, web up"."""
        label = self.name or self.platform
        if self.checks and self.ok_checks:
            return f"{label}: {', '.join(self.checks)} down, {', '.join(self.ok_checks)} up"
        return f"{label} {self.severity}"


@dataclass(slots=True)
class ProviderIncident:
    """Overlapping outages of two or more platforms of one provider."""

    provider: str
    platforms: tuple[str, ...]
    start: datetime
    end: datetime | None
    severity: Severity
    outages: tuple[Outage, ...]

    @property
    def title(self) -> str:
        """One line for people: "Meta: Facebook, Instagram, WhatsApp down"."""
        names = {o.platform: o.name or o.platform for o in self.outages}
        return f"{self.provider}: {', '.join(names[p] for p in self.platforms)} {self.severity}"


@dataclass(slots=True)
class Detection:
    """Outages plus the timelines they came from (for uptime and unknown time)."""

    outages: list[Outage]
    buckets: pd.DataFrame  # per platform (code p) and time bucket: ts_ns, verdict, ...
    rounds: pd.DataFrame  # per vantage platform-round: p, v, ts_ns, verdict, offline, ...
    ids: list[str]  # platform ids by code p
    vantages: list[str]  # vantage names by code v
    widths_ns: np.ndarray  # bucket width (round interval) per platform code
    coverage: dict[str, tuple[np.ndarray, ...]] | None = None  # bucket (starts, ends) with data


def confirmed_spans(
    failing: np.ndarray, confirm: int, recover: int, gaps: np.ndarray | None = None
) -> list[tuple[int, int, int | None]]:
    """Indices (first failure, confirming round, first good round or None) of each outage.

    Works on runs of equal values: a failing run of at least `confirm` opens; while open, a
    good run of at least `recover` closes at its first round, shorter ones are absorbed.
    `gaps[i]` marks a data gap before round i: failing rounds either side of it are not
    consecutive (no confirmation across missing data), but an open outage runs on through it.
    """
    n = len(failing)
    if n == 0:
        return []
    failing = np.asarray(failing, bool)
    change = failing[1:] != failing[:-1]
    if gaps is not None:
        change |= np.asarray(gaps, bool)[1:] & failing[1:]
    starts = np.r_[0, np.flatnonzero(change) + 1]
    lengths = np.diff(np.r_[starts, n])
    spans: list[tuple[int, int, int | None]] = []
    opened: tuple[int, int] | None = None
    for start, length in zip(starts.tolist(), lengths.tolist(), strict=True):
        if opened is None and failing[start] and length >= confirm:
            opened = (start, start + confirm - 1)
        elif opened is not None and not failing[start] and length >= recover:
            spans.append((*opened, start))
            opened = None
    if opened is not None:
        spans.append((*opened, None))
    return spans


def detect(
    samples: pd.DataFrame,
    platforms: Sequence[Platform],
    monitor: Monitor,
    *,
    now: datetime | None = None,
    business: Business | None = None,
) -> list[Outage]:
    """Outages of the given platforms in these samples (impact filled when business given)."""
    return detect_timeline(samples, platforms, monitor, now=now, business=business).outages


def detect_timeline(
    samples: pd.DataFrame,
    platforms: Sequence[Platform],
    monitor: Monitor,
    *,
    now: datetime | None = None,
    business: Business | None = None,
    coverage: bool = False,
    prefilter: bool = True,
) -> Detection:
    """Like detect(), keeping the bucket and round timelines for uptime.

    1. Flag every sample; drop platform-hours that can only hold blips (verdicts.py);
    2. judge every vantage's platform-round; 3. combine vantages per bucket by quorum;
    4. run confirmation/recovery over each platform's non-skipped buckets;
    5. describe each outage from the samples of its failing rounds.
    Samples of platforms not in `platforms` are ignored. `coverage=True` also records which
    buckets have samples (meaningful for complete, not sparse, samples).
    """
    platforms = list(platforms)
    prep = prepare(samples, [p.id for p in platforms], monitor.timeout)
    widths = np.array([round((p.interval or monitor.interval) * NS) for p in platforms], np.int64)
    covered = bucket_coverage(prep, widths) if coverage else None
    if prefilter:
        keep = relevant_rows(prep, widths, monitor.confirm, monitor.recover)
        prep = prep.subset(keep) if not keep.all() else prep
    rounds, row_round = vantage_rounds(prep)
    buckets = bucket_verdicts(rounds, widths, len(prep.vantages), monitor.quorum)
    row_failing = rounds["verdict"].to_numpy()[row_round] >= DEGRADED
    bounds = np.searchsorted(buckets["p"].to_numpy(), np.arange(len(platforms) + 1))
    order, row_bounds = prep.order()
    outages: list[Outage] = []
    for p, platform in enumerate(platforms):
        timeline = buckets.iloc[bounds[p] : bounds[p + 1]]
        measured = timeline["verdict"].to_numpy() >= 0
        gaps = _gaps(timeline["ts_ns"].to_numpy(), measured, GAP_ROUNDS * widths[p])
        timeline = timeline[measured]
        spans = confirmed_spans(timeline["verdict"].to_numpy() >= DEGRADED, monitor.confirm,
                                monitor.recover, gaps)
        if not spans:
            continue
        positions = order[row_bounds[p] : row_bounds[p + 1]]
        rows = Rows(prep, positions, row_failing)
        outages.extend(_platform_outages(platform, timeline, rows, spans))
    if business is not None:
        values = {p.id: p.impact for p in platforms}
        for outage, cost in zip(outages, estimate_all(outages, values, business, now=now),
                                strict=True):
            outage.impact = cost
    outages.sort(key=lambda o: (o.start, o.platform))
    return Detection(outages, buckets, rounds, prep.ids, prep.vantages, widths, covered)


def _gaps(ts: np.ndarray, measured: np.ndarray, longest_ns: int) -> np.ndarray:
    """Per measured bucket: was there a stretch without any data since the previous one?

    Unmeasured buckets (own network offline) are data: they bridge, only silence breaks.
    """
    silence = np.cumsum(np.r_[False, np.diff(ts) > longest_ns])
    at = silence[measured]
    return np.r_[False, np.diff(at) > 0]


def _platform_outages(
    platform: Platform,
    timeline: pd.DataFrame,
    rows: Rows,
    spans: list[tuple[int, int, int | None]],
) -> list[Outage]:
    code = timeline["verdict"].to_numpy()
    ts = timeline["ts_ns"].to_numpy()
    detected = timeline["end_ns"].to_numpy()
    official = official_runs(rows)
    provider = platform.provider_name
    out = []
    for first, confirming, good in spans:
        end_ns = int(ts[good]) if good is not None else None
        codes = code[first:good]
        outage = Outage(
            platform=platform.id,
            provider=provider,
            name=platform.name,
            start=from_ns(ts[first]),
            end=from_ns(end_ns) if end_ns is not None else None,
            detected_at=from_ns(detected[confirming]),
            severity="down" if (codes == DOWN).any() else "degraded",
            cause="",
            down_spans=_down_spans(ts, code, first, good),
            extra={"failed_rounds": int((codes >= DEGRADED).sum())},
        )
        describe(outage, rows, official)
        out.append(outage)
    return out


def _down_spans(
    ts: np.ndarray, code: np.ndarray, first: int, good: int | None
) -> tuple[tuple[datetime, datetime | None], ...]:
    stop = good if good is not None else len(code)
    down = code[first:stop] == DOWN
    if not down.any():
        return ()
    edges = np.flatnonzero(np.diff(np.r_[0, down.astype(np.int8), 0]))
    spans = []
    for a, b in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        after = first + b
        end = from_ns(ts[after]) if after < len(ts) and after <= stop else None
        spans.append((from_ns(ts[first + a]), end))
    return tuple(spans)


def group_by_provider(outages: Sequence[Outage]) -> list[ProviderIncident]:
    """Overlapping outages of two or more platforms of one provider, as one incident each.

    Overlap chains: if A overlaps B and B overlaps C, all three are one incident.
    """
    far = datetime.max.replace(tzinfo=outages[0].start.tzinfo) if outages else None
    groups: list[ProviderIncident] = []
    by_provider: dict[str, list[Outage]] = {}
    for outage in sorted(outages, key=lambda o: o.start):
        by_provider.setdefault(outage.provider, []).append(outage)
    for provider, items in by_provider.items():
        cluster: list[Outage] = []
        reach = None
        for outage in [*items, None]:
            if outage is not None and cluster and outage.start < reach:
                cluster.append(outage)
                reach = max(reach, outage.end or far)
                continue
            if len({o.platform for o in cluster}) >= 2:
                groups.append(_incident(provider, cluster))
            if outage is not None:
                cluster, reach = [outage], outage.end or far
    return sorted(groups, key=lambda g: g.start)


def _incident(provider: str, cluster: list[Outage]) -> ProviderIncident:
    platforms = tuple(dict.fromkeys(o.platform for o in cluster))
    ends = [o.end for o in cluster]
    return ProviderIncident(
        provider=provider,
        platforms=platforms,
        start=min(o.start for o in cluster),
        end=None if any(e is None for e in ends) else max(ends),
        severity="down" if any(o.severity == "down" for o in cluster) else "degraded",
        outages=tuple(cluster),
    )


def iso(ts: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, e.g. 2024-05-06T12:00:00Z (None stays None)."""
    if ts is None:
        return None
    return pd.Timestamp(ts).tz_convert("UTC").isoformat().replace("+00:00", "Z")


def outage_to_json(outage: Outage, *, now: datetime | None = None) -> dict:
    """The DESIGN.md incident object (plus name, ok_checks, error, title, maintenance)."""
    impact = outage.impact
    return {
        "id": outage.id,
        "platform": outage.platform,
        "provider": outage.provider,
        "name": outage.name or outage.platform,
        "start": iso(outage.start),
        "end": iso(outage.end),
        "detected_at": iso(outage.detected_at),
        "duration_s": round(outage.duration_s(now), 3),
        "severity": outage.severity,
        "cause": outage.cause,
        "error": outage.error,
        "sources": list(outage.sources),
        "vantages": list(outage.vantages),
        "checks": list(outage.checks),
        "ok_checks": list(outage.ok_checks),
        "official_lag_s": outage.official_lag_s,
        "official_title": outage.official_title,
        "maintenance": outage.maintenance,
        "impact": None if impact is None else {
            "amount": round(impact.amount, 2), "currency": impact.currency,
        },
    }
