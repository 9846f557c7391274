"""What the history observed: covered time, unknown time and own-network-offline time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import numpy as np
import pandas as pd

from monitors.analysis.incidents import Detection
from monitors.analysis.intervals import EMPTY, NS, Spans, ns_array, to_ns
from monitors.analysis.verdicts import HOUR_NS, SKIP
from monitors.timeutil import Window


def unknown_spans(detection: Detection) -> dict[str, Spans]:
    """Per platform: the buckets where no vantage could measure (left out of uptime)."""
    return _bucket_spans(detection, detection.buckets["verdict"].to_numpy() == SKIP)


def coverage_from_samples(detection: Detection) -> dict[str, Spans]:
    """Per platform: the buckets that have samples (needs detect_timeline(coverage=True))."""
    return {pid: Spans.of(*pair) for pid, pair in (detection.coverage or {}).items()}


def _bucket_spans(detection: Detection, mask: np.ndarray) -> dict[str, Spans]:
    buckets = detection.buckets[mask]
    p = buckets["p"].to_numpy(np.int64)
    width = detection.widths_ns[p]
    start = buckets["bucket"].to_numpy(np.int64) * width
    bounds = np.searchsorted(p, np.arange(len(detection.ids) + 1))  # sorted by platform
    return {
        pid: Spans.of(start[bounds[i] : bounds[i + 1]], (start + width)[bounds[i] : bounds[i + 1]])
        for i, pid in enumerate(detection.ids)
        if bounds[i + 1] > bounds[i]
    }


def coverage_from_rollups(
    rollups: pd.DataFrame, intervals_s: Mapping[str, float]
) -> dict[str, Spans]:
    """Per platform: the time the history has samples for, from hourly roll-ups.

    An hour is covered by (rounds in it × the platform's interval), at most the whole hour.
    A partly covered hour that starts a stretch of hours with samples is covered at its end
    (the sampler started during it); one that ends a stretch, at its start.
    """
    if rollups.empty:
        return {}
    counts = rollups[["n_up", "n_degraded", "n_down", "n_unknown"]].to_numpy(np.int64).sum(1)
    codes, names = pd.factorize(rollups["platform"])
    hour_key = ns_array(rollups["hour"]) // HOUR_NS
    out = {}
    for i, pid in enumerate(names):
        if str(pid) not in intervals_s:
            continue
        mine = codes == i
        hours, where = np.unique(hour_key[mine], return_inverse=True)
        rounds = np.zeros(len(hours), np.int64)
        np.maximum.at(rounds, where, counts[mine])  # per check and vantage: take the most
        covered = np.minimum(rounds * round(intervals_s[str(pid)] * NS), HOUR_NS)
        opens = np.r_[True, np.diff(hours) > 1] & np.r_[np.diff(hours) <= 1, False]
        closes = np.r_[np.diff(hours) > 1, True]
        start = hours * HOUR_NS
        starts = np.where(opens, start + HOUR_NS - covered, start)
        ends = np.where(opens | ~closes, start + HOUR_NS, start + covered)
        out[str(pid)] = Spans.of(starts, ends)
    return out


def offline_spans(detection: Detection) -> dict[tuple[str, str], Spans]:
    """Per (platform, vantage): the rounds in which the vantage's own network was offline."""
    rounds = detection.rounds
    rounds = rounds[rounds["offline"].to_numpy(bool)] if len(rounds) else rounds
    if rounds.empty:
        return {}
    start = rounds["ts_ns"].to_numpy(np.int64)
    p = rounds["p"].to_numpy(np.int64)
    end = start + detection.widths_ns[p]
    v = rounds["v"].to_numpy(np.int64)
    pairs = np.unique(np.c_[p, v], axis=0)
    return {(detection.ids[i], detection.vantages[j]):
            Spans.of(start[(p == i) & (v == j)], end[(p == i) & (v == j)]) for i, j in pairs}


def offline_totals(by_vantage: Mapping[str, Spans], window: Window,
                   now: datetime | None = None) -> dict:
    """Seconds each vantage's own network was offline in the window, and their union."""
    lo = to_ns(window.start)
    hi = max(lo, to_ns(min(window.end, now) if now else window.end))
    if not by_vantage:
        return {"total_s": 0.0, "vantages": {}}
    union = EMPTY
    for spans in by_vantage.values():
        union = union.union(spans)
    per = {name: spans.clip(lo, hi).total_s for name, spans in by_vantage.items()}
    return {"total_s": union.clip(lo, hi).total_s, "vantages": dict(sorted(per.items()))}
