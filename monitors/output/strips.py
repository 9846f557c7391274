"""Status colours per platform at a glance: the heartbeat strip of recent rounds and the
split of observed time (DataFrame -> plotly Figure, in the house style of charts.py)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from monitors.output import present
from monitors.output.charts import STATUS_COLORS, _esc, _local, _rows_height, empty, style


def time_split_bars(split: pd.DataFrame, *, title: str = "", large: bool = False) -> go.Figure:
    """Per platform, the hours that were not fully up — degraded, down, unknown or refused —
    stacked (at 99.9 % uptime a share-of-time bar would look all green and hide them)."""
    rows = split[split["observed_s"] > 0] if len(split) else split
    if rows.empty:
        return empty("Nothing observed in this window yet", large=large)
    parts = {"degraded_s": ("Degraded", "degraded"), "down_s": ("Down", "down"),
             "unknown_s": ("Unknown or refused", "unknown")}
    if not rows[list(parts)].to_numpy().any():
        return empty("Fully up all the time observed in this window", large=large)
    fig = go.Figure()
    for column, (label, status) in parts.items():
        share = 100.0 * rows[column] / rows["observed_s"]
        fig.add_trace(go.Bar(
            x=rows[column] / 3600.0, y=rows["name"], orientation="h", name=label,
            marker={"color": STATUS_COLORS[status]},
            customdata=list(zip([present.duration(v) for v in rows[column]], share,
                                strict=True)),
            hovertemplate=(f"<b>%{{y}}</b><br>{label}: %{{customdata[0]}} "
                           "(%{customdata[1]:.2f} % of the time observed)<extra></extra>"),
        ))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title="hours not fully up", rangemode="tozero")
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return style(fig, title=title, height=_rows_height(len(rows), large, 28), large=large)


def heartbeat_strip(rounds: pd.DataFrame, *, tz: str, title: str = "",
                    large: bool = False) -> go.Figure:
    """The recent rounds per platform as coloured squares (newest right): a pulse at a glance."""
    if rounds.empty:
        return empty("No checks yet — the first round appears within a minute", height=160,
                     large=large)
    fig = go.Figure()
    for status, color in STATUS_COLORS.items():
        rows = rounds[rounds["status"] == status]
        if rows.empty:
            continue
        detail = [f"{present.STATUS_LABELS[status]}" + (f" — {_esc(s)}" if s else "")
                  for s in rows["surfaces"]]
        fig.add_trace(go.Scatter(
            x=_local(rows["ts"], tz), y=rows["name"], mode="markers",
            name=present.STATUS_LABELS[status],
            marker={"symbol": "square", "size": 13 if not large else 17, "color": color,
                    "line": {"width": 0}},
            customdata=detail,
            hovertemplate="<b>%{y}</b> %{x|%H:%M:%S}<br>%{customdata}<extra></extra>",
        ))
    names = list(dict.fromkeys(rounds["name"]))
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(names)), showgrid=False)
    stamps = _local(rounds["ts"], tz)
    values, labels = time_ticks(stamps.min(), stamps.max())
    fig.update_xaxes(showgrid=False, tickmode="array", tickvals=values, ticktext=labels)
    return style(fig, title=title, height=_rows_height(len(names), large, 24, 80), large=large)


_TICK_STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
                 43200, 86400)


def time_ticks(first: pd.Timestamp, last: pd.Timestamp,
               most: int = 7) -> tuple[list[pd.Timestamp], list[str]]:
    """At most `most` round clock times between first and last, each label different:
    seconds are shown when the ticks are less than a minute apart (2-second demo rounds),
    else hours and minutes."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    span = max((last - first).total_seconds(), 1.0)
    step = next((s for s in _TICK_STEPS_S if span / s <= most - 1), _TICK_STEPS_S[-1])
    tick = first.ceil(f"{step}s")
    values = []
    while tick <= last:
        values.append(tick)
        tick += pd.Timedelta(seconds=step)
    if not values:
        values = [first]
    fmt = "%H:%M:%S" if step < 60 else "%H:%M" if step < 86400 else "%d %b"
    labels = [v.strftime(fmt) for v in values]
    if len(set(labels)) < len(labels):  # crossing midnight with hour ticks: add the day
        labels = [v.strftime("%a %H:%M") for v in values]
    return values, labels
