"""Hand-made sample sequences (SAMPLE_SCHEMA DataFrames) and platform/monitor builders.

A pattern is one character per round, every `interval_s` seconds from `start`:
  .  every probe surface up          X  every surface down (connect refused)
  D  every surface down (DNS)        T  every surface down (timeout, no latency)
  5  every surface down (HTTP 503)   M  media down (timeout), the rest up
  S  web slow (degraded), rest up    ?  own network offline: all unknown/vantage_offline
  O  official incident, probes up    P  official incident and every surface down
  W  official maintenance, every surface down
  R  every surface refused us (HTTP 429)   r  web refused us (HTTP 403), the rest up
  -  no round at all (a gap)
`official=` gives the status page its own pattern (. up, O incident, W maintenance, ? unknown).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa

from monitors.config import Business, Impact, Monitor, Platform
from monitors.history.schema import SAMPLE_SCHEMA

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)  # a Monday, 13:00 in London
SURFACES = ("web", "media")
INCIDENT_TITLE = "Incident 'Feed and media not loading' (investigating)"
MAINTENANCE_TITLE = "Maintenance 'Database upgrade' (in_progress)"

_ALL_DOWN = {"X": ("connect", None), "D": ("dns", None), "T": ("timeout", None),
             "5": ("http_status", 503), "P": ("connect", None), "W": ("connect", None)}


def monitor(**overrides) -> Monitor:
    """A Monitor with 60 s rounds, confirm 2, recover 2 and loopback-only controls."""
    values = {"interval": 60, "timeout": 10, "confirm": 2, "recover": 2, "vantage": "hq",
              "controls": ["tcp://127.0.0.1:9"], "default_platforms": False}
    return Monitor(**{**values, **overrides})


def business(**overrides) -> Business:
    """A London business open Mon-Fri 09:00-18:00, off hours 0.3, degraded 0.3."""
    values = {"currency": "GBP", "timezone": "Europe/London", "hours": "Mon-Fri 09:00-18:00"}
    return Business(**{**values, **overrides})


def platform(
    pid: str = "insta",
    *,
    name: str | None = None,
    provider: str = "Meta",
    checks: tuple[str, ...] = SURFACES,
    status_page: bool = True,
    interval: float | None = None,
    impact: Impact | None = None,
) -> Platform:
    """A Platform model with TCP checks on loopback (never probed: only its shape matters)."""
    specs: list[dict] = [{"id": c, "kind": "tcp", "host": "127.0.0.1", "port": 9} for c in checks]
    if status_page:
        specs.append({"id": "status", "kind": "statuspage", "url": "http://127.0.0.1:9/s.json"})
    return Platform(id=pid, name=name or pid.title(), provider=provider, checks=specs,
                    interval=interval, impact=impact or Impact())


def _probe_row(char: str, check: str, latency_ms: float) -> dict:
    up = {"status": "up", "latency_ms": latency_ms, "http_status": 200, "error": None,
          "detail": None}
    if char in _ALL_DOWN:
        error, code = _ALL_DOWN[char]
        latency = None if error == "timeout" else latency_ms
        return {"status": "down", "latency_ms": latency, "http_status": code, "error": error,
                "detail": f"{check}: {error}"}
    if char == "M" and check == "media":
        return {"status": "down", "latency_ms": None, "http_status": None, "error": "timeout",
                "detail": "no answer in 10s"}
    if char == "S" and check == "web":
        return {**up, "status": "degraded", "latency_ms": 3000.0, "error": "slow"}
    if char == "R" or (char == "r" and check == "web"):
        code = 429 if char == "R" else 403
        return {"status": "unknown", "latency_ms": latency_ms, "http_status": code,
                "error": "refused", "detail": f"refused: HTTP {code}"}
    if char == "?":
        return {"status": "unknown", "latency_ms": None, "http_status": None,
                "error": "vantage_offline", "detail": "own network offline; saw: connect"}
    return up


def _status_row(char: str) -> dict:
    if char in "OP":
        return {"status": "degraded", "error": "official_incident", "detail": INCIDENT_TITLE}
    if char == "W":
        return {"status": "degraded", "error": "official_maintenance",
                "detail": MAINTENANCE_TITLE}
    if char == "?":
        return {"status": "unknown", "error": "vantage_offline", "detail": "own network offline"}
    return {"status": "up", "error": None, "detail": None}


def rounds(
    pattern: str,
    *,
    start: datetime = T0,
    interval_s: float = 60,
    platform: str = "insta",
    vantage: str = "hq",
    checks: tuple[str, ...] = SURFACES,
    status_page: bool = True,
    official: str | None = None,
    latency_ms: float = 100.0,
) -> pd.DataFrame:
    """Samples for a pattern of rounds (see the module docstring)."""
    if official is not None and len(official) != len(pattern):
        raise ValueError("official pattern must be as long as the probe pattern")
    rows = []
    for i, char in enumerate(pattern):
        if char == "-":
            continue
        ts = start + timedelta(seconds=i * interval_s)
        base = {"ts": ts, "vantage": vantage, "platform": platform}
        for check in checks:
            rows.append({**base, "check": check, "kind": "tcp",
                         **_probe_row(char, check, latency_ms)})
        if status_page:
            page_char = official[i] if official is not None else char
            if char == "?":
                page_char = "?"  # an offline vantage cannot read the status page either
            rows.append({**base, "check": "status", "kind": "statuspage", "latency_ms": 50.0,
                         "http_status": None, **_status_row(page_char)})
    return frame(rows)


def frame(rows: list[dict]) -> pd.DataFrame:
    """Rows -> a DataFrame typed exactly as history returns it (SAMPLE_SCHEMA)."""
    table = pa.Table.from_pylist(rows, schema=SAMPLE_SCHEMA)
    return table.to_pandas()


def combine(*frames: pd.DataFrame) -> pd.DataFrame:
    """Several sample frames as one, sorted by ts."""
    return pd.concat(frames, ignore_index=True).sort_values("ts", kind="stable").reset_index(
        drop=True
    )


def at(i: int, *, start: datetime = T0, interval_s: float = 60) -> datetime:
    """The ts of round i of a pattern."""
    return start + timedelta(seconds=i * interval_s)


def write_history(data: str, samples: pd.DataFrame, *, compact: bool = True) -> None:
    """Write samples into a real history folder (one HistoryWriter per vantage), compacted."""
    from monitors import history

    for vantage, part in samples.groupby("vantage", sort=True):
        table = pa.Table.from_pandas(part.reset_index(drop=True), schema=SAMPLE_SCHEMA,
                                     preserve_index=False)
        writer = history.HistoryWriter(str(data), str(vantage))
        writer.append(table)
        writer.close()
    if compact:
        history.compact(str(data))


def settings_for(data: str, config_text: str, tmp_path) -> object:
    """Settings from a TOML text written into tmp_path, with history in `data`."""
    from monitors.config import load_settings

    path = tmp_path / "pulse.toml"
    path.write_text(config_text, encoding="utf-8")
    return load_settings(str(path), str(data))


CONFIG = """
[monitor]
interval = "60s"
timeout = "10s"
vantage = "hq"
default_platforms = false
controls = ["tcp://127.0.0.1:9"]

[business]
currency = "GBP"
timezone = "Europe/London"
hours = "Mon-Fri 09:00-18:00"

[[platforms]]
id = "insta"
name = "Instagram"
provider = "Meta"
  [[platforms.checks]]
  id = "web"
  kind = "tcp"
  host = "127.0.0.1"
  port = 9
  [[platforms.checks]]
  id = "media"
  kind = "tcp"
  host = "127.0.0.1"
  port = 9
  [[platforms.checks]]
  id = "status"
  kind = "statuspage"
  url = "http://127.0.0.1:9/s.json"
  [platforms.impact]
  revenue_per_hour = 60.0

[[platforms]]
id = "facebook"
name = "Facebook"
provider = "Meta"
  [[platforms.checks]]
  id = "web"
  kind = "tcp"
  host = "127.0.0.1"
  port = 9
  [[platforms.checks]]
  id = "media"
  kind = "tcp"
  host = "127.0.0.1"
  port = 9
  [[platforms.checks]]
  id = "status"
  kind = "statuspage"
  url = "http://127.0.0.1:9/s.json"
"""
