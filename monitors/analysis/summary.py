"""The summary JSON of DESIGN.md from an analysis, and this window against the previous one
(pure: Analysis in, JSON-ready dicts out)."""

from __future__ import annotations

import pandas as pd

from monitors.analysis.impact import general_assumptions, value_assumptions
from monitors.analysis.impact import to_json as impact_json
from monitors.analysis.incidents import iso
from monitors.analysis.measured import Measurement
from monitors.analysis.uptime import Analysis


def summary_json(analysis: Analysis, measurement: Measurement | None = None) -> dict:
    """The DESIGN.md summary object (plus name, unknown_s, known_s and the assumptions).

    Each platform's `"measured"` holds, per metric with a series, what the business's own
    numbers say its outages cost (null when the baseline can't be trusted); `{}` when the
    platform has no series. `"impact"` stays the estimate from the assumptions.
    """
    rows = []
    for row in analysis.uptime.to_dict("records"):
        pct = row["uptime_pct"]
        rows.append({
            "platform": row["platform"],
            "name": analysis.platforms[row["platform"]].name,
            "uptime_pct": None if pd.isna(pct) else round(float(pct), 4),
            "down_s": round(row["down_s"], 3),
            "degraded_s": round(row["degraded_s"], 3),
            "unknown_s": round(row["unknown_s"], 3),
            "known_s": round(row["known_s"], 3),
            "incidents": int(row["incidents"]),
            "impact": impact_json(analysis.impacts[row["platform"]]),
            "maintenance_impact": impact_json(analysis.maintenance[row["platform"]]),
            "measured": ({} if measurement is None
                         else measurement.platform_json(row["platform"])),
        })
    return {
        "window": {"start": iso(analysis.window.start), "end": iso(analysis.until)},
        "platforms": rows,
        "vantage_offline_s": round(analysis.vantage_offline_s, 3),
        "vantages_offline_s": analysis.vantages_offline_s,
        "assumptions": summary_assumptions(analysis),
    }


def summary_assumptions(analysis: Analysis) -> list[str]:
    """The shared impact assumptions, then each platform's value, named."""
    lines = list(general_assumptions(analysis.business))
    for platform in analysis.platforms.values():
        lines += [f"{platform.name}: {line}"
                  for line in value_assumptions(platform.impact, analysis.business.currency)]
    return lines


def compare_summaries(current: dict, previous: dict) -> list[dict]:
    """Per platform: this window's figures next to the previous window's, with changes."""
    before = {p["platform"]: p for p in previous["platforms"]}
    rows = []
    for now_ in current["platforms"]:
        was = before.get(now_["platform"], {})
        up, up_was = now_["uptime_pct"], was.get("uptime_pct")
        amount, amount_was = now_["impact"]["amount"], (was.get("impact") or {}).get("amount")
        rows.append({
            "platform": now_["platform"],
            "uptime_pct": up, "previous_uptime_pct": up_was,
            "uptime_change_pp": None if up is None or up_was is None else round(up - up_was, 4),
            "down_s": now_["down_s"], "previous_down_s": was.get("down_s"),
            "incidents": now_["incidents"], "previous_incidents": was.get("incidents"),
            "impact": amount, "previous_impact": amount_was,
            "impact_change": None if amount_was is None else round(amount - amount_was, 2),
        })
    return rows
