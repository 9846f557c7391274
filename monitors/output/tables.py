"""DataFrames the dashboard and the report show: uptime, incidents, impact, comparisons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pandas as pd

from monitors.analysis import impact
from monitors.analysis.impact import ImpactEstimate
from monitors.analysis.incidents import Outage, group_by_provider
from monitors.config import Business, Impact, Platform
from monitors.output import present


def uptime_table(summaries: Mapping[str, dict], platforms: Sequence[Platform]) -> pd.DataFrame:
    """Uptime % per platform for each window (summaries keyed "24h", "7d" …; summary JSON)."""
    table = pd.DataFrame({"platform": [p.id for p in platforms],
                          "name": [p.name for p in platforms],
                          "provider": [p.provider_name for p in platforms]})
    for window, summary in summaries.items():
        values = {row["platform"]: row.get("uptime_pct") for row in summary.get("platforms", [])}
        table[present.window_label(window)] = (
            table["platform"].map(values).astype("float64"))
    return table


def uptime_color(value: float | None) -> str:
    """The status colour an uptime figure deserves (green ≥ 99.9, amber ≥ 99, else red)."""
    if value is None or pd.isna(value):
        return "#94a3b8"
    return "#15803d" if value >= 99.9 else "#b45309" if value >= 99 else "#b91c1c"


def style_uptime(table: pd.DataFrame):
    """The uptime table as a pandas Styler: '99.95 %' coloured by how bad it is."""
    columns = [c for c in table.columns if c in present.WINDOW_LABELS.values()]
    return (table.style.format(lambda v: present.pct(v), subset=columns, na_rep="—")
            .map(lambda v: f"color: {uptime_color(v)}; font-weight: 600", subset=columns))


def window_summary(summary: dict, platforms: Sequence[Platform]) -> pd.DataFrame:
    """The selected window per platform: uptime, down and degraded time, outages, impact."""
    rows = {row["platform"]: row for row in summary.get("platforms", [])}
    records = []
    for platform in platforms:
        row = rows.get(platform.id, {})
        impact = row.get("impact") or {}
        records.append({
            "platform": platform.id, "name": platform.name, "provider": platform.provider_name,
            "uptime_pct": row.get("uptime_pct"), "down_s": float(row.get("down_s") or 0),
            "degraded_s": float(row.get("degraded_s") or 0),
            "incidents": int(row.get("incidents") or 0),
            "impact": float(impact.get("amount") or 0.0),
            "currency": impact.get("currency") or "",
        })
    return pd.DataFrame(records, columns=["platform", "name", "provider", "uptime_pct", "down_s",
                                          "degraded_s", "incidents", "impact", "currency"])


SPLIT_COLUMNS = ["platform", "name", "up_s", "degraded_s", "down_s", "unknown_s", "observed_s"]


def time_split(summary: dict, platforms: Sequence[Platform]) -> pd.DataFrame:
    """How each platform's observed time split: fully up, degraded, down, unknown or refused
    (summary JSON in), so "degraded for 3 h" is never hidden behind "100 % uptime"."""
    rows = {row["platform"]: row for row in summary.get("platforms", [])}
    records = []
    for platform in platforms:
        row = rows.get(platform.id, {})
        known, unknown = float(row.get("known_s") or 0), float(row.get("unknown_s") or 0)
        down, degraded = float(row.get("down_s") or 0), float(row.get("degraded_s") or 0)
        records.append({"platform": platform.id, "name": platform.name,
                        "up_s": max(known - down - degraded, 0.0), "degraded_s": degraded,
                        "down_s": down, "unknown_s": unknown, "observed_s": known + unknown})
    return pd.DataFrame(records, columns=SPLIT_COLUMNS)


def time_split_text(split: pd.DataFrame) -> str:
    """'Fully up 99.10 % · degraded 3h 10m · down 1h 02m · unknown or refused 4h 00m' over all
    platforms ('' when nothing was observed)."""
    observed = float(split["observed_s"].sum()) if len(split) else 0.0
    if observed <= 0:
        return ""
    up = present.pct(100.0 * float(split["up_s"].sum()) / observed)
    parts = [f"Fully up {up}"] + [
        f"{label} {present.duration(float(split[column].sum()))}"
        for column, label in (("degraded_s", "degraded"), ("down_s", "down"),
                              ("unknown_s", "unknown or refused"))]
    return " · ".join(parts)


INCIDENT_COLUMNS = ["platform", "name", "provider", "start", "end", "ongoing", "detected_at",
                    "duration_s", "severity", "cause", "surfaces", "checks", "sources",
                    "vantages", "official_title", "official_lag_s", "lead", "impact",
                    "currency", "revenue", "leads", "leads_value", "ad_spend", "assumptions"]


def incident_frame(outages: Sequence[Outage], platforms: Sequence[Platform], *,
                   now: datetime) -> pd.DataFrame:
    """One row per outage with raw values (UTC times, seconds, amounts), newest first."""
    names = {p.id: p.name for p in platforms}
    records = []
    for o in outages:
        end = o.end or now
        imp = o.impact
        severity = "maintenance" if o.maintenance else o.severity
        records.append({
            "platform": o.platform, "name": names.get(o.platform, o.platform),
            "provider": o.provider, "start": pd.Timestamp(o.start), "end": pd.Timestamp(end),
            "ongoing": o.end is None, "detected_at": pd.Timestamp(o.detected_at),
            "duration_s": (end - o.start).total_seconds(), "severity": severity,
            "cause": o.cause, "checks": tuple(o.checks),
            "surfaces": present.surfaces_text(
                ((c, "degraded" if o.error == "slow" else "down") for c in o.checks),
                o.ok_checks),
            "sources": tuple(o.sources), "vantages": tuple(o.vantages),
            "official_title": o.official_title or "", "official_lag_s": o.official_lag_s,
            "lead": present.lead_text(o.official_lag_s),
            "impact": imp.amount if imp else 0.0, "currency": imp.currency if imp else "",
            "revenue": imp.revenue if imp else 0.0, "leads": imp.leads if imp else 0.0,
            "leads_value": imp.leads_value if imp else 0.0,
            "ad_spend": imp.ad_spend if imp else 0.0,
            "assumptions": tuple(imp.assumptions) if imp else (),
        })
    frame = pd.DataFrame(records, columns=INCIDENT_COLUMNS)
    if frame.empty:
        return frame
    return frame.sort_values("start", ascending=False).reset_index(drop=True)


def incident_table(frame: pd.DataFrame, tz: str, currency: str) -> pd.DataFrame:
    """The incident list for people: local times, durations, plain-word columns."""
    if frame.empty:
        return pd.DataFrame(columns=["Platform", "Started", "Ended", "Duration", "Severity",
                                     "Cause", "Surfaces", "Vendor", "Impact"])
    return pd.DataFrame({
        "Platform": frame["name"],
        "Started": [present.local_time(t, tz) for t in frame["start"]],
        "Ended": ["ongoing" if on else present.local_time(t, tz)
                  for t, on in zip(frame["end"], frame["ongoing"], strict=True)],
        "Duration": [present.duration(s) for s in frame["duration_s"]],
        "Severity": frame["severity"].map(present.SEVERITY_LABELS).fillna(frame["severity"]),
        "Cause": frame["cause"],
        "Surfaces": frame["surfaces"],
        "Vendor": [_vendor_text(t, lead) for t, lead in zip(frame["official_title"],
                                                              frame["lead"], strict=True)],
        "Impact": [present.money(a, c or currency) for a, c in zip(frame["impact"],
                                                                   frame["currency"], strict=True)],
    })


def _vendor_text(title: str, lead: str) -> str:
    return " — ".join(part for part in (title, lead) if part)


def provider_incidents(outages: Sequence[Outage], tz: str, *, now: datetime) -> pd.DataFrame:
    """Outages that hit several platforms of one provider at once, newest first."""

    rows = [{"Incident": group.title, "Started": present.local_time(group.start, tz),
             "Duration": present.duration(((group.end or now) - group.start).total_seconds()),
             "Ongoing": group.end is None}
            for group in reversed(group_by_provider(list(outages)))]
    return pd.DataFrame(rows, columns=["Incident", "Started", "Duration", "Ongoing"])


IMPACT_COLUMNS = ["platform", "name", "provider", "revenue", "leads", "leads_value", "ad_spend",
                  "impact", "outages", "maintenance"]


def impact_table(impacts: Mapping[str, ImpactEstimate], platforms: Sequence[Platform],
                 frame: pd.DataFrame,
                 maintenance: Mapping[str, ImpactEstimate] | None = None) -> pd.DataFrame:
    """Impact per platform inside the window (largest first): revenue, leads, ad spend, total
    of unplanned outages, their count, and apart from them the cost of scheduled maintenance."""
    unplanned = frame[frame["severity"] != "maintenance"] if len(frame) else frame
    counts = unplanned["platform"].value_counts() if len(frame) else pd.Series(dtype=int)
    planned = maintenance or {}
    records = []
    for platform in platforms:
        est = impacts.get(platform.id)
        held = planned.get(platform.id)
        records.append({
            "platform": platform.id, "name": platform.name, "provider": platform.provider_name,
            "revenue": est.revenue if est else 0.0, "leads": est.leads if est else 0.0,
            "leads_value": est.leads_value if est else 0.0,
            "ad_spend": est.ad_spend if est else 0.0, "impact": est.amount if est else 0.0,
            "outages": int(counts.get(platform.id, 0)),
            "maintenance": held.amount if held else 0.0,
        })
    table = pd.DataFrame(records, columns=IMPACT_COLUMNS)
    return table.sort_values("impact", ascending=False, kind="stable").reset_index(drop=True)


def assumptions(frame: pd.DataFrame) -> list[str]:
    """The distinct assumptions behind the impact figures, in first-seen order."""
    seen: dict[str, None] = {}
    for items in frame.get("assumptions", []):
        for item in items:
            seen.setdefault(str(item), None)
    return list(seen)


def general_assumptions(business: Business, frame: pd.DataFrame | None = None) -> list[str]:
    """The assumptions shared by every platform (per-platform values go in value_table())."""
    plain = impact.assumptions(Impact(), business)
    valued = impact.assumptions(Impact(revenue_per_hour=1, leads_per_hour=1, lead_value=1,
                                       ad_spend_per_day=1, recapture=0.5), business)
    lines = [line for line in plain if line in valued]
    if frame is not None and len(frame) and frame["ongoing"].any():
        lines.append("Ongoing outages are counted up to now.")
    return lines


def value_table(platforms: Sequence[Platform], currency: str) -> pd.DataFrame:
    """What an hour of each platform is worth, as configured ([platforms.impact])."""
    rows = [{
        "Platform": p.name,
        "Sales / hour": present.money(p.impact.revenue_per_hour, currency),
        "Leads / hour": f"{p.impact.leads_per_hour:g}",
        "Lead value": present.money(p.impact.lead_value, currency),
        "Ad spend / day": present.money(p.impact.ad_spend_per_day, currency),
        "Sales that come back": f"{p.impact.recapture:.0%}",
    } for p in platforms]
    return pd.DataFrame(rows, columns=["Platform", "Sales / hour", "Leads / hour", "Lead value",
                                       "Ad spend / day", "Sales that come back"])


def period_comparison(this: dict, previous: dict, currency: str) -> pd.DataFrame:
    """This window vs the previous one: uptime, downtime, outages, impact (summary JSON in)."""
    def totals(summary: dict) -> dict[str, float]:
        rows = summary.get("platforms", [])
        ups = [r["uptime_pct"] for r in rows if r.get("uptime_pct") is not None]
        return {
            "uptime": sum(ups) / len(ups) if ups else float("nan"),
            "down": sum(float(r.get("down_s") or 0) for r in rows),
            "degraded": sum(float(r.get("degraded_s") or 0) for r in rows),
            "outages": sum(int(r.get("incidents") or 0) for r in rows),
            "impact": sum(float((r.get("impact") or {}).get("amount") or 0) for r in rows),
        }

    now, before = totals(this), totals(previous)
    labels = {"uptime": "Average uptime", "down": "Time down", "degraded": "Time degraded",
              "outages": "Outages", "impact": "Estimated impact"}
    fmt = {"uptime": present.pct, "down": present.duration, "degraded": present.duration,
           "outages": lambda v: f"{v:.0f}", "impact": lambda v: present.money(v, currency)}
    gap = previous_gap(this, previous)
    return pd.DataFrame([
        {"Measure": labels[key], "This window": fmt[key](now[key]),
         "Previous window": gap or fmt[key](before[key]),
         "Change": "—" if gap else _change(key, now[key], before[key], currency),
         "_this": now[key], "_previous": float("nan") if gap else before[key]}
        for key in labels
    ])


MIN_PREVIOUS_SHARE = 0.5  # a previous window monitored less than half as long is no basis


def previous_gap(this: dict, previous: dict) -> str:
    """Why the previous window can't be compared with this one ('' when it can): it was not
    monitored, or for less than half as long as this one (summary JSON in)."""
    def known(summary: dict) -> float:
        return sum(float(r.get("known_s") or 0) for r in summary.get("platforms", []))

    def span(summary: dict) -> str:
        window = summary.get("window") or {}
        try:
            seconds = (pd.Timestamp(window["end"]) - pd.Timestamp(window["start"])).total_seconds()
        except (KeyError, TypeError, ValueError):
            return "window"
        return _span(seconds)

    had, has = known(previous), known(this)
    if had <= 0:
        return f"no data for the previous {span(previous)}"
    if has > 0 and had < MIN_PREVIOUS_SHARE * has:
        each = had / max(len(previous.get("platforms", [])), 1)
        return f"too little data: {_span(each)} of the previous {span(previous)} monitored"
    return ""


def _span(seconds: float) -> str:
    """'90 days' / '24 hours' for whole days and hours, else a duration."""
    for unit, size in (("day", 86400), ("hour", 3600)):
        count = round(seconds / size)
        if count >= 1 and abs(seconds - count * size) < 60:
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return present.duration(seconds)


def _change(key: str, this: float, previous: float, currency: str) -> str:
    """An absolute change: '+0.20 pts', '+2', '+1h 05m', '-£40' ('same' when equal)."""
    if pd.isna(this) or pd.isna(previous):
        return "—"
    delta = this - previous
    if key == "uptime":
        return "same" if abs(delta) < 0.005 else f"{delta:+.2f} pts"
    if abs(delta) < (0.5 if key != "impact" else 0.005):
        return "same"
    sign = "+" if delta > 0 else "-"  # ASCII: st.metric colours the delta by its sign
    if key in ("down", "degraded"):
        return f"{sign}{present.duration(abs(delta))}"
    if key == "impact":
        return f"{sign}{present.money(abs(delta), currency)}"
    return f"{sign}{abs(delta):.0f}"
