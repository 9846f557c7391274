"""Impact measured from the business's own numbers: expected − actual over each outage.

For every outage of a platform with a series, per metric:
    loss        = Σ (expected − actual) over the points the outage overlaps
    recaptured  = Σ (actual − expected) over the `recapture_window` after it (the surplus
                  when customers come back; other outages' hours are not counted, and
                  only what the series holds yet: 0 right after the outage)
    net         = loss − recaptured
each with a 95 % interval from baseline.Baseline.error_range. Ad spend is different: the
money spent while the platform was down is what was wasted (pro rata of the day for a
daily series), read from the data, with no recapture.
A figure is None ("not enough history") when the baseline can't be trusted, the series
does not cover the outage, or has no data for most of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from monitors.analysis.baseline import Baseline, fit_baseline
from monitors.analysis.impact import costs_nothing
from monitors.analysis.incidents import Outage
from monitors.analysis.series import LoadedSeries, SeriesSet
from monitors.config import Business
from monitors.config_series import MONEY_METRICS
from monitors.timeutil import utcnow

MAX_MISSING = 0.25  # share of an outage's points without data beyond which it isn't measured


@dataclass(frozen=True, slots=True)
class Range:
    """A measured figure and its 95 % interval."""

    value: float
    low: float
    high: float

    def to_json(self) -> dict:
        """{"value", "low", "high"} rounded to cents."""
        return {"value": round(self.value, 2), "low": round(self.low, 2),
                "high": round(self.high, 2)}


@dataclass(frozen=True, slots=True)
class IncidentMeasure:
    """One outage, one metric: what the numbers say it cost."""

    platform: str
    metric: str
    start: datetime
    end: datetime
    unit: str  # the currency for money metrics, else the metric ("orders")
    label: str  # the series it was measured on
    synthetic: bool
    loss: Range | None = None
    recaptured: Range | None = None
    net: Range | None = None
    expected: float | None = None
    actual: float | None = None
    reason: str | None = None  # why there is no figure

    @property
    def trusted(self) -> bool:
        """True when there is a figure."""
        return self.loss is not None

    def to_json(self) -> dict | None:
        """The incident's measured object for `incidents --json`; None without a figure."""
        if self.loss is None:
            return None
        return {"loss": round(self.loss.value, 2), "low": round(self.loss.low, 2),
                "high": round(self.loss.high, 2), "unit": self.unit,
                "recaptured": None if self.recaptured is None else self.recaptured.to_json(),
                "net": None if self.net is None else self.net.to_json(),
                "expected": None if self.expected is None else round(self.expected, 2),
                "actual": None if self.actual is None else round(self.actual, 2),
                "series": self.label, "synthetic": self.synthetic}


@dataclass(frozen=True, slots=True)
class MetricMeasure:
    """A platform's measured figures for one metric over the window's outages."""

    metric: str
    unit: str
    label: str
    synthetic: bool
    loss: Range | None
    recaptured: Range | None
    net: Range | None
    measured: int  # outages with a figure
    outages: int  # outages in the window
    reason: str | None = None

    def to_json(self) -> dict | None:
        """The `summary --json` object for this metric; None when nothing could be measured."""
        if self.loss is None:
            return None
        out = {"loss": round(self.loss.value, 2), "low": round(self.loss.low, 2),
               "high": round(self.loss.high, 2),
               "recaptured": None if self.recaptured is None else round(self.recaptured.value, 2),
               "unit": self.unit, "outages_measured": self.measured, "outages": self.outages,
               "series": self.label, "synthetic": self.synthetic}
        if self.recaptured is not None:
            out["recaptured_low"] = round(self.recaptured.low, 2)
            out["recaptured_high"] = round(self.recaptured.high, 2)
        if self.net is not None:
            out["net"] = self.net.to_json()
        return out


@dataclass
class Measurement:
    """Measured impact of a window's outages, and the baselines behind it."""

    incidents: list[IncidentMeasure] = field(default_factory=list)
    platforms: dict[str, dict[str, MetricMeasure]] = field(default_factory=dict)
    baselines: dict[tuple[str, str], Baseline] = field(default_factory=dict)
    series: SeriesSet = field(default_factory=SeriesSet)

    def for_outage(self, outage: Outage) -> list[IncidentMeasure]:
        """The measures of one outage (one per metric with a series)."""
        return [m for m in self.incidents
                if m.platform == outage.platform and m.start == outage.start]

    def outage_json(self, outage: Outage) -> dict:
        """`"measured"` of one outage in `incidents --json`: metric -> object or null."""
        return {m.metric: m.to_json() for m in self.for_outage(outage)}

    def platform_json(self, platform: str) -> dict:
        """`"measured"` of one platform in `summary --json`: metric -> object or null."""
        return {metric: m.to_json() for metric, m in self.platforms.get(platform, {}).items()}

    @property
    def synthetic(self) -> bool:
        """True when any series is synthetic."""
        return self.series.synthetic


def measure(
    series: SeriesSet,
    outages: Sequence[Outage],
    business: Business,
    *,
    now: datetime | None = None,
) -> Measurement:
    """Baselines for every series and measured impact for every outage on a measured platform."""
    now = now or utcnow()
    window_s = business.measured.recapture_window
    result = Measurement(series=series)
    by_platform: dict[str, list[Outage]] = {}
    for outage in outages:
        if not costs_nothing(outage):
            by_platform.setdefault(outage.platform, []).append(outage)
    for item in series.series:
        mine = sorted(by_platform.get(item.platform, []), key=lambda o: o.start)
        spans = [(o.start, (o.end or now) + timedelta(seconds=window_s)) for o in mine]
        baseline = fit_baseline(item, spans, min_weeks=business.measured.min_weeks)
        result.baselines[(item.platform, item.metric)] = baseline
        unit = business.currency if item.metric in MONEY_METRICS else item.metric
        measures = [_measure_one(baseline, item, o, mine, unit, window_s, now) for o in mine]
        result.incidents += measures
        result.platforms.setdefault(item.platform, {})[item.metric] = _combine(
            item, unit, measures, baseline)
    return result


def _measure_one(
    baseline: Baseline, item: LoadedSeries, outage: Outage, others: Sequence[Outage],
    unit: str, window_s: float, now: datetime,
) -> IncidentMeasure:
    end = outage.end or now
    base = IncidentMeasure(platform=item.platform, metric=item.metric, start=outage.start,
                           end=end, unit=unit, label=item.label, synthetic=item.synthetic)
    if not baseline.trusted:
        return replace(base, reason=baseline.reason)
    first, last = baseline.index[0], baseline.index[-1] + pd.Timedelta(seconds=baseline.step_s)
    after = end + timedelta(seconds=window_s)  # recapture: what of it the series holds yet
    if outage.start < first or end > last:
        return replace(base, reason="the series does not cover this outage")
    where, share = baseline.positions(outage.start, end)
    present = np.isfinite(baseline.actual[where])
    if not len(where) or present.mean() < 1 - MAX_MISSING:
        return replace(base, reason="the series has no data for most of the outage")
    if item.metric == "ad_spend":  # spent while down: wasted, read from the data
        spent = float(np.nansum(baseline.actual[where] * share))
        return replace(base, loss=Range(spent, spent, spent), actual=spent)
    where = where[present]
    expected = float(baseline.expected[where].sum())
    actual = float(baseline.actual[where].sum())
    loss = expected - actual
    low, high = baseline.error_range(where)
    later = _recapture_points(baseline, end, after, outage, others)
    rec_exp = float(baseline.expected[later].sum())
    recaptured = float(baseline.actual[later].sum()) - rec_exp
    r_low, r_high = baseline.error_range(later) if len(later) else (0.0, 0.0)
    both = np.concatenate([where, later])
    n_low, n_high = baseline.error_range(both)
    net = loss - recaptured
    return replace(
        base, expected=expected, actual=actual,
        loss=Range(loss, loss + low, loss + high),
        recaptured=Range(recaptured, recaptured - r_high, recaptured - r_low),
        net=Range(net, net + n_low, net + n_high),
    )


def _recapture_points(baseline: Baseline, end: datetime, after: datetime, outage: Outage,
                      others: Sequence[Outage]) -> np.ndarray:
    """Points in the recapture window that no other outage touches, with data."""
    where, _ = baseline.positions(end, after)
    outage_where, _ = baseline.positions(outage.start, end)
    keep = ~np.isin(where, outage_where)  # the hour the outage ended in is the outage's
    for other in others:
        if other is outage or other.start >= after or (other.end or after) <= end:
            continue
        theirs, _ = baseline.positions(other.start, other.end or after)
        keep &= ~np.isin(where, theirs)
    where = where[keep]
    return where[np.isfinite(baseline.actual[where])]


def _combine(item: LoadedSeries, unit: str, measures: Sequence[IncidentMeasure],
             baseline: Baseline) -> MetricMeasure:
    """A platform's figures: sums, with intervals added in quadrature (disjoint windows)."""
    done = [m for m in measures if m.trusted]
    reason = None if done or not measures else (measures[0].reason or "not measurable")
    if not baseline.trusted:
        reason = baseline.reason
    loss = _sum([m.loss for m in done]) if done else (
        Range(0.0, 0.0, 0.0) if baseline.trusted and not measures else None)
    recaptured = _sum([m.recaptured for m in done if m.recaptured is not None])
    net = _sum([m.net for m in done if m.net is not None])
    return MetricMeasure(metric=item.metric, unit=unit, label=item.label,
                         synthetic=item.synthetic, loss=loss,
                         recaptured=recaptured if item.metric != "ad_spend" else None,
                         net=net if item.metric != "ad_spend" else None,
                         measured=len(done), outages=len(measures), reason=reason)


def _sum(ranges: Sequence[Range | None]) -> Range | None:
    ranges = [r for r in ranges if r is not None]
    if not ranges:
        return None
    value = sum(r.value for r in ranges)
    below = float(np.sqrt(sum((r.value - r.low) ** 2 for r in ranges)))
    above = float(np.sqrt(sum((r.high - r.value) ** 2 for r in ranges)))
    return Range(value, value - below, value + above)


def around(
    baseline: Baseline, start: datetime, end: datetime, *, hours: float = 24.0
) -> pd.DataFrame:
    """Actual vs expected (with the 95 % band of one point) from `hours` before to after."""
    pad = timedelta(hours=hours)
    where, _ = baseline.positions(start - pad, end + pad)
    band_low, band_high = _point_band(baseline)
    floor = 0.0 if np.nanmin(baseline.actual, initial=0.0) >= 0 else -np.inf  # no negative sales
    return pd.DataFrame({
        "ts": baseline.index[where],
        "actual": baseline.actual[where],
        "expected": baseline.expected[where],
        "low": np.maximum(baseline.expected[where] + baseline.scale[where] * band_low, floor),
        "high": baseline.expected[where] + baseline.scale[where] * band_high,
        "outage": _mask_in(baseline, where, start, end),
    })


def _point_band(baseline: Baseline) -> tuple[float, float]:
    z = baseline.z[np.isfinite(baseline.z)]
    if len(z) < 20:
        return -1.96, 1.96
    low, high = np.quantile(z, [0.025, 0.975])
    return float(low), float(high)


def _mask_in(baseline: Baseline, where: np.ndarray, start: datetime, end: datetime) -> np.ndarray:
    inside, _ = baseline.positions(start, end)
    return np.isin(where, inside)

