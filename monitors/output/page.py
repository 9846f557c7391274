"""What the dashboard's pages compute before they draw: the windows they read and the
headline figures with their arrows (pure; the pages only wire widgets to these)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd

from monitors.analysis import loaders
from monitors.output import charts, tables
from monitors.timeutil import Window, zone

HEADLINES = (("Average uptime", False), ("Outages", True), ("Time down", True),
             ("Estimated impact", True))  # (measure, whether an increase is bad)


def minute(now: datetime) -> datetime:
    """The start of the minute: cached reads and charts change once a minute, not per run."""
    return now.replace(second=0, microsecond=0)


def window_span(window: str, now: datetime) -> tuple[datetime, datetime]:
    """(start, end) of a named window ("24h", "7d" …) ending at this minute."""
    span = loaders.scope(window, end=minute(now)).window
    return span.start, span.end


def date_window(first: date, last: date, tz: str, now: datetime) -> Window:
    """From the start of the first day to the end of the last, in the business timezone, no
    later than this minute and at least a minute long."""
    start = datetime.combine(first, time(), zone(tz)).astimezone(UTC)
    end = min(datetime.combine(last + timedelta(days=1), time(), zone(tz)).astimezone(UTC),
              minute(now))
    return Window(start, max(end, start + timedelta(minutes=1)))


def latency_points(window: Window) -> int:
    """Points per latency line: hourly detail for two weeks; beyond, one point a day, so a
    month or a quarter reads as a trend instead of a band of daily waves."""
    days = window.seconds / 86400
    return charts.LATENCY_POINTS if days <= 14 else int(days) + 1


def headlines(comparison: pd.DataFrame) -> list[dict]:
    """The four headline figures: measure, value, the change as an arrow's text (None when
    there is none to show) and whether a rise is bad (the arrow's colour is inverted)."""
    rows = comparison.set_index("Measure")
    out = []
    for measure, rise_is_bad in HEADLINES:
        row = rows.loc[measure]
        change = str(row["Change"])
        out.append({"measure": measure, "value": row["This window"],
                    "delta": None if change in ("same", "—") else f"{change} vs previous",
                    "inverse": rise_is_bad})
    return out


def headline_note(this: dict, previous: dict, platforms) -> str:
    """The caption under the headlines: how the time split, and why there is no comparison."""
    split = tables.time_split_text(tables.time_split(this, platforms))
    gap = tables.previous_gap(this, previous)
    notes = [split] + ([f"no comparison with the previous window: {gap}"] if gap else [])
    return " · ".join(n for n in notes if n)
