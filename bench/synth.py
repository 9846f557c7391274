"""Synthetic sample history (vectorised with numpy): one Arrow table of raw samples per day.

Realistic on purpose: mostly up, latency noise with a daily rhythm, single failed samples,
platform outages lasting minutes to hours (full, partial = one surface, slow = degraded),
a few provider-wide outages (all Meta platforms at once) and a few stretches where the
vantage's own network was offline. Shared by the history, analysis and dashboard benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pyarrow as pa

from monitors.history.schema import SAMPLE_SCHEMA

PLATFORMS: tuple[tuple[str, str], ...] = (
    ("facebook", "Meta"), ("instagram", "Meta"), ("whatsapp", "Meta"), ("messenger", "Meta"),
    ("threads", "Meta"), ("x", "X Corp"), ("linkedin", "Microsoft"), ("tiktok", "ByteDance"),
    ("youtube", "Google"), ("pinterest", "Pinterest"), ("snapchat", "Snap"),
    ("reddit", "Reddit"), ("discord", "Discord"), ("telegram", "Telegram"),
)
CHECKS: tuple[tuple[str, str], ...] = (("web", "http"), ("api", "http"), ("dns", "dns"))
DEGRADED_AFTER_MS = np.array([3000.0, 2000.0, 1000.0])
DAY_MS = 86_400_000

# Status codes used in the arrays; index into STATUSES.
UP, DEGRADED, DOWN, UNKNOWN = 0, 1, 2, 3
STATUSES = ("up", "degraded", "down", "unknown")
ERRORS = ("dns", "connect", "timeout", "http_status", "slow", "vantage_offline")
DETAILS = (
    "DNS lookup failed: SERVFAIL", "ConnectError: [Errno 111] Connection refused",
    "no answer in 10s", "HTTP 503", "slower than the degraded threshold",
    "own network offline; saw: dns", "HTTP 502",
)


@dataclass(frozen=True, slots=True)
class Event:
    """Something that changes samples for a while: outage, blip or own network offline."""

    start_ms: int
    end_ms: int
    platforms: tuple[int, ...]  # indexes into PLATFORMS; empty = every platform
    checks: tuple[int, ...]  # indexes into CHECKS
    status: int
    error: int  # index into ERRORS
    http_status: int | None = None


def _ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def _outage(rng: np.random.Generator, start_ms: int, platforms: tuple[int, ...]) -> Event:
    minutes = float(np.clip(rng.lognormal(np.log(20), 1.0), 2, 360))
    end_ms = start_ms + int(minutes * 60_000)
    shape = rng.random()
    if shape < 0.5:  # full outage: every surface fails the same way
        error = int(rng.choice([0, 1, 2, 3], p=[0.15, 0.3, 0.3, 0.25]))
        checks = (0, 1, 2) if error == 0 else (0, 1)
        return Event(start_ms, end_ms, platforms, checks, DOWN, error,
                     503 if error == 3 else None)
    if shape < 0.85:  # partial: one surface (web or api) fails, the rest answer
        error = int(rng.choice([2, 3]))
        return Event(start_ms, end_ms, platforms, (int(rng.integers(0, 2)),), DOWN, error,
                     503 if error == 3 else None)
    return Event(start_ms, end_ms, platforms, (0, 1), DEGRADED, 4)  # slow


def plan_events(start: date, days: int, *, seed: int = 0,
                blips_per_check_day: float = 0.1) -> list[Event]:
    """Every event of the synthetic history, drawn once for the whole range (seeded)."""
    rng = np.random.default_rng(seed)
    t0, span = _ms(start), days * DAY_MS
    events: list[Event] = []
    for p in range(len(PLATFORMS)):  # ~2.5 outages a month per platform
        for at in rng.uniform(0, span, rng.poisson(2.5 / 30 * days)):
            events.append(_outage(rng, t0 + int(at), (p,)))
        for c in range(len(CHECKS)):  # single failed samples (timeouts)
            for at in rng.uniform(0, span, rng.poisson(days * blips_per_check_day)):
                events.append(Event(t0 + int(at), t0 + int(at) + 60_000, (p,), (c,), DOWN, 2))
    meta = tuple(i for i, (_, provider) in enumerate(PLATFORMS) if provider == "Meta")
    for at in rng.uniform(0, span, rng.poisson(2 / 365 * days)):  # the classic Meta outage
        events.append(Event(t0 + int(at), t0 + int(at) + int(rng.uniform(1, 6) * 3_600_000),
                            meta, (0, 1, 2), DOWN, 0))
    for at in rng.uniform(0, span, rng.poisson(8 / 365 * days)):  # own network offline
        minutes = rng.uniform(3, 90)
        events.append(Event(t0 + int(at), t0 + int(at + minutes * 60_000), (), (0, 1, 2),
                            UNKNOWN, 5))
    return sorted(events, key=lambda e: e.start_ms)


def _dictionary(codes: np.ndarray, values: tuple[str, ...]) -> pa.Array:
    mask = codes < 0
    indices = pa.array(np.where(mask, 0, codes).astype(np.int8), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(values)).cast(pa.string())


def synth_day(day: date, events: list[Event], *, vantage: str = "bench", seed: int = 0,
              interval_s: int = 60, spread_s: float = 6.0) -> pa.Table:
    """One day of samples (rows in time order, as a sampler produces them)."""
    rng = np.random.default_rng([seed, day.toordinal()])
    n_p, n_c, n_m = len(PLATFORMS), len(CHECKS), DAY_MS // (interval_s * 1000)
    offset_ms = (np.arange(n_p) * spread_s * 1000 / n_p).astype(np.int64)
    ts = _ms(day) + np.arange(n_m, dtype=np.int64)[:, None] * interval_s * 1000 + offset_ms
    ts = np.broadcast_to(ts[:, :, None], (n_m, n_p, n_c))
    status = np.zeros((n_m, n_p, n_c), np.int8)
    error = np.full((n_m, n_p, n_c), -1, np.int8)
    http = np.where(np.array([c[1] == "http" for c in CHECKS]), 200, 0)
    http = np.broadcast_to(http.astype(np.int16), (n_m, n_p, n_c)).copy()
    base = np.random.default_rng(seed).uniform([80, 50, 5], [400, 250, 40], (n_p, n_c))
    hour = (ts % DAY_MS) / 3_600_000
    rhythm = 1 + 0.15 * np.sin(2 * np.pi * (hour - 8) / 24)
    latency = base * rhythm * rng.lognormal(0, 0.18, (n_m, n_p, n_c))
    for event in events:
        _apply(event, ts, status, error, http, latency)
    latency = np.where((status == DOWN) & (error != 3) | (status == UNKNOWN), np.nan, latency)
    detail = np.where(error >= 0, error, -1).astype(np.int8)
    detail[(error == 3) & (rng.random(error.shape) < 0.3)] = 6  # some 502s among the 5xx
    http[(detail == 6)] = 502
    http_mask = (http == 0).ravel()
    return pa.Table.from_arrays([
        pa.array(ts.ravel(), pa.timestamp("ms", tz="UTC")),
        pa.array(np.full(ts.size, vantage)),
        _dictionary(np.broadcast_to(np.arange(n_p)[:, None], (n_m, n_p, n_c)).ravel(),
                    tuple(p for p, _ in PLATFORMS)),
        _dictionary(np.broadcast_to(np.arange(n_c), (n_m, n_p, n_c)).ravel(),
                    tuple(c for c, _ in CHECKS)),
        _dictionary(np.broadcast_to(np.array([0, 0, 1]), (n_m, n_p, n_c)).ravel(),
                    ("http", "dns")),
        _dictionary(status.ravel(), STATUSES),
        pa.array(np.round(latency.ravel(), 3).astype(np.float32),
                 mask=np.isnan(latency.ravel())),
        pa.array(http.ravel(), mask=http_mask),
        _dictionary(error.ravel(), ERRORS),
        _dictionary(detail.ravel(), DETAILS),
    ], schema=SAMPLE_SCHEMA)


def _apply(event: Event, ts: np.ndarray, status: np.ndarray, error: np.ndarray,
           http: np.ndarray, latency: np.ndarray) -> None:
    day_start = int(ts[0, 0, 0]) - int(ts[0, 0, 0]) % DAY_MS
    if event.end_ms <= day_start or event.start_ms >= day_start + DAY_MS:
        return
    inside = (ts[:, :, 0] >= event.start_ms) & (ts[:, :, 0] < event.end_ms)
    if event.platforms:
        keep = np.zeros(ts.shape[1], bool)
        keep[list(event.platforms)] = True
        inside &= keep
    rows, cols = np.nonzero(inside)
    for c in event.checks:
        status[rows, cols, c] = event.status
        error[rows, cols, c] = event.error
        if event.status == DEGRADED:
            latency[rows, cols, c] *= 12
        elif http[rows, cols, c].any():
            http[rows, cols, c] = event.http_status or 0
    if event.status == UNKNOWN:  # own network offline: every check of every platform
        status[rows, cols, :] = UNKNOWN
        error[rows, cols, :] = event.error
        http[rows, cols, :] = 0


def synth_year(start: date | None = None, days: int = 365, *, vantage: str = "bench",
               seed: int = 0, interval_s: int = 60,
               blips_per_check_day: float = 0.1) -> Iterator[pa.Table]:
    """Yield one table of samples per day for `days` days from `start` (default: a year ago)."""
    start = start or (datetime.now(UTC).date() - timedelta(days=days))
    events = plan_events(start, days, seed=seed, blips_per_check_day=blips_per_check_day)
    for i in range(days):
        yield synth_day(start + timedelta(days=i), events, vantage=vantage, seed=seed,
                        interval_s=interval_s)
