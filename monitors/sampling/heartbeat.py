"""The sampler's heartbeat: what it is doing, readable by the dashboard and `monitors status`.

Heartbeats are validated when read (statefile.HeartbeatFile); a wrongly typed one is set
aside to quarantine/ and read as absent. One rule decides health (is_stale) for `status`, the
Docker health check (which runs `status`) and the dashboard banner.
"""

from __future__ import annotations

import math
import os
import socket
from datetime import datetime

from monitors.history import state as statefile
from monitors.history.store import Store
from monitors.timeutil import format_duration, utcnow

STALE_INTERVALS = 3  # no round for this many intervals -> stale
SKEW_TOLERANCE_S = 10.0  # a heartbeat further in the future than this: a clock is wrong


def _name(vantage: str) -> str:
    return f"heartbeat-{vantage}.json"


def write_heartbeat(data: str | Store, state: dict, *, storage_endpoint: str | None = None) -> None:
    """Persist the sampler state (must include 'vantage')."""
    payload = {"pid": os.getpid(), "host": socket.gethostname(), **state}
    statefile.write_json(data, _name(state["vantage"]), payload, storage_endpoint=storage_endpoint)


def read_heartbeats(data: str | Store, *, storage_endpoint: str | None = None) -> list[dict]:
    """Every vantage's heartbeat found in the data location."""
    beats = []
    for name in statefile.list_names(data, "heartbeat-", storage_endpoint=storage_endpoint):
        beat = statefile.read_json(data, name, storage_endpoint=storage_endpoint)
        if beat:
            beats.append(beat)
    return beats


def read_heartbeat(
    data: str | Store, vantage: str | None = None, *, storage_endpoint: str | None = None
) -> dict | None:
    """The heartbeat of one vantage, or the most recent of all when vantage is None."""
    if vantage:
        return statefile.read_json(data, _name(vantage), storage_endpoint=storage_endpoint)
    beats = read_heartbeats(data, storage_endpoint=storage_endpoint)
    return max(
        beats, key=lambda b: b.get("last_round_at") or b.get("running_since") or "", default=None
    )


def _parse(ts: object) -> datetime | None:
    """A heartbeat timestamp (ISO 8601 with a time zone), or None."""
    if not isinstance(ts, str) or not ts:
        return None
    try:
        parsed = datetime.fromisoformat(ts)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _last(beat: dict) -> datetime | None:
    return _parse(beat.get("last_round_at")) or _parse(beat.get("running_since"))


def clock_skew_s(beat: dict | None, now: datetime | None = None) -> float:
    """Seconds the heartbeat's last round (or start) lies in the future; 0 when it does not.

    More than SKEW_TOLERANCE_S means a clock is wrong — the sampler's or this machine's — and
    the heartbeat says nothing about whether the sampler is alive: it is a problem to report.
    """
    last = _last(beat) if beat else None
    if last is None:
        return 0.0
    return max(0.0, (last - (now or utcnow())).total_seconds())


def heartbeat_age_s(beat: dict | None, now: datetime | None = None) -> float | None:
    """Seconds since the last finished round (or the start, before the first round); never
    negative (a heartbeat from the future has age 0, and clock_skew_s says by how much)."""
    if not beat:
        return None
    last = _last(beat)
    return None if last is None else max(0.0, ((now or utcnow()) - last).total_seconds())


def _interval_s(beat: dict, key: str, default: float) -> float:
    value = beat.get(key)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok and value > 0 else default


def is_stale(beat: dict | None, now: datetime | None = None) -> bool:
    """True when there is no heartbeat, the sampler stopped, no round for 3 intervals, or the
    heartbeat comes from the future (clock skew): the one rule of `status`, the Docker health
    check and the dashboard banner."""
    if not beat or beat.get("stopped_at"):
        return True
    now = now or utcnow()
    if clock_skew_s(beat, now) > SKEW_TOLERANCE_S:
        return True
    age = heartbeat_age_s(beat, now)
    interval = _interval_s(beat, "interval_s", 60.0)
    return age is None or age > STALE_INTERVALS * interval + _interval_s(beat, "timeout_s", 0.0)


def skew_text(beat: dict, now: datetime | None = None) -> str:
    """'heartbeat is 3600 s in the future: clock skew ...' (for describe and status)."""
    skew = clock_skew_s(beat, now)
    return (f"heartbeat is {skew:.0f} s in the future: clock skew between this machine and the "
            f"sampler on {beat.get('vantage')} — fix the clocks (NTP); whether the sampler "
            "runs cannot be told until then")


def describe(beat: dict | None, now: datetime | None = None) -> str:
    """One line for people: 'sampler running, last round 12s ago' or why not."""
    if not beat:
        return "no sampler has run on this data folder yet — start one with: python -m monitors run"
    now = now or utcnow()
    age = heartbeat_age_s(beat, now)
    if beat.get("stopped_at"):
        return (
            f"sampler stopped {format_duration(age or 0)} ago — start one with: "
            "python -m monitors run"
        )
    if clock_skew_s(beat, now) > SKEW_TOLERANCE_S:
        return skew_text(beat, now)
    if is_stale(beat, now):
        return (
            f"sampler not running (last round {format_duration(age or 0)} ago) — "
            "start one with: python -m monitors run"
        )
    own = " · own network OFFLINE" if beat.get("vantage_offline") else ""
    return (
        f"sampler running on {beat.get('vantage')}, last round {format_duration(age or 0)} ago"
        f"{own}{_load_text(beat)}"
    )


def _count(beat: dict, key: str) -> int:
    value = beat.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _load_text(beat: dict) -> str:
    """' · 3 rounds skipped, 2 overloaded (their timeouts recorded unknown)', or ''."""
    parts = []
    if skipped := _count(beat, "missed_rounds"):
        parts.append(f"{skipped} round{'s' if skipped > 1 else ''} skipped")
    if overloaded := _count(beat, "overloaded_rounds"):
        parts.append(f"{overloaded} overloaded (their timeouts recorded unknown)")
    return f" · {', '.join(parts)}" if parts else ""


def status_report(beat: dict | None, now: datetime | None = None) -> dict:
    """The JSON of `monitors status --json`."""
    now = now or utcnow()
    return {
        "healthy": not is_stale(beat, now),
        "summary": describe(beat, now),
        "age_s": heartbeat_age_s(beat, now),
        "clock_skew_s": clock_skew_s(beat, now),
        "heartbeat": beat,
    }
