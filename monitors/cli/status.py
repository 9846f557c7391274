"""`python -m monitors status`: the sampler's health (exit 0 healthy, 1 stale, absent or a
clock that is wrong), with its counters, event-loop lag and the checks platforms refuse."""

from __future__ import annotations

import json
from datetime import datetime

from monitors.config import Settings
from monitors.history import state as statefile
from monitors.history.store import store_for
from monitors.output import present
from monitors.probes import is_official
from monitors.sampling.heartbeat import read_heartbeat, status_report
from monitors.timeutil import utcnow

_SHOWN = ("vantage", "pid", "running_since", "last_round_at", "rounds", "late_rounds",
          "missed_rounds", "max_lateness_s", "last_loop_lag_s", "max_loop_lag_s",
          "overloaded_rounds", "checks_ok", "checks_failed", "refused_checks", "flush_errors",
          "buffered", "vantage_offline")


def refusal_lines(beat: dict, settings: Settings, now: datetime | None = None) -> list[str]:
    """'Reddit has refused this monitor's web checks for 3h 05m; judged on API & media' for
    each check refused without a break for over an hour (the heartbeat's lasting_refusals)."""
    now = now or utcnow()
    by_platform: dict[str, list[dict]] = {}
    for item in beat.get("lasting_refusals") or []:
        if isinstance(item, dict) and item.get("platform") and item.get("check"):
            by_platform.setdefault(str(item["platform"]), []).append(item)
    lines = []
    for pid, items in by_platform.items():
        platform = settings.platform(pid)
        refused = [str(i["check"]) for i in items]
        judged = [present.surface(c.id) for c in (platform.checks if platform else ())
                  if c.id not in refused and not is_official(c.kind)]
        since = min(present.to_datetime(i.get("since")) or now for i in items)
        lines.append(present.refusal_note(platform.name if platform else pid, refused, since,
                                          judged, now))
    return lines


def cli_status(args, settings: Settings) -> int:
    """`python -m monitors status`: exit 0 when the sampler is healthy, 1 if stale or absent."""
    store = store_for(settings)
    found = statefile.list_names(store, "heartbeat-")
    beat = read_heartbeat(store, settings.monitor.vantage)
    if beat is None:
        beat = read_heartbeat(store)
    report = status_report(beat)
    if beat is None and found:  # every heartbeat there was invalid, and is now set aside
        report["summary"] = (
            f"no valid heartbeat: {', '.join(f'state/{n}' for n in found)} could not be read "
            "(an invalid one is set aside to quarantine/) — a running sampler writes a fresh "
            "one on its next round; else start one with: python -m monitors run")
    refusals = refusal_lines(beat, settings) if beat else []
    if args.json:
        print(json.dumps({**report, "refusals": refusals}, indent=2, default=str))
    else:
        print(report["summary"])
        for line in refusals:
            print(f"  {line}")
        if beat:
            for key in _SHOWN:
                if key in beat:
                    print(f"  {key:<17} {beat[key]}")
    return 0 if report["healthy"] else 1
