"""A realistic, scripted history for the dashboard tests, screenshots and benchmarks.

Seven platforms of a small bakery (tests/data/dashboard.toml), one round a minute, with the
outages a business remembers: a Meta-wide DNS outage, Instagram's media CDN failing while
the site answers (twice — once right now), an X 503 spell, LinkedIn crawling, a TikTok
blip-turned-outage and ten minutes where the monitor's own network was offline. Vendor
status pages acknowledge some of them minutes after the monitor saw them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from monitors.config import Settings, load_settings
from monitors.history import state as statefile
from monitors.history.schema import SAMPLE_SCHEMA

TESTS = Path(__file__).resolve().parent
CONFIG = TESTS / "data" / "dashboard.toml"
VANTAGE = "hq"
MINUTE_MS = 60_000


@dataclass(frozen=True, slots=True)
class Episode:
    """Something that happened: which platforms and surfaces, when, and what the probes saw."""

    platforms: tuple[str, ...]
    ago: timedelta  # start, before `now`
    minutes: float
    status: str = "down"
    error: str = "connect"
    detail: str = "ConnectError: [Errno 111] Connection refused"
    checks: tuple[str, ...] = ()  # empty: every probe surface
    http_status: int | None = None
    official: str | None = None  # vendor incident title on the status page
    official_after: float = 0.0  # minutes after the start the vendor acknowledged it


def story() -> list[Episode]:
    """The scripted outages, newest last (relative to now)."""
    d, h = timedelta(days=1), timedelta(hours=1)
    return [
        Episode(("tiktok",), 9 * d + 5 * h, 22, error="connect"),
        Episode(("x",), 6 * d + 2 * h, 38, error="http_status", detail="HTTP 503",
                http_status=503),
        Episode(("facebook", "instagram", "whatsapp"), 3 * d + 7 * h, 96, error="dns",
                detail="DNS lookup failed: SERVFAIL",
                official="We're aware some people have trouble reaching our apps",
                official_after=14),
        Episode(("*",), 4 * d + 3 * h, 11, status="unknown", error="vantage_offline",
                detail="own network offline; saw: connect"),
        Episode(("linkedin",), 2 * d + 4 * h, 70, status="degraded", error="slow",
                checks=("web",), detail="slower than the degraded threshold"),
        Episode(("instagram",), 1 * d + 3 * h, 48, error="timeout", checks=("media",),
                detail="no answer in 10s", official="Photos and videos not loading",
                official_after=9),
        Episode(("instagram",), timedelta(minutes=26), 26 + 5, error="timeout",
                checks=("media",), detail="no answer in 10s",
                official="Media uploads delayed for some users", official_after=7),
    ]


def _probe_checks(settings: Settings) -> dict[str, list[tuple[str, str]]]:
    return {p.id: [(c.id, c.kind) for c in p.checks] for p in settings.platforms}


def samples(settings: Settings, now: datetime, days: float, *, seed: int = 7,
            episodes: list[Episode] | None = None, vantage: str = VANTAGE) -> pa.Table:
    """Every sample of the story from `now - days` up to now, one round a minute."""
    rng = np.random.default_rng(seed)
    end_ms = int(now.timestamp() * 1000) // MINUTE_MS * MINUTE_MS
    n = int(days * 1440)
    ts = end_ms - (n - np.arange(n, dtype=np.int64)) * MINUTE_MS
    columns: dict[str, list] = {name: [] for name in SAMPLE_SCHEMA.names}
    for p_index, (pid, checks) in enumerate(_probe_checks(settings).items()):
        for c_index, (check, kind) in enumerate(checks):
            _one_check(columns, rng, ts + p_index * 700, pid, check, kind, c_index,
                       episodes if episodes is not None else story(), end_ms, vantage)
    arrays = {name: np.concatenate(values) for name, values in columns.items()}
    order = np.argsort(arrays["ts"], kind="stable")
    return pa.table({
        "ts": pa.array(arrays["ts"][order], pa.timestamp("ms", tz="UTC")),
        **{name: pa.array(arrays[name][order], type=SAMPLE_SCHEMA.field(name).type,
                          from_pandas=True)
           for name in SAMPLE_SCHEMA.names if name != "ts"},
    }, schema=SAMPLE_SCHEMA)


def _one_check(columns: dict, rng: np.random.Generator, ts: np.ndarray, pid: str, check: str,
               kind: str, c_index: int, episodes: list[Episode], end_ms: int,
               vantage: str) -> None:
    n = len(ts)
    hour = (ts % 86_400_000) / 3_600_000
    base = 60 + 40 * c_index + 25 * (sum(map(ord, pid)) % 5)
    latency = base * (1 + 0.25 * np.sin(2 * np.pi * (hour - 9) / 24)) * rng.lognormal(0, 0.2, n)
    status = np.full(n, "up", dtype=object)
    error = np.full(n, None, dtype=object)
    detail = np.full(n, None, dtype=object)
    http = np.full(n, np.nan)
    for episode in episodes:
        if episode.platforms != ("*",) and pid not in episode.platforms:
            continue
        start = end_ms - episode.ago.total_seconds() * 1000
        inside = (ts >= start) & (ts < start + episode.minutes * MINUTE_MS)
        if kind == "statuspage":
            if episode.official:
                said = ts >= start + episode.official_after * MINUTE_MS
                mask = inside & said
                status[mask], error[mask] = "degraded", "official_incident"
                detail[mask] = f"Incident '{episode.official}' (investigating)"
            if episode.error == "vantage_offline":
                status[inside], error[inside] = "unknown", "vantage_offline"
                detail[inside] = "own network offline"
            continue
        if episode.checks and check not in episode.checks and episode.error != "vantage_offline":
            continue
        status[inside], error[inside], detail[inside] = episode.status, episode.error, \
            episode.detail
        if episode.status == "degraded":
            latency[inside] *= 14
        elif episode.status in ("down", "unknown") and episode.error != "http_status":
            latency[inside] = np.nan
        if episode.http_status:
            http[inside] = episode.http_status
    columns["ts"].append(ts)
    for name, value in (("vantage", vantage), ("platform", pid), ("check", check),
                        ("kind", kind)):
        columns[name].append(np.full(n, value, dtype=object))
    columns["status"].append(status)
    columns["latency_ms"].append(np.round(latency, 1).astype("float32"))
    columns["http_status"].append(http)
    columns["error"].append(error)
    columns["detail"].append(detail)


def write_history(data: Path | str, table: pa.Table, *, now: datetime | None = None,
                  compact: bool = True, vantage: str = VANTAGE) -> None:
    """Append samples through the real history writer, flush, and compact (roll-ups)."""
    from monitors import history

    writer = history.HistoryWriter(str(data), vantage, flush_rows=10**7,
                                   max_buffer_rows=10**8)
    for batch in table.to_batches(max_chunksize=200_000):
        writer.append(pa.Table.from_batches([batch]))
    writer.flush()
    writer.close()
    if compact:
        history.compact(str(data), now=now)


def write_heartbeat(data: Path | str, now: datetime, *, offline: bool = False,
                    age_s: float = 12.0, started_s: float = 3 * 86400,
                    rounds: bool = True) -> None:
    """A heartbeat as a running sampler writes it (last round `age_s` ago)."""
    from monitors.sampling import heartbeat

    last = (now - timedelta(seconds=age_s)).isoformat() if rounds else None
    heartbeat.write_heartbeat(str(data), {
        "vantage": VANTAGE, "running_since": (now - timedelta(seconds=started_s)).isoformat(),
        "last_round_at": last, "interval_s": 60.0, "timeout_s": 10.0,
        "checks_ok": 1000 if rounds else 0, "checks_failed": 12 if rounds else 0,
        "flush_errors": 0, "vantage_offline": offline,
    })


def write_official(data: Path | str, now: datetime) -> None:
    """What the vendors' status pages say now (as the sampler records it)."""
    statefile.write_json(str(data), f"official-{VANTAGE}.json", {
        "instagram": {"indicator": "minor", "title": "Media uploads delayed for some users",
                      "incident_status": "investigating",
                      "url": "https://metastatus.com/instagram",
                      "started_at": (now - timedelta(minutes=19)).isoformat()},
        "facebook": {"indicator": "none", "description": "All systems operational"},
        "linkedin": {"indicator": "none", "description": "All Systems Operational"},
    })


def mark_synthetic(data: Path | str) -> None:
    """The marker the demo writes: the dashboard then shows a DEMO DATA badge."""
    statefile.write_json(str(data), "synthetic.json", {"generator": "tests"})


def build(data: Path | str, *, days: float = 14, now: datetime | None = None,
          running: bool = True) -> Settings:
    """A complete data folder: history, heartbeat and vendor status; returns the settings."""
    now = now or datetime.now(UTC)
    settings = load_settings(str(CONFIG), str(data))
    write_history(data, samples(settings, now, days), now=now)
    if running:
        write_heartbeat(data, now)
    write_official(data, now)
    return settings
