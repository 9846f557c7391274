"""Cached reads of the history for the pages, and the filters a page is drawn for."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from monitors.analysis import loaders, summary
from monitors.config import Settings
from monitors.timeutil import Window

WINDOWS = ["24h", "7d", "30d", "90d", "custom"]
LIVE_MINUTES = 90  # raw samples behind the tiles and the heartbeat strip
SINCE_WINDOW = "7d"  # outages looked at for "since when" on the tiles
EMBEDDED_NOTE = ("Recording runs inside this dashboard: it stops when the dashboard stops, "
                 "and after a restart starts only when someone opens this page. For a server, "
                 "run the sampler as a service (`python -m monitors run`, see "
                 "docs/operations.md).")
NO_SAMPLER_ENV = "PULSE_NO_SAMPLER"  # 1: never start the embedded sampler (read-only dashboard)

st.set_page_config(page_title="Platform Pulse", page_icon="📶", layout="wide")


# ------------------------------------------------------------------ filters
@dataclass(frozen=True)
class Filters:
    """What the sidebar selected."""

    window: Window
    label: str
    spec: str  # "7d" or "custom"
    platforms: tuple[str, ...]
    vantages: tuple[str, ...]


# ------------------------------------------------------------------ cached reads
@st.cache_data(ttl=600, show_spinner=False, max_entries=48)
def cached_analysis(_settings: Settings, key: tuple, start: datetime, end: datetime,
                    platforms: tuple = (), vantages: tuple = ()):
    """Outages, uptime, daily series and impact for [start, end), cached on the data version."""
    return loaders.analysis(_settings, loaders.Scope(Window(start, end), platforms, vantages))


def summary_of(settings: Settings, key: tuple, start: datetime, end: datetime,
               platforms: tuple = (), vantages: tuple = ()) -> dict:
    """The summary JSON of a (cached) analysis."""
    return summary.summary_json(cached_analysis(settings, key, start, end, platforms, vantages))


@st.cache_data(ttl=600, show_spinner=False, max_entries=32)
def cached_rollups(_settings: Settings, key: tuple, start: datetime, end: datetime,
                   platforms: tuple, vantages: tuple) -> pd.DataFrame:
    """Hourly roll-ups for the latency chart."""
    return loaders.rollups(_settings, loaders.Scope(Window(start, end), platforms, vantages))


@st.cache_data(ttl=60, show_spinner=False, max_entries=8)
def cached_recent(_settings: Settings, key: tuple, minute: datetime) -> pd.DataFrame:
    """Raw samples of the last LIVE_MINUTES (refetched when history or the minute changes)."""
    return loaders.recent_samples(_settings, LIVE_MINUTES)


@st.cache_data(ttl=300, show_spinner=False, max_entries=8)
def cached_vantages(_settings: Settings, key: tuple, minute: datetime) -> list[str]:
    """Vantages with recent history (for the filter)."""
    return loaders.vantages(_settings, now=minute)


@st.cache_data(ttl=600, show_spinner=False, max_entries=64)
def _cached_figure(name: str, key: tuple, _build: Callable[[], Any]) -> Any:
    return _build()


def figure(name: str, key: tuple, build: Callable[[], Any]) -> Any:
    """A chart built once per (name, key): reruns that change nothing it shows (another
    widget, a window seen before) reuse it. `key` must hold everything the chart shows."""
    return _cached_figure(name, key, build)


def data_key(settings: Settings) -> tuple:
    """The cache key: config, data folder and the history's version token."""
    return (settings.source, settings.data, loaders.data_version(settings))


