"""Measured impact for an analysed window: the configured series (and uploads) read, every
outage of the window measured, the assumptions calibrated (settings in, Measurement out)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from monitors.analysis.calibration import Suggestion, calibrate
from monitors.analysis.measured import Measurement, measure
from monitors.analysis.series import load_series
from monitors.analysis.uptime import Analysis
from monitors.config import BusinessSeries, Settings


def measure_analysis(
    settings: Settings,
    analysis: Analysis,
    extra: Iterable[tuple[BusinessSeries, bytes | Path]] = (),
) -> Measurement | None:
    """The measurement of the analysis' outages; None when the business gave no series."""
    extra = list(extra)
    if not settings.business.series and not extra:
        return None
    series = load_series(settings, extra)
    return measure(series, analysis.outages, settings.business, now=analysis.until)


def suggestions(settings: Settings, measurement: Measurement | None) -> list[Suggestion]:
    """What the data suggest for each assumption (empty without a measurement)."""
    if measurement is None:
        return []
    return calibrate(measurement, {p.id: p for p in settings.platforms}, settings.business)


def series_json(measurement: Measurement | None, settings: Settings) -> dict:
    """`summary --json`'s "series": what was read, what could not be, and the calibration."""
    if measurement is None:
        return {"loaded": [], "problems": [], "notes": [], "calibration": []}
    loaded = []
    for item in measurement.series.series:
        values = item.values
        loaded.append({
            "label": item.label, "platform": item.platform, "metric": item.metric,
            "step": item.step, "rows": item.rows, "synthetic": item.synthetic,
            "start": values.index[0].isoformat() if len(values) else None,
            "end": values.index[-1].isoformat() if len(values) else None,
        })
    return {
        "loaded": loaded,
        "problems": list(measurement.series.problems),
        "notes": list(measurement.series.notes),
        "calibration": [
            {"platform": s.platform, "field": s.field, "assumed": s.assumed,
             "suggested": s.suggested, "low": s.low, "high": s.high,
             "sentence": s.sentence, "toml": s.toml}
            for s in suggestions(settings, measurement)
        ],
    }
