"""Measured-impact benchmark: a year of hourly data, 15 channels x 3 metrics, 400 outages.

Builds SYNTHETIC series in memory (Poisson orders with an hour-of-week pattern in the
business's zone, lognormal order values; revenue, orders and leads per platform), drops each
of 400 outages into its platform's series, then times `measure()` — every baseline (STL by
hour of week, two passes) and every outage's loss, recapture and net with their intervals —
and `calibrate()`. Prints wall and CPU time (getrusage) for each of `--repeat` runs with
min / median / max, the load average, and how far the measured total is from the truth.

    python bench/measured_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitors.analysis.calibration import calibrate  # noqa: E402
from monitors.analysis.incidents import Outage  # noqa: E402
from monitors.analysis.measured import measure  # noqa: E402
from monitors.analysis.series import LoadedSeries, SeriesSet  # noqa: E402
from monitors.config import Business, Platform  # noqa: E402

TZ = "Europe/London"
CHANNELS = 15
OUTAGES = 400
METRICS = ("revenue", "orders", "leads")


def build(seed: int = 1) -> tuple[SeriesSet, list[Outage], float]:
    """The series, the outages, and the revenue truly lost."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2025-12-01", periods=24 * 365, freq="h", tz="UTC")
    local = index.tz_convert(TZ)
    hour, weekday = local.hour.to_numpy(), local.day_of_week.to_numpy()
    shape = np.where((hour >= 9) & (hour < 21), 1.0, 0.12) * np.where(weekday < 5, 1.0, 0.6)
    ids = [f"ch{i:02d}" for i in range(CHANNELS)]
    per = np.bincount(rng.integers(0, CHANNELS, OUTAGES), minlength=CHANNELS)
    outages, series, truth = [], [], 0.0
    for pid, count in zip(ids, per, strict=True):
        rate = shape * rng.uniform(10, 60)
        lam = rate.copy()
        starts = np.sort(rng.choice(np.arange(24 * 30, len(index) - 48, 12), count, False))
        for first in starts:
            hours = int(rng.integers(1, 6))
            lam[first:first + hours] = 0.0
            truth += rate[first:first + hours].sum() * 30.0 if pid == ids[0] else 0.0
            begin = index[first].to_pydatetime()
            end = begin + timedelta(hours=hours)
            outages.append(Outage(platform=pid, provider=pid, start=begin, end=end,
                                  detected_at=end, severity="down", cause="bench"))
        orders = rng.poisson(lam).astype(float)
        values = {"orders": orders, "revenue": orders * rng.lognormal(np.log(30) - 0.125, 0.5,
                                                                      len(orders)),
                  "leads": rng.poisson(lam * 0.2).astype(float)}
        for metric in METRICS:
            series.append(LoadedSeries(pid, metric, pd.Series(values[metric], index=index),
                                       "hour", f"{pid}.csv", synthetic=True, timezone=TZ))
    return SeriesSet(tuple(series)), outages, truth


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    """Time measure() + calibrate() on the synthetic year."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    series, outages, truth = build()
    business = Business(currency="GBP", timezone=TZ, hours="Mon-Fri 09:00-18:00")
    platforms = {s.platform: Platform(id=s.platform, name=s.platform, checks=[
        {"id": "web", "kind": "tcp", "host": "127.0.0.1", "port": 9}]) for s in series.series}
    print(f"{len(series.series)} series x {len(series.series[0].values):,} hours, "
          f"{len(outages)} outages; load average {os.getloadavg()[0]:.2f}")
    walls, cpus = [], []
    for run in range(args.repeat):
        wall0, cpu0 = time.perf_counter(), cpu()
        result = measure(series, outages, business)
        found = calibrate(result, platforms, business)
        walls.append(time.perf_counter() - wall0)
        cpus.append(cpu() - cpu0)
        print(f"run {run + 1}: {walls[-1]:.2f} s wall, {cpus[-1]:.2f} s CPU "
              f"({len(result.incidents)} measures, {len(found)} suggestions)")
    first = result.platforms["ch00"]["revenue"]
    print(f"wall min/median/max {min(walls):.2f} / {statistics.median(walls):.2f} / "
          f"{max(walls):.2f} s; CPU {min(cpus):.2f} / {statistics.median(cpus):.2f} / "
          f"{max(cpus):.2f} s (target < 2 s); load average {os.getloadavg()[0]:.2f}")
    print(f"ch00 revenue: measured {first.loss.value:,.0f} ({first.loss.low:,.0f}–"
          f"{first.loss.high:,.0f}), truth {truth:,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
