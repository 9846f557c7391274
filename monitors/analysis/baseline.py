"""What the business would have expected without its outages, hour by hour, and how sure.

The baseline of a series is a seasonal decomposition (statsmodels' STL) by hour of week —
by day of week for a daily series — fitted on the business's wall clock, so a DST change
moves the clock, not the pattern. Outage hours and the recapture hours after them are left
out of the fit, and so are hours and days the first fit finds far off (holidays, outages
the monitor never saw). A left-out hour is expected to be what the same hour of the four
weeks before and after was (around STL's trend).

The uncertainty is empirical and out of sample: every clean hour is predicted the same way
without itself; those errors, standardised by hour of day, are summed over blocks as long
as the window measured (which keeps their correlation from hour to hour) and scaled to the
window's own hours. The 2.5 % and 97.5 % points of those sums, widened by 10 %, bound the
measured figure; tests check that the interval covers an injected loss, recapture or zero
in at least 90 % of seeded runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from statsmodels.tsa.seasonal import STL

from monitors.analysis.series import LoadedSeries

WIDEN = 1.1  # held-out residuals, widened for noise the outage itself adds (tests: coverage)
QUANTILES = (0.025, 0.975)
BLOCKS = 400  # residual blocks sampled per window
HOUR_HARD, DAY_HARD = 4.5, 4.0  # |z| beyond which an hour / a day is left out of the fit
_STL = {"seasonal": 7, "robust": False, "seasonal_jump": 1, "trend_jump": 24,
        "low_pass_jump": 24}


@dataclass(frozen=True)
class Baseline:
    """A series with its expected values and error model, on the series' own UTC grid."""

    index: pd.DatetimeIndex  # UTC
    actual: np.ndarray  # NaN: no data
    expected: np.ndarray
    scale: np.ndarray  # typical size of a residual at each point
    clean: np.ndarray  # bool: used for the fit and the error model
    z: np.ndarray  # standardised residuals of the clean points (NaN elsewhere)
    step_s: int
    weeks: float  # clean history, in weeks
    trusted: bool
    reason: str | None = None
    good: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # clean positions
    runs: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))  # cumsum of clean

    def positions(self, start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray]:
        """The points overlapping [start, end) and the share of each point inside it."""
        lo, hi = pd.Timestamp(start).value, pd.Timestamp(end).value
        begins = self.index.asi8  # ns (fit_baseline makes it so)
        n = len(begins)
        first = max(int(np.searchsorted(begins, lo, side="right")) - 1, 0)
        where = np.arange(first, int(np.searchsorted(begins, hi, side="left")))
        if not len(where):
            return where, np.zeros(0)
        ends = np.where(where + 1 < n, begins[np.minimum(where + 1, n - 1)],
                        begins[where] + self.step_s * 1_000_000_000)
        overlap = np.minimum(ends, hi) - np.maximum(begins[where], lo)
        keep = overlap > 0
        return where[keep], overlap[keep] / (ends[keep] - begins[where[keep]])

    def error_range(self, where: np.ndarray) -> tuple[float, float]:
        """The 2.5 % and 97.5 % points of (actual - expected) summed over these points."""
        k = len(where)
        if k == 0:
            return 0.0, 0.0
        scale = self.scale[where]
        good, runs = self.good, self.runs
        starts = np.flatnonzero(runs[k:] - runs[:-k] == k) if k <= len(self.clean) else good[:0]
        if len(starts) >= 30:  # blocks of consecutive clean points: their correlation kept
            pick = starts[np.linspace(0, len(starts) - 1, min(BLOCKS, len(starts))).astype(int)]
            draws = self.z[pick[:, None] + np.arange(k)[None, :]]
        else:  # too few runs that long: independent clean points, a little wider
            rng = np.random.default_rng(k)
            draws = self.z[rng.choice(good, size=(BLOCKS, k))] * 1.1
        sums = (draws * scale[None, :]).sum(axis=1) * WIDEN
        low, high = np.quantile(sums, QUANTILES)
        return float(low), float(high)


def fit_baseline(
    series: LoadedSeries,
    exclude: Sequence[tuple[datetime, datetime]] = (),
    *,
    min_weeks: int = 3,
) -> Baseline:
    """The baseline of a series with the stretches `exclude` (outages, recapture) left out."""
    values = series.values
    index = pd.DatetimeIndex(values.index).as_unit("ns")
    actual = values.to_numpy(dtype=float)
    period, per_week = (168, 168) if series.step == "hour" else (7, 7)
    left_out = _mask(index, series.step_s, exclude)
    local, where = _local_grid(index, series.timezone, series.step)
    clean_local = _to_local(np.isfinite(actual) & ~left_out, where, len(local), np.all)
    y = _to_local(actual, where, len(local), np.mean)
    weeks = clean_local.sum() / per_week
    if len(local) < 2 * period + 1 or weeks < min_weeks:
        return _untrusted(index, actual, series.step_s, weeks,
                          f"not enough history ({weeks:.1f} of {min_weeks} weeks needed)")
    expected, trend, clean_local = _fit(y, clean_local, period, local)
    # a left-out point is predicted from the same point of its neighbouring cycles (around the
    # trend), and the error model is how far each clean point is from that same prediction
    # made without it: out of sample, as the outage's own points are
    predicted = trend + _neighbours(np.where(clean_local, y - trend, np.nan), period)
    expected = np.where(clean_local | ~np.isfinite(predicted), expected, predicted)
    held_out = np.where(clean_local, y - predicted, np.nan)
    scale = _scale(held_out, local, period)
    expected_utc, scale_utc = expected[where], scale[where]
    clean = clean_local[where] & np.isfinite(actual) & ~left_out & np.isfinite(held_out[where])
    z = np.where(clean, held_out[where] / scale_utc, np.nan)
    return Baseline(index=index, actual=actual, expected=expected_utc, scale=scale_utc,
                    clean=clean, z=z, step_s=series.step_s, weeks=float(weeks), trusted=True,
                    good=np.flatnonzero(clean), runs=np.r_[0, np.cumsum(clean)])


def _fit(
    y: np.ndarray, clean: np.ndarray, period: int, local: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(expected, trend, clean): what is far off its neighbouring cycles is left out (holidays,
    outages the monitor never saw), then one STL fit."""
    residual = np.where(clean, y - _neighbours(np.where(clean, y, np.nan), period), np.nan)
    scale = _scale(residual, local, period)
    # an hour far *below* its neighbours is an outage nobody saw; one far above is a big
    # order (sales are skewed: flagging those would pull a small shop's baseline down)
    far = clean & (residual < -HOUR_HARD * scale)
    if period == 168:  # whole days far off, though no hour alone is
        day = ((local.asi8 - local[0].normalize().value) // (86400 * 10**9)).astype(np.int64)
        sums = np.bincount(day, np.nan_to_num(residual))
        spread = np.sqrt(np.bincount(day, np.where(clean, scale**2, 0.0)))
        off = np.abs(sums) > DAY_HARD * np.maximum(spread, 1e-9)
        far |= clean & off[day]
    clean = clean & ~far
    fit = STL(_fill(np.where(clean, y, np.nan), period), period=period, **_STL).fit(
        inner_iter=2)
    trend = np.asarray(fit.trend)
    return trend + np.asarray(fit.seasonal), trend, clean


def _scale(residual: np.ndarray, local: pd.DatetimeIndex, period: int) -> np.ndarray:
    """Robust spread of the residuals by hour of day (by weekday for a daily series)."""
    group = local.hour.to_numpy() if period == 168 else local.day_of_week.to_numpy()
    size = 24 if period == 168 else 7
    overall = _mad(residual)
    spread = np.array([_mad(residual[group == g]) for g in range(size)])
    spread = np.where(np.isfinite(spread), spread, overall)
    floor = max(overall * 0.25, 1e-6)
    return np.maximum(spread, floor)[group]


def _mad(values: np.ndarray) -> float:
    """Robust spread: the MAD, or — for sparse counts, where most deviations are 0 and the
    MAD collapses — the mean absolute deviation (both scaled to a normal's sd)."""
    values = values[np.isfinite(values)]
    if len(values) < 5:
        return float("nan")
    deviation = np.abs(values - np.median(values))
    return float(max(1.4826 * np.median(deviation), 1.2533 * deviation.mean()))


def _neighbours(y: np.ndarray, period: int) -> np.ndarray:
    """Each point predicted from the same point of the 4 cycles before and after (NaN: none)."""
    n = len(y)
    shifted = np.full((8, n), np.nan)
    for row, k in enumerate((-1, 1, -2, 2, -3, 3, -4, 4)):
        lag = k * period
        if abs(lag) >= n:
            continue
        if lag > 0:
            shifted[row, lag:] = y[:-lag]
        else:
            shifted[row, :lag] = y[-lag:]
    count = np.isfinite(shifted).sum(axis=0)
    total = np.nansum(shifted, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _fill(y: np.ndarray, period: int) -> np.ndarray:
    """Missing or left-out points from the same point of nearby cycles, else interpolated."""
    out = np.where(np.isfinite(y), y, _neighbours(y, period))
    if np.isnan(out).any():
        idx = np.arange(len(out))
        ok = np.isfinite(out)
        out = np.interp(idx, idx[ok], out[ok]) if ok.any() else np.zeros(len(out))
    return out


def _mask(index: pd.DatetimeIndex, step_s: int,
          spans: Sequence[tuple[datetime, datetime]]) -> np.ndarray:
    """True for points that overlap any of the spans."""
    out = np.zeros(len(index), bool)
    if not spans or not len(index):
        return out
    begins = index.asi8 if index.unit == "ns" else index.as_unit("ns").asi8
    ends = begins + step_s * 1_000_000_000
    for start, end in spans:
        lo, hi = pd.Timestamp(start).value, pd.Timestamp(end).value
        first = np.searchsorted(ends, lo, side="right")
        last = np.searchsorted(begins, hi, side="left")
        out[first:last] = True
    return out


def _local_grid(index: pd.DatetimeIndex, tz: str, step: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """A regular wall-clock grid in `tz` and each UTC point's place on it."""
    naive = index.tz_convert(tz).tz_localize(None)
    freq = "h" if step == "hour" else "D"
    unit = np.timedelta64(1, "h" if step == "hour" else "D")
    first = naive.min().floor(freq)
    grid = pd.date_range(first, naive.max().floor(freq), freq=freq)
    where = ((naive.floor(freq) - first).to_numpy() // unit).astype(np.int64)
    return grid, where


def _to_local(values: np.ndarray, where: np.ndarray, n: int, how) -> np.ndarray:
    """UTC points onto the local grid: the autumn's repeated hour merged, spring's gap NaN."""
    if how is np.all:
        bad = np.bincount(where, (~values.astype(bool)).astype(float), minlength=n) > 0
        seen = np.bincount(where, minlength=n) > 0
        return seen & ~bad
    finite = np.isfinite(values)
    sums = np.bincount(where[finite], values[finite], minlength=n)
    counts = np.bincount(where[finite], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _untrusted(index: pd.DatetimeIndex, actual: np.ndarray, step_s: int, weeks: float,
               reason: str) -> Baseline:
    nan = np.full(len(actual), np.nan)
    return Baseline(index=index, actual=actual, expected=nan, scale=nan,
                    clean=np.zeros(len(actual), bool), z=nan, step_s=step_s,
                    weeks=float(weeks), trusted=False, reason=reason)
