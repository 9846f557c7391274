"""Read history for a window and run the analysis the dashboard, report and exports show."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from monitors import history
from monitors.analysis import windows
from monitors.analysis.incidents import Outage
from monitors.analysis.summary import summary_json
from monitors.config import Platform, Settings
from monitors.history import state as statefile
from monitors.sampling import heartbeat
from monitors.timeutil import Window, parse_window, utcnow

log = logging.getLogger("monitors.loaders")

SYNTHETIC_MARKER = "synthetic.json"


@dataclass(frozen=True, slots=True)
class Scope:
    """What to look at: a window, and optionally some platforms and vantages."""

    window: Window
    platforms: tuple[str, ...] = ()
    vantages: tuple[str, ...] = ()


def scope(since: str, *, end: datetime | None = None, platforms: Sequence[str] = (),
          vantages: Sequence[str] = ()) -> Scope:
    """A Scope for a look-back such as '7d' ending now (or at `end`)."""
    return Scope(parse_window(since, end=end or utcnow()), tuple(platforms), tuple(vantages))


def selected(settings: Settings, platforms: Sequence[str] = ()) -> tuple[Platform, ...]:
    """The configured platforms, limited to `platforms` when given (config order kept)."""
    wanted = set(platforms)
    return tuple(p for p in settings.platforms if not wanted or p.id in wanted)


def _store(settings: Settings) -> history.Store:
    return history.store_for(settings)


def recent_samples(settings: Settings, minutes: float, *, now: datetime | None = None,
                   vantages: Sequence[str] = ()) -> pd.DataFrame:
    """Raw samples of the last `minutes` (for the live board and the heartbeat strip)."""
    end = now or utcnow()
    return history.read_samples(_store(settings), end - timedelta(minutes=minutes),
                                end + timedelta(seconds=1), vantages=list(vantages) or None)


def analysis(settings: Settings, where: Scope, *, now: datetime | None = None):
    """Outages, uptime, daily series and impact for the scope (an uptime.Analysis)."""

    return windows.analyse_history(settings, where.window, platforms=list(where.platforms) or None,
                                  now=now or where.window.end,
                                  vantages=list(where.vantages) or None)


def outages(settings: Settings, where: Scope) -> list[Outage]:
    """Outages overlapping the window (back-dated starts before it included), impact filled."""
    return analysis(settings, where).outages


def summary(settings: Settings, where: Scope) -> dict:
    """The summary JSON of DESIGN.md for the window."""

    return summary_json(analysis(settings, where))


def daily(settings: Settings, where: Scope) -> pd.DataFrame:
    """Daily uptime per platform (business timezone): columns day, platform, uptime_pct …"""
    return analysis(settings, where).daily


def rollups(settings: Settings, where: Scope) -> pd.DataFrame:
    """Hourly roll-ups for the window (latency charts)."""
    return history.read_rollups(_store(settings), where.window.start, where.window.end,
                                platforms=list(where.platforms) or None,
                                vantages=list(where.vantages) or None)


def official_state(settings: Settings) -> dict[str, dict]:
    """What each vendor's status page says now, from the samplers' state files (newest wins)."""
    merged: dict[str, dict] = {}
    store = _store(settings)
    for name in statefile.list_names(store, "official-"):
        state = statefile.read_json(store, name) or {}
        for platform, info in state.items():
            if isinstance(info, dict):
                merged[platform] = info
    return merged


def is_synthetic(settings: Settings) -> bool:
    """True when the data folder holds generated demo data (DATA/state/synthetic.json)."""
    return statefile.read_json(_store(settings), SYNTHETIC_MARKER) is not None


def problems(settings: Settings) -> list[dict]:
    """Quarantined or corrupt history files ({path, reason, when})."""
    try:
        return list(history.problems(_store(settings)))
    except Exception:  # the banner must never take the page down
        log.exception("cannot list history problems")
        return []


def data_version(settings: Settings) -> str:
    """A token that changes whenever history changes (cache key)."""
    return history.data_version(_store(settings))


def missing_history(settings: Settings) -> str | None:
    """'no history in D' when the data folder holds no samples (a wrong or empty --data),
    for commands that read history; None when there is history to read."""
    try:
        found = history.has_history(_store(settings))
    except OSError as exc:
        return f"no history in {settings.data}: {exc}"
    return None if found else (f"no history in {settings.data} (no samples/ or rollups/ "
                               "files); give the data folder the sampler writes with --data")


def vantages(settings: Settings, *, days: float = 30, now: datetime | None = None) -> list[str]:
    """Vantage names with history in the last `days` (hourly roll-ups) or a heartbeat."""

    end = now or utcnow()
    names = {b.get("vantage") for b in heartbeat.read_heartbeats(
        _store(settings))}
    rolled = history.read_rollups(_store(settings), end - timedelta(days=days), end,
                                  platforms=[p.id for p in settings.platforms[:1]] or None)
    if len(rolled):
        names.update(rolled["vantage"].unique())
    return sorted(str(n) for n in names if n)
