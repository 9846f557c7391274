"""Measured impact for people: beside each estimate (assumed) what the business's own numbers
say (measured), per platform and per incident, the calibration, and the SYNTHETIC label.

Every text says which figure is measured and which is assumed. The estimate of lost sales is
already net of the assumed recapture, so it stands beside the measured *net* loss (lost in
the outage minus the surplus measured after it); leads beside measured net leads; ad spend
at risk beside the spend measured while the platform was down.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from monitors.analysis.calibration import Suggestion
from monitors.analysis.impact import ImpactEstimate
from monitors.analysis.measured import Measurement, MetricMeasure, Range
from monitors.config import Platform
from monitors.output import present

WHAT = {"revenue": "Lost sales", "orders": "Orders lost", "leads": "Leads lost",
        "messages": "Messages lost", "ad_spend": "Ad spend while down"}
ESTIMATE_FIELD = {"revenue": "revenue", "leads": "leads", "ad_spend": "ad_spend"}
NOT_ENOUGH = "not enough history"
_MD_SPECIAL = re.compile(r"[\\`*_{}\[\]()#+\-.!|~<>$:&]")
COMPARISON_COLUMNS = ["platform", "name", "metric", "what", "estimated", "estimated_text",
                      "measured", "low", "high", "measured_text", "trusted", "reason",
                      "outages", "measured_outages", "series", "synthetic"]


def md_escape(text: object) -> str:
    """Text from a file or a user, shown as itself in Streamlit markdown: every ASCII
    punctuation mark backslash-escaped (no link, image, emphasis, colour or LaTeX)."""
    return _MD_SPECIAL.sub(r"\\\g<0>", str(text))


def amount(value: float | None, unit: str, currency: str) -> str:
    """A figure in its unit: money in the currency, counts with one decimal ('—' if None)."""
    if value is None:
        return "—"
    if unit == currency:
        return present.money(value, currency)
    return f"{value:,.1f} {unit}"


def range_text(found: Range | None, unit: str, currency: str) -> str:
    """'$1,011 (likely $700–$1,300)', or NOT_ENOUGH when there is no figure."""
    if found is None:
        return NOT_ENOUGH
    if found.low == found.high == found.value:  # read from the data (ad spend), no spread
        return amount(found.value, unit, currency)
    whole = unit == currency and abs(found.value) >= 10  # "$-5.43–$1,338" reads as noise
    low, high = (amount(round(x) if whole else x, unit, currency)
                 for x in (found.low, found.high))
    if unit != currency:  # "12.0 orders (likely 8.1–15.2 orders)" reads twice: one unit
        low = low.removesuffix(f" {unit}")
    return f"{amount(found.value, unit, currency)} (likely {low}–{high})"


def headline_figure(measure: MetricMeasure) -> Range | None:
    """The figure that stands beside the estimate: net of recapture where there is one."""
    return measure.net if measure.net is not None else measure.loss


def estimated_value(estimate: ImpactEstimate | None, metric: str) -> float | None:
    """The assumed figure of this metric (None: the estimate has no such figure)."""
    field = ESTIMATE_FIELD.get(metric)
    if field is None:
        return None
    return float(getattr(estimate, field)) if estimate is not None else 0.0


def comparison(measurement: Measurement | None, impacts: Mapping[str, ImpactEstimate],
               platforms: Sequence[Platform], currency: str) -> pd.DataFrame:
    """One row per platform and measured metric with outages in the window: the estimate
    (assumed) and the measured figure with its likely range, or why there is none."""
    names = {p.id: p.name for p in platforms}
    records = []
    for pid, metrics in ({} if measurement is None else measurement.platforms).items():
        if pid not in names:
            continue
        for metric, found in metrics.items():
            if not found.outages:  # nothing happened to measure: no row of zeros
                continue
            figure = headline_figure(found)
            est = estimated_value(impacts.get(pid), metric)
            unit = found.unit
            records.append({
                "platform": pid, "name": names[pid], "metric": metric,
                "what": WHAT.get(metric, metric), "estimated": est,
                "estimated_text": (amount(est, unit, currency) if est is not None
                                   else "— (no assumption)"),
                "measured": figure.value if figure else None,
                "low": figure.low if figure else None, "high": figure.high if figure else None,
                "measured_text": _measured_text(found, figure, currency),
                "trusted": figure is not None, "reason": found.reason or "",
                "outages": found.outages, "measured_outages": found.measured,
                "series": found.label, "synthetic": found.synthetic,
            })
    return pd.DataFrame(records, columns=COMPARISON_COLUMNS)


def _measured_text(found: MetricMeasure, figure: Range | None, currency: str) -> str:
    if figure is None:
        return no_figure(found.reason)
    text = range_text(figure, found.unit, currency)
    if found.outages and found.measured < found.outages:
        text += f", {found.measured} of {found.outages} outages"
    return text


def no_figure(reason: str | None) -> str:
    """Why there is no measured figure, in the words of the page: "not enough history (2.1 of
    3 weeks needed)" for a baseline that can't be trusted, else "not measured (the series
    does not cover this outage)"."""
    reason = reason or ""
    if not reason or reason.startswith(NOT_ENOUGH):
        return reason or NOT_ENOUGH
    return f"not measured ({reason})"


def comparison_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The comparison as the page and the report show it."""
    rows = [{
        "Platform": r.name, "Figure": r.what + (" (net)" if r.metric != "ad_spend" else ""),
        "Estimated (assumed)": r.estimated_text, "Measured (your numbers)": r.measured_text,
        "From": r.series + (" · SYNTHETIC" if r.synthetic and "SYNTHETIC" not in
                            r.series.upper() else ""),
    } for r in frame.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["Platform", "Figure", "Estimated (assumed)",
                                       "Measured (your numbers)", "From"])


def headline_lines(frame: pd.DataFrame) -> list[str]:
    """One line per platform and figure: 'Instagram · lost sales: estimated $1,234 (assumed) ·
    measured $1,011 (likely $700–$1,300)'."""
    lines = []
    for r in frame.itertuples(index=False):
        assumed = f"{r.estimated_text} (assumed)" if r.estimated is not None else "—"
        lines.append(f"{r.name} · {r.what.lower()}: estimated {assumed} · "
                     f"measured {r.measured_text}")
    return lines


def incident_rows(measurement: Measurement | None, names: Mapping[str, str], tz: str,
                  currency: str) -> pd.DataFrame:
    """One row per outage and metric: expected, actual, lost, recaptured and net (measured)."""
    records = []
    items = [] if measurement is None else sorted(
        measurement.incidents, key=lambda m: (m.start, m.platform, m.metric), reverse=True)
    for m in items:
        records.append({
            "Platform": names.get(m.platform, m.platform),
            "Started": present.local_time(m.start, tz, "%d %b %H:%M"),
            "Figure": WHAT.get(m.metric, m.metric),
            "Expected": amount(m.expected, m.unit, currency),
            "Actual": amount(m.actual, m.unit, currency),
            "Lost": range_text(m.loss, m.unit, currency) if m.trusted else "—",
            "Came back": range_text(m.recaptured, m.unit, currency) if m.recaptured else "—",
            "Net": range_text(m.net, m.unit, currency) if m.net else "—",
            "Why no figure": "" if m.trusted else no_figure(m.reason),
        })
    return pd.DataFrame(records, columns=["Platform", "Started", "Figure", "Expected",
                                          "Actual", "Lost", "Came back", "Net",
                                          "Why no figure"])


def chart_choices(measurement: Measurement | None, names: Mapping[str, str],
                  tz: str) -> list[tuple[int, str]]:
    """(index into measurement.incidents, label) of every incident with a baseline to draw:
    measured ones first, the largest measured loss first (the one a meeting asks about),
    then newest first."""
    if measurement is None:
        return []
    choices = []
    for index, m in enumerate(measurement.incidents):
        if (m.platform, m.metric) not in measurement.baselines:
            continue
        label = (f"{names.get(m.platform, m.platform)} · "
                 f"{present.local_time(m.start, tz, '%d %b %H:%M')} · "
                 f"{WHAT.get(m.metric, m.metric).lower()}")
        choices.append((index, label + ("" if m.trusted else " (not measured)"), m))
    choices.sort(key=lambda c: (not c[2].trusted, c[2].metric != "revenue",
                                -(c[2].loss.value if c[2].loss else 0.0),
                                -c[2].start.timestamp()))
    return [(index, label) for index, label, _ in choices]


def calibration_toml(suggestions: Sequence[Suggestion]) -> str:
    """One TOML snippet to adopt every suggestion: a [platforms.impact] block per platform
    (to merge into that platform's [[platforms]] table) and the [business] values."""
    by_platform: dict[str | None, list[Suggestion]] = {}
    for s in suggestions:
        by_platform.setdefault(s.platform, []).append(s)
    parts = []
    for platform, items in by_platform.items():
        lines = [f"{s.field} = {s.suggested:g}  # measured {s.low:g}–{s.high:g}; assumed "
                 f"{s.assumed:g}" for s in items]
        if platform is None:
            parts.append("[business]\n" + "\n".join(lines))
        else:
            parts.append(f'# in the [[platforms]] table with id = "{platform}"\n'
                         "[platforms.impact]\n" + "\n".join(lines))
    return "\n\n".join(parts)


@dataclass(frozen=True, slots=True)
class MeasuredSummary:
    """What the report (and any page) shows of measured impact, as text and tables."""

    comparison: pd.DataFrame  # comparison_table()
    lines: list[str]  # headline_lines()
    calibration: list[str]  # the sentences
    toml: str  # calibration_toml()
    synthetic: str  # synthetic_note(), "" for real data
    problems: list[str]  # series that could not be read (one line each)


def synthetic_note(measurement: Measurement | None, *, demo: bool = False) -> str:
    """The label for measured figures from synthetic series ('' for real data)."""
    if measurement is None or not measurement.synthetic:
        return ""
    labels = sorted({s.label.split(": ")[0] for s in measurement.series.series if s.synthetic})
    what = "DEMO data" if demo else "SYNTHETIC sample data"
    return (f"{what}: the measured figures come from made-up series ({', '.join(labels)}), "
            "not from a real business.")


def summarise(measurement: Measurement | None, impacts: Mapping[str, ImpactEstimate],
              platforms: Sequence[Platform], currency: str,
              suggestions: Sequence[Suggestion] = (), *, demo: bool = False) -> MeasuredSummary:
    """Everything measured, ready to show."""
    frame = comparison(measurement, impacts, platforms, currency)
    return MeasuredSummary(
        comparison=comparison_table(frame), lines=headline_lines(frame),
        calibration=[s.sentence for s in suggestions], toml=calibration_toml(suggestions),
        synthetic=synthetic_note(measurement, demo=demo),
        problems=[] if measurement is None else list(measurement.series.problems),
    )
