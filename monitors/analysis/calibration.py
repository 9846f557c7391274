"""What the business's own numbers say about the assumptions behind the estimates.

Beside each assumption — `revenue_per_hour`, `leads_per_hour`, `ad_spend_per_day`,
`recapture` and the business-wide `off_hours_weight` — the value the last 90 days of data
suggest, with a 95 % range, a sentence for people and a TOML snippet to adopt it.
Ranges come from the spread of weekly figures (weeks as blocks keep the hour-to-hour
correlation honest); outage and recapture hours are left out, as in the baseline. A value
the data know too loosely (a range wider than half of it, a recapture share known no
better than ±20 points) is not suggested: "between 0 % and 100 %" is no advice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitors.analysis.baseline import Baseline
from monitors.analysis.impact import in_business_hours
from monitors.analysis.measured import Measurement
from monitors.config import Business, Platform

LOOKBACK = pd.Timedelta(days=90)
MIN_WEEKS = 3
MIN_OUTAGES = 2  # measured outages before a recapture share is suggested
MAX_SHARE_RANGE = 0.4  # a recapture share known no better than this is not suggested
MAX_RELATIVE_RANGE = 0.5  # nor a value whose 95 % range is wider than half of it
_FIELDS = {"revenue": "revenue_per_hour", "leads": "leads_per_hour",
           "ad_spend": "ad_spend_per_day"}


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One assumption next to what the data suggest."""

    platform: str | None  # None: a business-wide setting
    field: str  # the config key
    assumed: float
    suggested: float
    low: float
    high: float
    sentence: str
    toml: str
    basis: str  # which series, over which days


def calibrate(
    measurement: Measurement,
    platforms: Mapping[str, Platform],
    business: Business,
) -> list[Suggestion]:
    """Every suggestion the series support, platform by platform, then business-wide."""
    out: list[Suggestion] = []
    off_ratios: list[tuple[float, float]] = []
    for (pid, metric), baseline in measurement.baselines.items():
        platform = platforms.get(pid)
        series = measurement.series.get(pid, metric)
        if platform is None or series is None or metric not in _FIELDS:
            continue
        clean = _recent_clean(baseline)
        if clean is None:
            continue
        basis = f"{series.label}, {_days(clean, baseline)} days"
        if metric == "ad_spend":
            found = _per_day(baseline, clean)
        else:
            if series.step != "hour":
                continue
            found = _per_business_hour(baseline, clean, business)
            if metric == "revenue" and found is not None:
                off_ratios.append(_off_ratio(baseline, clean, business))
        if found is None or not _tight(*found):
            continue  # nothing sold, or too noisy to advise
        value, low, high = found
        field = _FIELDS[metric]
        out.append(_suggest(platform, field, getattr(platform.impact, field), value, low, high,
                            business, basis, series.synthetic))
    out += _recapture(measurement, platforms, business)
    ratio = _pooled(off_ratios)
    if ratio is not None:
        value, low, high = ratio
        out.append(Suggestion(
            platform=None, field="off_hours_weight", assumed=business.off_hours_weight,
            suggested=round(value, 2), low=round(low, 2), high=round(high, 2),
            sentence=(f"You assumed an hour outside business hours is worth "
                      f"{business.off_hours_weight:.0%} of one inside; the sales data say "
                      f"{value:.0%} ({low:.0%}–{high:.0%})."),
            toml=f"[business]\noff_hours_weight = {round(value, 2)}",
            basis="revenue series, business hours against the rest"))
    return out


def _tight(value: float, low: float, high: float) -> bool:
    """Whether a figure is known well enough to advise on."""
    return value > 0 and (high - low) / 2 <= MAX_RELATIVE_RANGE * value


def _recent_clean(baseline: Baseline) -> np.ndarray | None:
    """The clean points of the last 90 days, when there are enough weeks of them."""
    if not baseline.trusted:
        return None
    recent = baseline.index >= baseline.index[-1] - LOOKBACK
    clean = baseline.clean & recent & np.isfinite(baseline.actual)
    span_s = clean.sum() * baseline.step_s
    return clean if span_s >= MIN_WEEKS * 7 * 86400 else None


def _days(clean: np.ndarray, baseline: Baseline) -> int:
    """Days of data behind a figure."""
    return round(float(clean.sum()) * baseline.step_s / 86400)


def _weeks(baseline: Baseline) -> np.ndarray:
    return ((baseline.index.asi8 - baseline.index.asi8[0]) // (7 * 86400 * 10**9)).astype(int)


def _block_mean(values: np.ndarray, blocks: np.ndarray) -> tuple[float, float, float] | None:
    """Mean of per-block means, and a 95 % range from their spread."""
    frame = pd.DataFrame({"v": values, "b": blocks}).groupby("b")["v"].mean()
    if len(frame) < MIN_WEEKS:
        return None
    mean = float(frame.mean())
    half = 1.96 * float(frame.std(ddof=1)) / np.sqrt(len(frame))
    return mean, max(0.0, mean - half), mean + half


def _per_business_hour(baseline: Baseline, clean: np.ndarray,
                       business: Business) -> tuple[float, float, float] | None:
    inside = clean & in_business_hours(baseline.index.asi8, business)
    if inside.sum() < 24:
        return None
    return _block_mean(baseline.actual[inside], _weeks(baseline)[inside])


def _per_day(baseline: Baseline, clean: np.ndarray) -> tuple[float, float, float] | None:
    if baseline.step_s == 86400:
        return _block_mean(baseline.actual[clean], _weeks(baseline)[clean])
    daily = pd.Series(baseline.actual[clean], index=baseline.index[clean]).resample("D").sum()
    weeks = ((daily.index.asi8 - daily.index.asi8[0]) // (7 * 86400 * 10**9)).astype(int)
    return _block_mean(daily.to_numpy(), weeks)


def _off_ratio(baseline: Baseline, clean: np.ndarray, business: Business) -> tuple[float, float]:
    inside = in_business_hours(baseline.index.asi8, business)
    return (float(baseline.actual[clean & inside].mean()),
            float(baseline.actual[clean & ~inside].mean()))


def _pooled(pairs: Sequence[tuple[float, float]]) -> tuple[float, float, float] | None:
    pairs = [(a, b) for a, b in pairs if a > 0 and np.isfinite(a) and np.isfinite(b)]
    if not pairs:
        return None
    ratios = np.array([b / a for a, b in pairs])
    value = float(np.clip(sum(b for _, b in pairs) / sum(a for a, _ in pairs), 0, 1))
    spread = 1.96 * float(ratios.std(ddof=1)) if len(ratios) > 1 else 0.1 * value
    return value, float(np.clip(value - spread, 0, 1)), float(np.clip(value + spread, 0, 1))


def _recapture(measurement: Measurement, platforms: Mapping[str, Platform],
               business: Business) -> list[Suggestion]:
    """The share of lost sales that came back, where enough outages were measured."""
    out = []
    for pid, metrics in measurement.platforms.items():
        found = metrics.get("revenue") or metrics.get("orders")
        platform = platforms.get(pid)
        if found is None or platform is None or found.measured < MIN_OUTAGES:
            continue
        if found.loss is None or found.recaptured is None or found.loss.low <= 0:
            continue  # no loss the data can tell from noise: no share to speak of
        share = float(np.clip(found.recaptured.value / found.loss.value, 0, 1))
        low = float(np.clip(found.recaptured.low / found.loss.high, 0, 1))
        high = float(np.clip(found.recaptured.high / max(found.loss.low, 1e-9), 0, 1))
        if high - low > MAX_SHARE_RANGE:
            continue  # "somewhere between 0 % and 100 %" is no advice
        basis = f"{found.label}, {found.measured} outages"
        out.append(_suggest(platform, "recapture", platform.impact.recapture, share, low, high,
                            business, basis, found.synthetic))
    return out


def _suggest(platform: Platform, field: str, assumed: float, value: float, low: float,
             high: float, business: Business, basis: str, synthetic: bool) -> Suggestion:
    """A suggestion with its sentence and TOML, figures rounded for people."""
    digits = 2 if field == "recapture" else (0 if value >= 100 else 1)
    value, low, high = (round(float(x), digits) for x in (value, low, high))
    def say(x: float) -> str:
        if field == "recapture":
            return f"{x:.0%}"
        money = f"{business.currency} " if field != "leads_per_hour" else ""
        return f"{money}{x:,.{digits}f}"
    spread = (f"({say(low)}–{say(high)})" if field == "recapture"
              else f"± {say((high - low) / 2)}")
    what = _WHAT[field]
    period = basis.rsplit(", ", 1)[-1]
    label = " — synthetic data" if synthetic else ""
    sentence = (f"You assumed {say(assumed)}{what} on {platform.name}; the last {period} "
                f"say {say(value)} {spread}{label}.")
    toml = (f"# in the [[platforms]] table with id = \"{platform.id}\"\n"
            f"[platforms.impact]\n{field} = {value}  # measured: {basis}")
    return Suggestion(platform=platform.id, field=field, assumed=assumed, suggested=value,
                      low=low, high=high, sentence=sentence, toml=toml, basis=basis)


_WHAT = {"revenue_per_hour": "/h in business hours",
         "leads_per_hour": " leads/h in business hours",
         "ad_spend_per_day": "/day of ad spend",
         "recapture": " of lost sales coming back"}
