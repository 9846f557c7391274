"""Pure functions from DataFrames to plotly Figures, with one palette and one type scale."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from monitors.analysis.intervals import ns_array
from monitors.output import present

STATUS_COLORS = {"up": "#16a34a", "degraded": "#f59e0b", "down": "#dc2626", "unknown": "#94a3b8",
                 "refused": "#64748b"}  # refused: a darker grey, still "can't see"
SEVERITY_COLORS = {"down": STATUS_COLORS["down"], "degraded": STATUS_COLORS["degraded"],
                   "maintenance": "#6366f1"}
IMPACT_COLORS = {"revenue": "#2563eb", "leads_value": "#7c3aed", "ad_spend": "#0891b2"}
# Streamlit's own face first (the app), then what a report's reader or kaleido has.
FONT = ("'Source Sans', 'Source Sans 3', 'Source Sans Pro', Inter, 'Segoe UI', "
        "'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif")
INK, MUTED, GRID = "#0f172a", "#64748b", "#e2e8f0"
# Uptime colour steps: anything under 99 % is a bad day for a platform a business sells through.
UPTIME_SCALE = [[0.0, "#991b1b"], [0.5, "#dc2626"], [0.8, "#f59e0b"], [0.9, "#facc15"],
                [0.97, "#86efac"], [1.0, "#16a34a"]]
UPTIME_FLOOR = 95.0


TITLE_PAD = 6  # px above the title


def top_margin(base: int, *, title: bool) -> int:
    """Room above the plot: a legend row (and a title band above it when there is a title)."""
    legend = round(base * 2.1)
    return legend + (TITLE_PAD + round((base + 5) * 1.5) if title else 0)


def style(fig: go.Figure, *, title: str = "", height: int | None = None,
          large: bool = False) -> go.Figure:
    """Apply the house look: fonts, margins, grid, legend on top; large=True for projectors."""
    base = 18 if large else 13
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": base, "color": INK},
        # The title has the top band of the figure to itself and the legend sits under it,
        # just above the plot: they never run into each other, however narrow the chart.
        title={"text": title, "font": {"size": base + 5}, "x": 0, "xanchor": "left",
               "xref": "container", "y": 1, "yanchor": "top", "yref": "container",
               "pad": {"t": TITLE_PAD, "l": 8}} if title else None,
        margin={"l": 8, "r": 16, "t": top_margin(base, title=bool(title)), "b": 8},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="#ffffff",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "yref": "paper", "x": 1,
                "xanchor": "right", "title": None, "font": {"size": base},
                "traceorder": "normal"},
        hoverlabel={"font": {"family": FONT, "size": base}, "bgcolor": "#ffffff"},
        height=height,
    )
    fig.update_xaxes(gridcolor=GRID, linecolor=GRID, automargin=True,
                     tickfont={"color": MUTED, "size": base - 1})
    fig.update_yaxes(gridcolor=GRID, linecolor=GRID, automargin=True,
                     tickfont={"color": INK, "size": base})
    return fig


def _local(series: pd.Series, tz: str) -> pd.Series:
    """UTC timestamps as naive wall-clock times in the business timezone (plotly has no tz)."""
    stamps = pd.to_datetime(series, utc=True)
    return stamps.dt.tz_convert(tz).dt.tz_localize(None)


def empty(message: str, *, height: int = 220, large: bool = False) -> go.Figure:
    """A blank figure that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper",
                       yref="paper", font={"size": 20 if large else 15, "color": MUTED})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, height=height, large=large)


def _rows_height(n: int, large: bool, per_row: int = 34, base: int = 110) -> int:
    return base + max(n, 1) * (per_row + (4 if large else 0))


def outage_timeline(incidents: pd.DataFrame, *, tz: str, start=None, end=None,
                    platforms: Sequence[str] = (), title: str = "",
                    large: bool = False) -> go.Figure:
    """Outages as bars per platform over time, coloured by severity, with a rich hover.

    `incidents` is tables.incident_frame(); `platforms` lists display names to show even
    without outages (so a quiet platform is visibly quiet).
    """
    names = list(dict.fromkeys([*platforms, *incidents.get("name", [])]))
    if not names:
        return empty("No platforms to show", large=large)
    fig = go.Figure()
    for severity, color in SEVERITY_COLORS.items():
        rows = incidents[incidents["severity"] == severity] if len(incidents) else incidents
        if rows.empty:
            continue
        begin, width_ms = bar_geometry(rows["start"], rows["end"], tz=tz, start=start, end=end,
                                       large=large)
        fig.add_trace(go.Bar(
            base=begin, x=width_ms, y=rows["name"], orientation="h",
            name=present.SEVERITY_LABELS[severity], marker={"color": color, "line": {"width": 0}},
            customdata=_hover_rows(rows, tz), hovertemplate="%{customdata}<extra></extra>",
        ))
    fig.update_layout(barmode="overlay", bargap=0.35, showlegend=True)
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(names)),
                     range=[-0.6, len(names) - 0.4], showgrid=False)
    fig.update_xaxes(type="date", title=None)
    if start is not None and end is not None:
        fig.update_xaxes(range=[_local(pd.Series([start]), tz).iloc[0],
                                _local(pd.Series([end]), tz).iloc[0]])
    if incidents.empty:
        fig.add_annotation(text="No outages in this window", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper", font={"size": 16, "color": MUTED})
    return style(fig, title=title, height=_rows_height(len(names), large), large=large)


MIN_BAR_SHARE = 0.006  # of the window: a 10-minute outage in 90 days is still a visible bar
MIN_BAR_SHARE_LARGE = 0.01  # projectors: narrower plots, seen from further away
MIN_BAR_MS = 60_000.0


def bar_geometry(starts: pd.Series, ends: pd.Series, *, tz: str, start=None, end=None,
                 large: bool = False) -> tuple[pd.Series, pd.Series]:
    """(base, width in ms) of outage bars in business-local time, every bar visible.

    Each bar is at least MIN_BAR_SHARE of the window wide and lies inside the window: the
    part before the window start is cut off (only what happened inside is drawn), and a bar
    that would run past the window end (an ongoing or a just-ended outage widened to the
    minimum) is moved left to end at the window's end instead of being clipped away.
    """
    begin, finish = _local(starts, tz), _local(ends, tz)
    if start is None or end is None:
        width = ((finish - begin).dt.total_seconds() * 1000).clip(lower=MIN_BAR_MS)
        return begin, width
    lo, hi = (_local(pd.Series([t]), tz).iloc[0] for t in (start, end))
    span = hi - lo
    least = max(pd.Timedelta(milliseconds=MIN_BAR_MS),
                span * (MIN_BAR_SHARE_LARGE if large else MIN_BAR_SHARE))
    least = min(least, span)
    begin, finish = begin.clip(lower=lo, upper=hi), finish.clip(lower=lo, upper=hi)
    width = (finish - begin).clip(lower=least)
    begin = begin.where(begin + width <= hi, hi - width)
    return begin, width.dt.total_seconds() * 1000


def _hover_rows(rows: pd.DataFrame, tz: str) -> list[str]:
    texts = []
    for row in rows.itertuples(index=False):
        lines = [f"<b>{_esc(row.name)}</b> — {present.SEVERITY_LABELS.get(row.severity, '')}",
                 f"{present.local_time(row.start, tz)} → "
                 f"{'ongoing' if row.ongoing else present.local_time(row.end, tz)}"
                 f" ({present.duration(row.duration_s)})",
                 f"Cause: {_esc(present.cause_text(row.cause))}"]
        if row.surfaces:
            lines.append(f"Surfaces: {_esc(row.surfaces)}")
        if row.impact:
            lines.append(f"Impact: ~{present.money(row.impact, row.currency)}")
        if row.lead:
            lines.append(_esc(row.lead[0].upper() + row.lead[1:]))
        texts.append("<br>".join(lines))
    return texts


def _esc(text: object) -> str:
    """Plotly renders a subset of HTML in hover text; keep vendor text literal."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def uptime_heatmap(daily: pd.DataFrame, *, title: str = "", large: bool = False) -> go.Figure:
    """Daily uptime per platform (rows) and day (columns); grey where there is no data.

    `daily` has columns day (date), name, uptime_pct (NaN = no measurement).
    """
    if daily.empty:
        return empty("No daily uptime yet — it appears after the first day of checks",
                     large=large)
    grid = daily.pivot_table(index="name", columns="day", values="uptime_pct", aggfunc="mean",
                             dropna=False, sort=False)
    names = list(dict.fromkeys(daily["name"]))
    grid = grid.reindex(index=names)
    days = [pd.Timestamp(d).strftime("%a %d %b") for d in grid.columns]
    text = grid.map(lambda v: "no data" if pd.isna(v) else present.pct(v))
    stamps = [pd.Timestamp(d) for d in grid.columns]
    gap = 2 if len(stamps) <= 31 else 1  # 90 thin columns: a hairline gap keeps the colour
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=stamps, y=names,
        zmin=UPTIME_FLOOR, zmax=100, colorscale=UPTIME_SCALE, xgap=gap, ygap=2,
        customdata=[[f"{d}: {t}" for d, t in zip(days, row, strict=True)]
                    for row in text.to_numpy()],
        hovertemplate="<b>%{y}</b><br>%{customdata}<extra></extra>",
        colorbar={"thickness": 10, "ticksuffix": " %", "tickvals": [95, 97, 99, 100],
                  "len": 0.9, "outlinewidth": 0},
    ))
    fig.update_yaxes(autorange="reversed", showgrid=False, dtick=1)
    values, labels = day_ticks(stamps)
    fig.update_xaxes(showgrid=False, type="date", tickmode="array", tickvals=values,
                     ticktext=labels, tickangle=0)
    style(fig, title=title, height=_rows_height(len(names), large, 26 if len(names) > 10
                                                 else 30), large=large)
    return fig.update_layout(plot_bgcolor="#f1f5f9")  # grey shows through days without data


def day_ticks(days: Sequence[pd.Timestamp], most: int = 8) -> tuple[list, list[str]]:
    """Ticks for a row of days: every day for a week or two, else every 2nd, 7th or 14th day
    (at most `most` labels, so 90 days never crowd the axis); the month is named where it
    changes."""
    if not days:
        return [], []
    step = next((s for s in (1, 2, 7, 14, 28) if len(days) / s <= most), 28)
    values = list(days)[::-1][::step][::-1]  # counted back from the newest day
    labels, month = [], None
    for value in values:
        labels.append(value.strftime("%d %b" if value.month != month else "%d").lstrip("0"))
        month = value.month
    if step == 1 and len(values) <= 8:
        labels = [v.strftime("%a %d").replace(" 0", " ") for v in values]
    return values, labels


def uptime_bars(table: pd.DataFrame, column: str, *, title: str = "",
                large: bool = False) -> go.Figure:
    """Horizontal uptime bars per platform for one window column of tables.uptime_table()."""
    rows = table.dropna(subset=[column])
    if rows.empty:
        return empty("No uptime measured in this window yet", large=large)
    values = rows[column].astype(float)
    colors = [_uptime_color(v) for v in values]
    floor = min(99.0, float(values.min()) - 0.5)
    fig = go.Figure(go.Bar(
        x=values, y=rows["name"], orientation="h", marker={"color": colors},
        text=[present.pct(v) for v in values], textposition="outside", cliponaxis=False,
        hovertemplate="<b>%{y}</b><br>%{text}<extra></extra>",
    ))
    fig.update_xaxes(range=[max(0.0, floor), 100.0], ticksuffix=" %", title=None)
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return style(fig, title=title, height=_rows_height(len(rows), large, 30), large=large)


def _uptime_color(value: float) -> str:
    if value >= 99.9:
        return STATUS_COLORS["up"]
    if value >= 99.0:
        return STATUS_COLORS["degraded"]
    return STATUS_COLORS["down"]


LATENCY_POINTS = 800  # per line: about one per pixel of a wide chart
_HOUR_NS = 3_600_000_000_000
_BUCKET_HOURS = (1, 2, 3, 4, 6, 8, 12, 24, 48, 168)


def latency_bucket_hours(hours: int, max_points: int = LATENCY_POINTS) -> int:
    """The smallest whole-hour step (1, 2, 3, 4, 6, … h) that draws `hours` of hourly latency
    in at most `max_points` points per line."""
    return next((b for b in _BUCKET_HOURS if -(-hours // b) <= max_points), _BUCKET_HOURS[-1])


def latency_chart(rollups: pd.DataFrame, *, tz: str, names: dict[str, str] | None = None,
                  title: str = "", large: bool = False,
                  max_points: int = LATENCY_POINTS) -> go.Figure:
    """Latency per platform: p50 as a line; p95 as a light band from the line up, shown at
    once for one platform and on demand (its legend entry) for several, so the spiky p95
    lines of four platforms never tangle with each other or with the p50 lines.

    `rollups` has columns hour (UTC), platform, latency_p50, latency_p95 (one row per check;
    a platform's hour is the median of its checks' p50 and the max of their p95). Long
    windows are drawn in steps of several hours (at most `max_points` per line): the median
    of the hours' p50 and the highest p95, and the axis title says the step.
    """
    rows = rollups.dropna(subset=["latency_p50"]) if len(rollups) else rollups
    if rows.empty:
        return empty("No latency measured in this window yet", large=large)
    order = list(dict.fromkeys(rows["platform"]))
    hour_ns = ns_array(rows["hour"])
    span = int((hour_ns.max() - hour_ns.min()) // _HOUR_NS) + 1
    step = latency_bucket_hours(span, max_points)
    bucket = pd.to_datetime(hour_ns // (step * _HOUR_NS) * (step * _HOUR_NS), utc=True)
    hourly = rows.assign(bucket=bucket).groupby(
        ["platform", "hour"], as_index=False, observed=True).agg(
        p50=("latency_p50", "median"), p95=("latency_p95", "max"), bucket=("bucket", "first"))
    if step > 1:
        hourly = hourly.groupby(["platform", "bucket"], as_index=False, observed=True).agg(
            p50=("p50", "median"), p95=("p95", "max")).rename(columns={"bucket": "hour"})
    names = names or {}
    fig = go.Figure()
    palette = _palette()
    groups = dict(tuple(hourly.groupby("platform", observed=True)))
    per = "" if step == 1 else f" per {step} h"
    band_shown = True if len(order) == 1 else "legendonly"
    band_name = "p95 band" if len(order) == 1 else P95_ON_DEMAND
    for i, platform in enumerate(order):
        group = groups[platform]
        color, label = palette[i % len(palette)], names.get(platform, platform)
        x = _local(group["hour"], tz)
        fig.add_trace(go.Scatter(x=x, y=group["p50"], name=label, legendgroup=label,
                                 mode="lines", line={"color": color, "width": 2},
                                 hovertemplate=f"{_esc(label)} p50{per}: %{{y:.0f}} ms"
                                               "<extra></extra>"))
        fig.add_trace(go.Scatter(x=x, y=group["p95"].where(group["p95"] >= group["p50"],
                                                           group["p50"]),
                                 name=band_name, legendgroup="p95", showlegend=i == 0,
                                 legendrank=2000,  # the toggle comes after the platforms
                                 visible=band_shown, mode="lines", fill="tonexty",
                                 fillcolor=_tint(color, 0.16), line={"width": 0},
                                 hovertemplate=f"{_esc(label)} p95{per}: %{{y:.0f}} ms"
                                               "<extra></extra>"))
    axis = "ms (line: median, band: up to p95)" if step == 1 else (
        f"ms per {step} h (line: median, band: up to the highest p95)")
    fig.update_yaxes(title=axis, rangemode="tozero")
    fig.update_layout(hovermode="x unified")
    return style(fig, title=title, height=380 if not large else 520, large=large)


P95_ON_DEMAND = "p95 bands (click to show)"


def _tint(color: str, alpha: float) -> str:
    """'#2563eb' -> 'rgba(37,99,235,0.16)'."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _palette() -> list[str]:
    return ["#2563eb", "#db2777", "#0891b2", "#7c3aed", "#ea580c", "#059669", "#4f46e5",
            "#be123c", "#0d9488", "#9333ea", "#ca8a04", "#475569", "#c026d3", "#65a30d"]


def impact_bars(table: pd.DataFrame, *, currency: str, title: str = "",
                large: bool = False) -> go.Figure:
    """Estimated impact per platform, stacked: revenue, leads (value) and ad spend."""
    rows = table[table["impact"] > 0] if len(table) else table
    if rows.empty:
        return empty("No estimated impact in this window", large=large)
    fig = go.Figure()
    parts = {"revenue": "Lost revenue", "leads_value": "Lost leads (value)",
             "ad_spend": "Ad spend at risk"}
    for column, label in parts.items():
        fig.add_trace(go.Bar(
            x=rows[column], y=rows["name"], orientation="h", name=label,
            marker={"color": IMPACT_COLORS[column]},
            customdata=[present.money(v, currency) for v in rows[column]],
            hovertemplate=f"<b>%{{y}}</b><br>{label}: %{{customdata}}<extra></extra>",
        ))
    totals = rows["impact"]
    fig.add_trace(go.Scatter(
        x=totals, y=rows["name"], mode="text", text=[present.money(v, currency) for v in totals],
        textposition="middle right", showlegend=False, hoverinfo="skip",
        textfont={"size": 19 if large else 13, "color": INK},
    ))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title=f"estimated {currency}", range=[0, float(totals.max()) * 1.22])
    fig.update_yaxes(autorange="reversed", showgrid=False)
    return style(fig, title=title, height=_rows_height(len(rows), large, 36), large=large)


