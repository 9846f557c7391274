"""Actual against expected around an incident (plotly), in the house palette (charts.py)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from monitors.output import charts

ACTUAL = charts.IMPACT_COLORS["revenue"]
EXPECTED = charts.MUTED
BAND = "rgba(100,116,139,0.16)"  # MUTED, light: the range the baseline expects
OUTAGE = "rgba(220,38,38,0.10)"  # STATUS_COLORS["down"], light: the outage


def around_chart(frame: pd.DataFrame, *, tz: str, unit: str, title: str = "",
                 synthetic: bool = False, large: bool = False,
                 height: int = 340) -> go.Figure:
    """Actual (solid) and expected (dashed, with its 95 % band) per point, the outage shaded.

    `frame` is measured.around(): ts (UTC), actual, expected, low, high, outage (bool).
    """
    if frame is None or frame.empty:
        return charts.empty("No data around this incident", height=height, large=large)
    ts = charts._local(frame["ts"], tz)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ts, y=frame["high"].clip(lower=0), mode="lines",
                             line={"width": 0}, hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=ts, y=frame["low"].clip(lower=0), mode="lines",
                             line={"width": 0}, fill="tonexty", fillcolor=BAND,
                             name="Expected range (95 %)", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=ts, y=frame["expected"], mode="lines", name="Expected",
                             line={"color": EXPECTED, "width": 2, "dash": "dash"},
                             hovertemplate=f"%{{y:,.1f}} {unit} expected<extra></extra>"))
    fig.add_trace(go.Scatter(x=ts, y=frame["actual"], mode="lines+markers", name="Actual",
                             line={"color": ACTUAL, "width": 2.5}, marker={"size": 4},
                             hovertemplate=f"%{{y:,.1f}} {unit} actual<extra></extra>"))
    for start, end in _stretches(ts, frame["outage"].to_numpy(bool), _step(frame)):
        fig.add_vrect(x0=start, x1=end, fillcolor=OUTAGE, line_width=0, layer="below",
                      annotation_text="outage", annotation_position="top left",
                      annotation_font={"color": charts.STATUS_COLORS["down"]})
    if synthetic:
        fig.add_annotation(text="SYNTHETIC DATA", showarrow=False, x=1, y=1.0, xref="paper",
                           yref="paper", xanchor="right", yanchor="top",
                           font={"color": "#92400e", "size": 12}, bgcolor="#fef3c7",
                           bordercolor="#f59e0b", borderwidth=1, borderpad=3)
    fig.update_yaxes(title_text=unit, rangemode="tozero")
    return charts.style(fig, title=title, height=height, large=large)


def _step(frame: pd.DataFrame) -> pd.Timedelta:
    stamps = pd.to_datetime(frame["ts"], utc=True)
    return stamps.diff().dropna().min() if len(stamps) > 1 else pd.Timedelta(hours=1)


def _stretches(ts: pd.Series, mask, step: pd.Timedelta) -> list[tuple]:
    """Runs of True in `mask` as (first point, last point + one step)."""
    runs, start = [], None
    values = list(ts)
    for i, inside in enumerate(mask):
        if inside and start is None:
            start = values[i]
        if start is not None and (not inside or i == len(mask) - 1):
            last = values[i] if inside else values[i - 1]
            runs.append((start, last + step))
            start = None
    return runs
