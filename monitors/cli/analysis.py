"""CLI `incidents` and `summary`: readable tables by default, DESIGN.md JSON with --json."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence, Set
from datetime import datetime

from monitors.analysis.incidents import Outage, group_by_provider, outage_to_json
from monitors.analysis.measure_window import measure_analysis, series_json
from monitors.analysis.summary import summary_json
from monitors.analysis.uptime import Analysis
from monitors.analysis.windows import analyse_history
from monitors.config import ConfigError, Settings
from monitors.timeutil import format_duration, format_local, parse_window, utcnow


def _analysis(args: argparse.Namespace, settings: Settings, now: datetime) -> Analysis:
    window = parse_window(args.since, end=now)
    try:
        return analyse_history(settings, window, platforms=args.platform, now=now)
    except ValueError as exc:
        if "unknown platform" in str(exc):
            raise ConfigError(f"--platform: {exc}") from None
        raise


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Set[int] = frozenset()
) -> str:
    """A plain-text table: columns padded to their widest cell, `right` ones right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        """One row, padded."""
        padded = [
            cell.rjust(width) if i in right else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *map(line, rows)])


def _money(amount: float, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def _lag(outage: Outage) -> str:
    if outage.official_lag_s is None:
        return "—"
    text = format_duration(abs(outage.official_lag_s))
    return f"+{text}" if outage.official_lag_s >= 0 else f"-{text}"


def _heading(kind: str, analysis: Analysis, since: str) -> str:
    tz = analysis.business.timezone
    return (f"{kind}, last {since} ({format_local(analysis.window.start, tz)} – "
            f"{format_local(analysis.until, tz)}), times in {tz}")


def render_incidents(analysis: Analysis, since: str, now: datetime | None = None) -> str:
    """The `incidents` table, provider-wide incidents and a legend."""
    tz = analysis.business.timezone
    head = _heading("Incidents", analysis, since)
    if not analysis.outages:
        return f"{head}\n\nNo outages detected."
    rows = [[
        format_local(o.start, tz, "%Y-%m-%d %H:%M"),
        o.name or o.platform,
        o.severity + (" (maintenance)" if o.maintenance else ""),
        format_duration(o.duration_s(now)) + ("" if o.end else " (ongoing)"),
        o.cause,
        ", ".join(o.checks) or "—",
        format_duration((o.detected_at - o.start).total_seconds()),
        _lag(o),
        _money(o.impact.amount, o.impact.currency) if o.impact else "—",
    ] for o in analysis.outages]
    parts = [head, "", table(
        ["Start", "Platform", "Severity", "Duration", "Probable cause", "Failing", "Detected in",
         "Vendor lag", "Impact"], rows, right={3, 6, 7, 8},
    )]
    groups = group_by_provider(analysis.outages)
    if groups:
        parts += ["", "Provider-wide:"]
        parts += [f"  {g.title} from {format_local(g.start, tz, '%Y-%m-%d %H:%M')}"
                  for g in groups]
    parts += ["", "Vendor lag: how long after our detection the status page acknowledged it "
              "(- = the vendor was first). Impact is an estimate: see `summary`."]
    return "\n".join(parts)


def render_summary(analysis: Analysis, since: str, data: dict | None = None) -> str:
    """The `summary` table: uptime, outage time, incidents and impact per platform."""
    data = data or summary_json(analysis)
    currency = analysis.business.currency
    rows = []
    for p in data["platforms"]:
        pct = p["uptime_pct"]
        rows.append([
            p["name"], "no data" if pct is None else f"{pct:.3f}%",
            format_duration(p["down_s"]), format_duration(p["degraded_s"]),
            format_duration(p["unknown_s"]), str(p["incidents"]),
            _money(p["impact"]["amount"], currency),
        ])
    total = sum(p["impact"]["amount"] for p in data["platforms"])
    rows.append(["Total", "", "", "", "", str(sum(p["incidents"] for p in data["platforms"])),
                 _money(total, currency)])
    parts = [_heading("Summary", analysis, since), "", table(
        ["Platform", "Uptime", "Down", "Degraded", "Unknown", "Incidents", "Impact"], rows,
        right={1, 2, 3, 4, 5, 6},
    )]
    offline = data["vantage_offline_s"]
    if offline:
        each = ", ".join(f"{v} {format_duration(s)}" for v, s in data["vantages_offline_s"].items())
        parts += ["", f"Own network offline: {format_duration(offline)} ({each}); "
                  "left out of uptime."]
    parts += ["", "Uptime counts down time only; unknown time is left out.",
              "Impact assumptions:",
              *(f"  - {a}" for a in data["assumptions"])]
    parts += measured_lines(data)
    return "\n".join(parts)


def measured_lines(data: dict) -> list[str]:
    """The measured figures of a summary, said as measured, with their 95 % ranges."""
    lines = []
    for p in data["platforms"]:
        for metric, m in (p.get("measured") or {}).items():
            if m is None:
                lines.append(f"  - {p['name']} {metric}: not enough history to measure")
                continue
            unit = m["unit"]
            said = (f"  - {p['name']} {metric}: lost {_amount(m['loss'], unit)} "
                    f"(95% range {_amount(m['low'], unit)} to {_amount(m['high'], unit)})")
            if m.get("recaptured") is not None:
                said += (f", recaptured {_amount(m['recaptured'], unit)}, net "
                         f"{_amount(m['net']['value'], unit)}")
            said += f" over {m['outages_measured']} of {m['outages']} outages"
            lines.append(said + (" [SYNTHETIC data]" if m.get("synthetic") else ""))
    series = data.get("series") or {}
    lines += [f"  ! {problem}" for problem in series.get("problems", [])]
    lines += [f"  - {s['sentence']}" for s in series.get("calibration", [])]
    if not lines:
        return []
    return ["", "Measured from the business's own numbers ([[business.series]]):", *lines]


def _amount(value: float, unit: str) -> str:
    if unit.isupper() and len(unit) == 3:
        return _money(value, unit)
    return f"{value:,.1f} {unit}"


def summary_data(settings: Settings, analysis: Analysis) -> dict:
    """summary_json with the measured figures and the series read (when any are configured)."""
    measurement = measure_analysis(settings, analysis)
    data = summary_json(analysis, measurement)
    data["series"] = series_json(measurement, settings)
    return data


def cli_incidents(args: argparse.Namespace, settings: Settings) -> int:
    """`python -m monitors incidents`: outages in the window (table, or JSON with --json)."""
    now = utcnow()
    analysis = _analysis(args, settings, now)
    if getattr(args, "json", False):
        measurement = measure_analysis(settings, analysis)
        rows = []
        for outage in analysis.outages:
            row = outage_to_json(outage, now=now)
            row["measured"] = {} if measurement is None else measurement.outage_json(outage)
            rows.append(row)
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render_incidents(analysis, args.since, now))
    return 0


def cli_summary(args: argparse.Namespace, settings: Settings) -> int:
    """`python -m monitors summary`: uptime, outage time, incidents and impact per platform."""
    now = utcnow()
    analysis = _analysis(args, settings, now)
    data = summary_data(settings, analysis)
    if getattr(args, "json", False):
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(render_summary(analysis, args.since, data))
    return 0
