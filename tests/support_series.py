"""Synthetic sales series with a known injected loss and recapture (SYNTHETIC, for tests).

Orders arrive as Poisson counts with an hour-of-week pattern in the business's zone; each
order's value is lognormal. An outage removes a share of the orders it overlaps, and a
share of what it removed comes back over the hours after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from monitors.analysis.incidents import Outage
from monitors.analysis.series import LoadedSeries

TZ = "Europe/London"


def with_series(config: str, **fields: object) -> str:
    """A config text with one `[[business.series]]` table (file sales.csv) before its
    platforms; `fields` give the table's keys (strings quoted, booleans as TOML)."""
    values = {"file": "sales.csv", "time": "hour", "value": "revenue", "metric": "revenue",
              **fields}
    lines = [f"  {k} = {str(v).lower() if isinstance(v, bool) else repr(v)}"
             for k, v in values.items()]
    table = "\n  [[business.series]]\n" + "\n".join(lines).replace("'", '"') + "\n\n"
    return config.replace("[[platforms]]\n", table + "[[platforms]]\n", 1)


@dataclass
class Scenario:
    """A synthetic series and the truth injected into it."""

    series: LoadedSeries
    outages: list[Outage]
    loss: float  # expected value removed by the outages (the truth)
    recaptured: float  # expected value that came back after them
    mean: np.ndarray  # the pattern without outages (expected orders x mean value)


def orders_pattern(index: pd.DatetimeIndex, busy: float = 50.0) -> np.ndarray:
    """Expected orders per hour: busy in the day, quiet at night, lighter at weekends."""
    local = index.tz_convert(TZ)
    hour, weekday = local.hour.to_numpy(), local.day_of_week.to_numpy()
    day = np.where((hour >= 9) & (hour < 21), busy, busy / 8)
    return day * np.where(weekday < 5, 1.0, 0.6)


def scenario(
    seed: int,
    *,
    weeks: int = 12,
    start: str = "2026-01-05",
    outages: list[tuple[datetime, float]] | None = None,
    drop: float = 1.0,
    recapture: float = 0.25,
    recapture_hours: int = 6,
    busy: float = 50.0,
    order_value: float = 30.0,
) -> Scenario:
    """`weeks` of hourly revenue; each outage (start, hours) removes `drop` of its orders."""
    rng = np.random.default_rng(seed)
    index = pd.date_range(start, periods=24 * 7 * weeks, freq="h", tz="UTC")
    rate = orders_pattern(index, busy)
    if outages is None:  # one outage of 4 hours, a weekday afternoon in weeks 5-10
        day = int(rng.integers(28, 70))
        first = pd.Timestamp(start, tz=TZ) + pd.Timedelta(days=day)
        while first.day_of_week >= 5:
            first += pd.Timedelta(days=1)
        outages = [((first + pd.Timedelta(hours=int(rng.integers(10, 15)))).to_pydatetime(), 4.0)]
    lam = rate.copy()
    truth_loss = truth_back = 0.0
    found = []
    for begin, hours in outages:
        begin_ts = pd.Timestamp(begin).tz_convert("UTC")
        end_ts = begin_ts + pd.Timedelta(hours=hours)
        inside = (index >= begin_ts) & (index < end_ts)
        removed = rate[inside] * drop
        lam[inside] -= removed
        after = (index >= end_ts) & (index < end_ts + pd.Timedelta(hours=recapture_hours))
        back = removed.sum() * recapture
        lam[after] += back * rate[after] / rate[after].sum()
        truth_loss += removed.sum() * order_value
        truth_back += back * order_value
        found.append(Outage(platform="instagram", provider="Meta",
                            start=begin_ts.to_pydatetime(), end=end_ts.to_pydatetime(),
                            detected_at=end_ts.to_pydatetime(), severity="down", cause="test"))
    counts = rng.poisson(lam)
    sigma = 0.5
    mu_log = np.log(order_value) - sigma**2 / 2  # lognormal with this mean
    values = np.array([rng.lognormal(mu_log, sigma, c).sum() for c in counts])
    series = LoadedSeries(platform="instagram", metric="revenue",
                          values=pd.Series(values, index=index), step="hour",
                          label="synthetic.csv", synthetic=True, timezone=TZ)
    return Scenario(series, found, truth_loss, truth_back, rate * order_value)
