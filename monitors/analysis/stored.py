"""Materialised analysis: each month's findings stored once, so a year costs a few days.

After compaction, `materialise()` runs detection over every complete month of the history
and stores what it found (outages, unknown, covered and offline time) under
`DATA/analysis/key=<config key>/month=YYYY-MM.json`. `middle()` hands a window's analysis
the stored findings between two cut points; only the days before the first cut and after the
last are analysed from samples (monitors/uptime.py `analyse_history`).

Why a cut is exact. A cut is the end of a *quiet hour* of one platform: every sample of
every check and vantage in it was up, and it holds enough rounds to close any outage
(`recover`) and to reset a run of failures. At such a point no outage is open and no failure
is pending, whatever came before, so detection started shortly before the cut finds exactly
the outages a detection over the whole history finds after it, and none of those found
before it reaches past it. Each platform has its own cuts (the first quiet hour of each UTC
day); platforms whose interval does not divide an hour are never cut.

Stored findings are trusted only while nothing they came from changed: each file records a
digest of the sample files of the days it read (late samples, compaction or quarantine
change it), and the key covers the analysis settings and the analysis code itself.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from monitors import history
from monitors.analysis.coverage import coverage_from_rollups
from monitors.analysis.findings import Findings, from_json, join, to_json
from monitors.analysis.intervals import NS, from_ns, ns_array, to_ns
from monitors.analysis.uptime import context_s, find, longest_interval
from monitors.analysis.verdicts import GAP_ROUNDS
from monitors.config import Platform, Settings
from monitors.history.scan import list_samples, parallel

log = logging.getLogger("monitors.analysis")

VERSION = 1
FOLDER = "analysis"
HOUR_NS = 3600 * NS
DAY_NS = 24 * HOUR_NS
MARGIN_NS = 2 * HOUR_NS  # detection of a stretch starts this long before its first cut
KEEP_OTHER_KEYS_S = 7 * 86400  # findings of other configs are removed after a week unused
# the code a stored month's findings depend on (a change to any redoes them), by module name
_MODULES = ("analysis.stored", "analysis.coverage", "analysis.evidence", "analysis.findings",
            "analysis.impact", "analysis.incidents", "analysis.intervals", "analysis.uptime",
            "verdict", "analysis.verdicts")


def eligible(settings: Settings, platforms: Sequence[Platform] | None = None) -> list[Platform]:
    """The platforms whose stretches can be cut: their interval divides an hour."""
    chosen = settings.platforms if platforms is None else platforms
    return [p for p in chosen if HOUR_NS % round((p.interval or settings.monitor.interval) * NS)
            == 0]


def config_key(settings: Settings) -> str:
    """A short digest of everything detection depends on, including its own code."""
    monitor = settings.monitor
    basis = {
        "version": VERSION, "code": _code_digest(),
        "monitor": [monitor.interval, monitor.timeout, monitor.confirm, monitor.recover,
                    monitor.quorum],
        "platforms": [p.model_dump(mode="json") for p in settings.platforms],
        "business": settings.business.model_dump(mode="json"),
    }
    text = json.dumps(basis, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in _MODULES:
        digest.update(Path(importlib.import_module(f"monitors.{name}").__file__).read_bytes())
    return digest.hexdigest()[:16]


def quiet_cuts(rollups: pd.DataFrame, platforms: Sequence[Platform], need_rounds: int
               ) -> dict[str, np.ndarray]:
    """Per platform, the cut points (ns): the end of the first quiet hour of each UTC day.

    A quiet hour has roll-up rows, every one of them all up (any check, any vantage), and at
    least `need_rounds` samples of one check.
    """
    if rollups.empty:
        return {}
    wanted = {p.id for p in platforms}
    rows = rollups[rollups["platform"].isin(wanted)]
    bad = rows[["n_degraded", "n_down", "n_unknown"]].to_numpy(np.int64).sum(1)
    frame = pd.DataFrame({"platform": rows["platform"].to_numpy(object),
                          "hour": ns_array(rows["hour"]), "bad": bad,
                          "up": rows["n_up"].to_numpy(np.int64)})
    hours = frame.groupby(["platform", "hour"], sort=True).agg(bad=("bad", "max"),
                                                              up=("up", "max")).reset_index()
    quiet = hours[(hours["bad"] == 0) & (hours["up"] >= need_rounds)]
    out = {}
    for pid, group in quiet.groupby("platform", sort=True):
        starts = group["hour"].to_numpy(np.int64)
        day = starts // DAY_NS
        first = np.r_[True, day[1:] != day[:-1]]  # sorted by hour: first of each day
        out[str(pid)] = starts[first] + HOUR_NS
    return out


def need_rounds(settings: Settings) -> int:
    """Rounds a quiet hour must hold to close any outage and reset any run of failures."""
    monitor = settings.monitor
    return 2 * (max(monitor.confirm, monitor.recover, GAP_ROUNDS) + 1)


def _day_names(listing: dict) -> dict[str, list[str]]:
    by_day: dict[str, list[str]] = {}
    for part, names in listing.items():
        by_day.setdefault(part.day, []).extend(f"{part.vantage}/{n}" for n in names)
    return {day: sorted(names) for day, names in by_day.items()}


def _digest(by_day: dict[str, list[str]], days: Sequence[str]) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    for day in days:
        digest.update(f"{day}\0{chr(0).join(by_day.get(day, []))}\n".encode())
    return digest.hexdigest()[:20]


def _days(lo_ns: int, hi_ns: int) -> list[str]:
    first, last = from_ns(lo_ns).date(), from_ns(hi_ns - 1).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _month_start_ns(month: str) -> int:
    return to_ns(datetime.combine(date.fromisoformat(f"{month}-01"), datetime.min.time(), UTC))


def _shift_month(month: str, by: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + by
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _folder(key: str) -> str:
    return f"{FOLDER}/key={key}"


def materialise(settings: Settings, *, now: datetime | None = None) -> dict[str, Any]:
    """Store the findings of every complete month not yet stored (or changed since); returns
    what it did. Safe to run at any time and from any process: files are replaced whole."""

    began = time.perf_counter()
    now = now or datetime.now(UTC)
    stats: dict[str, Any] = {"months_written": 0, "months_current": 0}
    platforms = eligible(settings)
    store = history.store_for(settings)
    by_day = _day_names(list_samples(store))
    today = now.astimezone(UTC).date().isoformat()
    days = sorted(d for d in by_day if d < today)
    if not platforms or not days:
        return stats
    key, monitor = config_key(settings), settings.monitor
    pad_ns = round(context_s(platforms, monitor) * NS)
    first_ns = _month_start_ns(days[0][:7])
    limit = to_ns(datetime.combine(date.fromisoformat(days[-1]), datetime.min.time(), UTC)
                  ) + DAY_NS - pad_ns - HOUR_NS  # a stretch must end well inside complete days
    ids = [p.id for p in platforms]
    rollups = history.read_rollups(store, from_ns(first_ns), from_ns(limit + HOUR_NS),
                                   platforms=ids)
    cuts = {pid: c[c <= limit] for pid, c in quiet_cuts(rollups, platforms,
                                                        need_rounds(settings)).items()}
    stored = {entry.rel: entry for entry in store.list(_folder(key))}
    intervals = {p.id: p.interval or monitor.interval for p in platforms}
    for month in sorted({d[:7] for d in days}):
        bounds, marks = _month_bounds(cuts, _month_start_ns(month),
                                      _month_start_ns(_shift_month(month, 1)))
        if not bounds:
            continue
        lo = min(b[0] for b in bounds.values()) - MARGIN_NS
        hi = max(b[1] for b in bounds.values()) + pad_ns + HOUR_NS
        read_days = _days(lo, hi)
        digest = _digest(by_day, read_days)
        rel = f"{_folder(key)}/month={month}.json"
        current = _load(store, rel, key) if rel in stored else None
        if current is not None and current[0]["digest"] == digest:
            stats["months_current"] += 1
            continue
        chosen = [p for p in platforms if p.id in bounds]
        samples = history.read_eventful_samples(
            store, from_ns(lo), from_ns(hi), platforms=[p.id for p in chosen],
            pad_s=context_s(chosen, monitor), min_failures=monitor.confirm,
            span_s=monitor.confirm * longest_interval(chosen, monitor))
        rolled = history.read_rollups(store, from_ns(lo), from_ns(hi),
                                      platforms=[p.id for p in chosen])
        found = find(samples, chosen, monitor, settings.business, now=now,
                     coverage=coverage_from_rollups(rolled, intervals)).restrict(bounds)
        if any(o.end is None or to_ns(o.end) > bounds[o.platform][1] for o in found.outages):
            log.warning("analysis: %s has an outage across a quiet cut; not stored", month)
            continue
        payload = json.dumps({
            "version": VERSION, "key": key, "month": month, "digest": digest,
            "days": read_days, "bounds": {p: list(b) for p, b in bounds.items()},
            "cuts": marks, "findings": to_json(found),
        }, separators=(",", ":")).encode()
        store.write(rel, lambda out, payload=payload: out.write(payload))
        stats["months_written"] += 1
    stats["stale_removed"] = _remove_other_keys(store, key)
    stats["seconds"] = round(time.perf_counter() - began, 3)
    return stats


def _month_bounds(cuts: dict[str, np.ndarray], m0: int, m1: int
                  ) -> tuple[dict[str, tuple[int, int]], dict[str, list[int]]]:
    """Per platform the month's stretch [first cut from m0, first cut from m1 (or the last
    cut)), and every cut inside it; months meet exactly at shared cuts."""
    bounds, marks = {}, {}
    for pid, points in cuts.items():
        i, j = np.searchsorted(points, [m0, m1])
        if i >= len(points):
            continue
        end = j if j < len(points) else len(points) - 1
        if end <= i:
            continue
        bounds[pid] = (int(points[i]), int(points[end]))
        marks[pid] = points[i : end + 1].tolist()
    return bounds, marks


def _remove_other_keys(store: Any, key: str) -> int:
    removed, cutoff = 0, time.time_ns() - KEEP_OTHER_KEYS_S * NS
    for entry in store.list(FOLDER):
        if not entry.rel.startswith(f"{_folder(key)}/") and entry.mtime_ns < cutoff:
            store.delete(entry.rel)
            removed += 1
    return removed


def middle(settings: Settings, platforms: Sequence[Platform], start_ns: int, until_ns: int
           ) -> tuple[dict[str, tuple[int, int]], Findings]:
    """Per platform the stored stretch [first cut > start, last cut <= until) and the
    findings stored for it; ({}, empty) when nothing usable is stored.

    The cuts are strictly inside the window's start (and the caller keeps `until` before
    the window's end), so the live pieces read the roll-up hour either side of each cut,
    just as a live analysis of the whole window does.
    """

    store = history.store_for(settings)
    key = config_key(settings)
    first, last = _shift_month(from_ns(start_ns).strftime("%Y-%m"), -1), from_ns(
        until_ns).strftime("%Y-%m")  # a month's stretch can run into the next month
    entries = [e for e in store.list(_folder(key)) if e.rel.endswith(".json")
               and first <= e.rel.rsplit("month=", 1)[-1][:7] <= last]
    wanted = {p.id for p in eligible(settings, platforms)}
    if not entries or not wanted:
        return {}, Findings()
    loaded = [d for d in parallel(lambda e: _load_cached(store, e, key), entries)
              if d is not None]
    by_day = _day_names(list_samples(store))
    loaded = [(d, f) for d, f in loaded if _digest(by_day, d["days"]) == d["digest"]]
    docs = [d for d, _ in loaded]
    chosen: dict[str, tuple[int, int]] = {}
    for pid in wanted:
        stretches = sorted((d["bounds"][pid][0], d["bounds"][pid][1], d["cuts"][pid])
                           for d in docs if pid in d["bounds"])
        span = _usable(stretches, start_ns, until_ns)
        if span is not None:
            chosen[pid] = span
    if not chosen:
        return {}, Findings()
    pieces = []
    for doc, found in loaded:
        mine = {p: b for p, b in chosen.items() if p in doc["bounds"]}
        if mine:
            pieces.append(found.restrict(mine))
    return chosen, join(pieces)


def _usable(stretches: list[tuple[int, int, list[int]]], start_ns: int, until_ns: int
            ) -> tuple[int, int] | None:
    """[first cut > start, last cut <= until) within the longest unbroken run of stretches."""
    best: tuple[int, int] | None = None
    run: list[int] = []
    reach = None
    for lo, hi, cuts in [*stretches, (None, None, [])]:
        if lo is not None and reach == lo:
            run.extend(cuts[1:])
            reach = hi
            continue
        inside = [c for c in run if start_ns < c <= until_ns]
        if len(inside) >= 2 and (best is None or inside[-1] - inside[0] > best[1] - best[0]):
            best = (inside[0], inside[-1])
        run, reach = list(cuts), hi
    return best


_cache: OrderedDict[tuple, tuple[dict, Findings] | None] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_MONTHS = 64


def clear_cache() -> None:
    """Forget the stored months read so far (benchmarks measure cold reads)."""
    with _cache_lock:
        _cache.clear()


def _load_cached(store: Any, entry: Any, key: str) -> tuple[dict, Findings] | None:
    """`_load`, remembered per file version (a rewritten month has a new size or mtime)."""
    ident = (store.url, entry.rel, entry.size, entry.mtime_ns, key)
    with _cache_lock:
        if ident in _cache:
            _cache.move_to_end(ident)
            return _cache[ident]
    loaded = _load(store, entry.rel, key)
    with _cache_lock:
        _cache[ident] = loaded
        while len(_cache) > CACHE_MONTHS:
            _cache.popitem(last=False)
    return loaded


def _load(store: Any, rel: str, key: str) -> tuple[dict, Findings] | None:
    """A stored month and its findings; None (logged) when it is unreadable, of another
    version or key, or not the shape `materialise` writes."""
    try:
        doc = store.read_json(rel)
        if not isinstance(doc, dict) or doc.get("version") != VERSION or doc.get("key") != key:
            raise ValueError("not a stored month of this version and key")
        if not isinstance(doc["digest"], str) or not all(isinstance(d, str) for d in doc["days"]):
            raise ValueError("digest or days malformed")
        bounds, cuts = doc["bounds"], doc["cuts"]
        for pid, (lo, hi) in bounds.items():
            points = cuts[pid]
            if not (all(isinstance(v, int) for v in (lo, hi, *points)) and points
                    and points[0] == lo and points[-1] == hi and points == sorted(points)):
                raise ValueError(f"bounds or cuts of {pid!r} malformed")
        return doc, from_json(doc["findings"])
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError) as exc:
        log.warning("analysis: %s unusable (%s); analysing from samples", rel,
                    type(exc).__name__)
        return None
