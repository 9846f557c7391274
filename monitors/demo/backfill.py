"""Synthetic history for the demo: weeks of rounds with a handful of past outages, and the
`DATA/state/synthetic.json` marker that makes every dashboard page say DEMO DATA."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from monitors import history
from monitors.cli.maintenance import maintain
from monitors.config import Platform, Settings
from monitors.history import state as statefile
from monitors.history.schema import SAMPLE_SCHEMA
from monitors.probes import is_official

log = logging.getLogger("monitors.demo")

MARKER = "synthetic.json"
NOTE = "DEMO DATA — simulated platforms and synthetic history"
DAY_S = 86400.0
DENSE_PAD_S = 120  # live-interval rounds before and after each past outage


def write_marker(data: str, *, backfill_s: float | None = None) -> dict[str, Any]:
    """Write DATA/state/synthetic.json (always, for any demo data folder)."""
    previous = statefile.read_json(data, MARKER) or {}
    payload = {"synthetic": True, "generated_at": datetime.now(UTC).isoformat(), "note": NOTE}
    backfilled = max(float(previous.get("backfill_s") or 0), backfill_s or 0)
    if backfilled:
        payload["backfill_s"] = backfilled
    statefile.write_json(data, MARKER, payload)
    return payload


@dataclass(frozen=True, slots=True)
class PastOutage:
    """One outage in the synthetic history."""

    days_ago: float
    hours: float
    platforms: tuple[str, ...]
    checks: tuple[str, ...] | None  # None: every probe surface
    status: str  # down | degraded
    error: str
    detail: str
    http_status: int | None = None
    official: str | None = None  # "incident" or "maintenance" on the status check
    official_delay_h: float = 0.0  # the vendor's acknowledgement came this much later
    official_title: str = ""


PAST: tuple[PastOutage, ...] = (
    PastOutage(61.3, 5.8, ("facebook", "instagram", "whatsapp"), None, "down", "dns",
               "SERVFAIL from 127.0.0.1", official="incident", official_delay_h=0.7,
               official_title="Facebook, Instagram and WhatsApp unavailable"),
    PastOutage(44.6, 0.8, ("instagram",), ("web",), "down", "http_status",
               "HTTP 503 Service Unavailable (expected 200)", http_status=503),
    PastOutage(33.5, 0.4, ("*",), None, "unknown", "vantage_offline",
               "own network offline; saw: connect"),
    PastOutage(27.2, 3.0, ("x",), None, "degraded", "slow", "took 2.60s (> 0.5s)"),
    PastOutage(19.9, 2.0, ("tiktok",), (), "up", "", "", official="maintenance",
               official_title="Scheduled infrastructure maintenance"),
    PastOutage(9.4, 0.6, ("youtube",), ("media",), "down", "http_status",
               "HTTP 502 Bad Gateway (expected 200)", http_status=502),
    PastOutage(3.1, 1.3, ("discord",), None, "down", "timeout", "no answer in 1.8s",
               official="incident", official_delay_h=0.25,
               official_title="Elevated API errors and failed connections"),
)


def step_for(span_s: float) -> float:
    """Seconds between synthetic rounds: 5 minutes up to 120 days, 15 beyond."""
    return 300.0 if span_s <= 120 * DAY_S else 900.0


def synthetic_table(platforms: tuple[Platform, ...], vantage: str, end: datetime,
                    span_s: float, *, interval_s: float = 2.0, seed: int = 7) -> pa.Table:
    """Samples of every check up to `end`, as one table.

    Quiet times have a round every `step_for(span_s)` seconds; around each past outage the
    rounds come every `interval_s` (the live interval), because detection only confirms
    failures in consecutive rounds and unknown time is counted per round.
    """
    rng = np.random.default_rng(seed)
    step_ms = int(step_for(span_s) * 1000)
    end_ms = int(end.timestamp() * 1000) // step_ms * step_ms
    sparse = np.arange(end_ms - int(span_s * 1000), end_ms, step_ms, dtype=np.int64)
    tables = []
    for platform in platforms:
        windows = [_dense(past, end_ms, int(interval_s * 1000)) for past in PAST
                   if past.days_ago * DAY_S <= span_s and _involves(past, platform.id)]
        ts = np.unique(np.concatenate([sparse, *windows]))
        busy = np.zeros(len(ts), bool)
        for dense in (w for w in windows if len(w)):
            busy |= (ts >= dense[0]) & (ts <= dense[-1])
        tables.append(_platform_table(platform, vantage, ts, end_ms, rng, quiet=~busy))
    return pa.concat_tables(tables) if tables else SAMPLE_SCHEMA.empty_table()


def _involves(past: PastOutage, platform: str) -> bool:
    return "*" in past.platforms or platform in past.platforms


def _dense(past: PastOutage, end_ms: int, interval_ms: int) -> np.ndarray:
    """Live-interval rounds from DENSE_PAD_S before a past outage to DENSE_PAD_S after it."""
    start = end_ms - round(past.days_ago * DAY_S * 1000) - DENSE_PAD_S * 1000
    stop = start + round(past.hours * 3600 * 1000) + 2 * DENSE_PAD_S * 1000
    return np.arange(start, min(stop, end_ms), interval_ms, dtype=np.int64)


def _platform_table(platform: Platform, vantage: str, ts: np.ndarray, end_ms: int,
                    rng: np.random.Generator, *, quiet: np.ndarray) -> pa.Table:
    n = len(ts)
    blips = np.where(quiet, _blips(n, len(platform.checks), rng), -1)  # none near outages
    parts = []
    for index, check in enumerate(platform.checks):
        cols = _healthy(check.kind, n, rng)
        blip = blips == index
        if is_official(check.kind):  # a status page that does not answer is unknown
            _set(cols, blip, "unknown", "official_unavailable", "status page gave no answer",
                 np.nan, -1)
        else:
            _set(cols, blip, "down", "timeout", "read timed out", np.nan, -1)
        for past in PAST:
            _apply(past, platform.id, check.id, check.kind, ts, end_ms, cols)
        parts.append(pa.table({
            "ts": pa.array(ts, pa.timestamp("ms", tz="UTC")),
            "vantage": pa.array(np.full(n, vantage, object), pa.string()),
            "platform": pa.array(np.full(n, platform.id, object), pa.string()),
            "check": pa.array(np.full(n, check.id, object), pa.string()),
            "kind": pa.array(np.full(n, check.kind, object), pa.string()),
            "status": pa.array(cols["status"], pa.string()),
            "latency_ms": pa.array(cols["latency"], pa.float32(), from_pandas=True),
            "http_status": pa.array(cols["http"], pa.int16(), mask=cols["http"] < 0),
            "error": pa.array(cols["error"], pa.string()),
            "detail": pa.array(cols["detail"], pa.string()),
        }, schema=SAMPLE_SCHEMA))
    return pa.concat_tables(parts)


def _blips(n: int, n_checks: int, rng: np.random.Generator) -> np.ndarray:
    """Per round, the index of the one check that fails alone (-1: none); never two rounds
    in a row, so blips stay blips."""
    chosen = np.full(n, -1)
    rounds = np.flatnonzero((np.arange(n) % 3 == 0) & (rng.random(n) < 0.004))
    chosen[rounds] = rng.integers(0, n_checks, len(rounds))
    return chosen


def _healthy(kind: str, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    base, http = {"http": (140.0, 200), "dns": (18.0, -1), "statuspage": (220.0, 200)}.get(
        kind, (60.0, -1))
    return {
        "status": np.full(n, "up", object),
        "latency": (base * rng.lognormal(0.0, 0.35, n)).astype(np.float64),
        "http": np.full(n, http, np.int32),
        "error": np.full(n, None, object),
        "detail": np.full(n, None, object),
    }


def _apply(past: PastOutage, platform: str, check: str, kind: str, ts: np.ndarray,
           end_ms: int, cols: dict[str, np.ndarray]) -> None:
    """Write one past outage into a check's columns (in place)."""
    if not _involves(past, platform):
        return
    start = end_ms - round(past.days_ago * DAY_S * 1000)
    stop = start + round(past.hours * 3600 * 1000)
    window = (ts >= start) & (ts < stop)
    if past.error == "vantage_offline":
        _set(cols, window, "unknown", "vantage_offline", past.detail, np.nan, -1)
    elif kind == "statuspage":
        if past.official:
            ack = (ts >= start + int(past.official_delay_h * 3600 * 1000)) & window
            error = f"official_{past.official}"
            status = "degraded" if past.official == "maintenance" else "down"
            word = "in_progress" if past.official == "maintenance" else "investigating"
            _set(cols, ack, status, error, f"{past.official_title} ({word})", np.nan, 200)
    elif past.checks is None or check in past.checks:
        latency = 2600.0 if past.error == "slow" else np.nan
        http = past.http_status if past.http_status else (200 if past.error == "slow" else -1)
        if kind != "http" and past.error in ("slow", "http_status"):
            return
        error = "dns" if kind == "dns" and past.error == "dns" else (
            "connect" if kind == "http" and past.error == "dns" else past.error)
        detail = past.detail if kind == "dns" or past.error != "dns" else "Connection refused"
        _set(cols, window, past.status, error, detail, latency, http)


def _set(cols: dict[str, np.ndarray], mask: np.ndarray, status: str, error: str, detail: str,
         latency: float, http: int) -> None:
    cols["status"][mask], cols["error"][mask], cols["detail"][mask] = status, error, detail
    cols["latency"][mask], cols["http"][mask] = latency, http


def backfill(settings: Settings, span_s: float, *, end: datetime | None = None) -> dict:
    """Write `span_s` of synthetic history ending at `end` (now), then compact it and store
    its month-by-month analysis."""
    end = end or datetime.now(UTC)
    table = synthetic_table(settings.platforms, settings.monitor.vantage, end, span_s,
                            interval_s=settings.monitor.interval)
    writer = history.HistoryWriter(settings.data, settings.monitor.vantage,
                                   flush_rows=table.num_rows + 1,
                                   max_buffer_rows=table.num_rows + 1)
    for batch in table.to_batches(max_chunksize=200_000):
        writer.append(pa.Table.from_batches([batch]))
    writer.close()

    done = maintain(settings)
    log.info("demo: backfilled %d synthetic samples over %.0f days", table.num_rows,
             span_s / DAY_S)
    return {"rows": table.num_rows, "compact": done["compaction"],
            "analysis": done.get("analysis", {})}
