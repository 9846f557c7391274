"""The sampler's heartbeat: what it is doing, readable by the dashboard and `monitors status`."""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime

from monitors.history import state as statefile
from monitors.timeutil import format_duration, utcnow

STALE_INTERVALS = 3  # no round for this many intervals -> stale


def _name(vantage: str) -> str:
    return f"heartbeat-{vantage}.json"


def write_heartbeat(data: str, state: dict, *, storage_endpoint: str | None = None) -> None:
    """Persist the sampler state (must include 'vantage')."""
    payload = {"pid": os.getpid(), "host": socket.gethostname(), **state}
    statefile.write_json(data, _name(state["vantage"]), payload, storage_endpoint=storage_endpoint)


def read_heartbeats(data: str, *, storage_endpoint: str | None = None) -> list[dict]:
    """Every vantage's heartbeat found in the data location."""
    beats = []
    for name in statefile.list_names(data, "heartbeat-", storage_endpoint=storage_endpoint):
        beat = statefile.read_json(data, name, storage_endpoint=storage_endpoint)
        if beat:
            beats.append(beat)
    return beats


def read_heartbeat(
    data: str, vantage: str | None = None, *, storage_endpoint: str | None = None
) -> dict | None:
    """The heartbeat of one vantage, or the most recent of all when vantage is None."""
    if vantage:
        return statefile.read_json(data, _name(vantage), storage_endpoint=storage_endpoint)
    beats = read_heartbeats(data, storage_endpoint=storage_endpoint)
    return max(
        beats, key=lambda b: b.get("last_round_at") or b.get("running_since") or "", default=None
    )


def _parse(ts: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(ts) if ts else None
    except ValueError:
        return None


def heartbeat_age_s(beat: dict | None, now: datetime | None = None) -> float | None:
    """Seconds since the last finished round (or the start, before the first round)."""
    if not beat:
        return None
    last = _parse(beat.get("last_round_at")) or _parse(beat.get("running_since"))
    return None if last is None else max(0.0, ((now or utcnow()) - last).total_seconds())


def is_stale(beat: dict | None, now: datetime | None = None) -> bool:
    """True when there is no heartbeat, the sampler stopped, or no round for 3 intervals."""
    if not beat or beat.get("stopped_at"):
        return True
    age = heartbeat_age_s(beat, now)
    interval = float(beat.get("interval_s") or 60)
    return age is None or age > STALE_INTERVALS * interval + float(beat.get("timeout_s") or 0)


def describe(beat: dict | None, now: datetime | None = None) -> str:
    """One line for people: 'sampler running, last round 12s ago' or why not."""
    if not beat:
        return "no sampler has run on this data folder yet — start one with: python -m monitors run"
    age = heartbeat_age_s(beat, now)
    if beat.get("stopped_at"):
        return (
            f"sampler stopped {format_duration(age or 0)} ago — start one with: "
            "python -m monitors run"
        )
    if is_stale(beat, now):
        return (
            f"sampler not running (last round {format_duration(age or 0)} ago) — "
            "start one with: python -m monitors run"
        )
    own = " · own network OFFLINE" if beat.get("vantage_offline") else ""
    return (
        f"sampler running on {beat.get('vantage')}, last round {format_duration(age or 0)} ago{own}"
    )


def status_report(beat: dict | None, now: datetime | None = None) -> dict:
    """The JSON of `monitors status --json`."""
    now = now or utcnow()
    return {
        "healthy": not is_stale(beat, now),
        "summary": describe(beat, now),
        "age_s": heartbeat_age_s(beat, now),
        "heartbeat": beat,
    }


def cli_status(args, settings) -> int:
    """`python -m monitors status`: exit 0 when the sampler is healthy, 1 if stale or absent."""
    endpoint = settings.monitor.storage_endpoint
    beat = read_heartbeat(settings.data, settings.monitor.vantage, storage_endpoint=endpoint)
    if beat is None:
        beat = read_heartbeat(settings.data, storage_endpoint=endpoint)
    report = status_report(beat)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print(report["summary"])
        if beat:
            for key in (
                "vantage",
                "pid",
                "running_since",
                "last_round_at",
                "rounds",
                "late_rounds",
                "max_lateness_s",
                "checks_ok",
                "checks_failed",
                "flush_errors",
                "buffered",
                "vantage_offline",
            ):
                if key in beat:
                    print(f"  {key:<15} {beat[key]}")
    return 0 if report["healthy"] else 1
