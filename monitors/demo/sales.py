"""The demo shop's own numbers: a DEMO (synthetic) hourly sales series whose dips follow the
backfilled outages, so measured impact has something to measure out of the box.

`DATA/demo-sales.csv` holds, per complete UTC hour and platform, revenue, orders and leads
(one `[[business.series]]` table each, see `series_config`). During each past outage of a
platform its sales fall to `LEFT` of normal; in the `RECAPTURE_H` hours after it a share of
what was lost comes back. `DATA/demo-sales.json` records, per outage, platform and metric,
the expected loss, recaptured amount and net loss that were written in (expected values,
before the noise), so a measured figure can be checked against the truth.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from monitors.demo.backfill import DAY_S, PAST, PastOutage, step_for

SALES_FILE = "demo-sales.csv"
TRUTH_FILE = "demo-sales.json"
LABEL = "DEMO sales (synthetic)"
TIMEZONE = "Europe/London"  # the demo business's zone (demo/config.py)
OPEN_HOURS = (8, 20)  # Mon-Sat 08:00-20:00, as the demo business's hours
OFF_HOURS = 0.3  # demand outside opening hours, relative (the config's off_hours_weight)
LEFT = 0.1  # share of a platform's sales that still come in while it is down
RECAPTURE_H = 4  # hours after an outage in which lost sales partly come back (< 6 h window)
METRICS = ("revenue", "orders", "leads")


@dataclass(frozen=True, slots=True)
class Channel:
    """What one platform really brings the demo shop in an opening hour (the truth; the demo
    config's assumptions differ a little, so calibration has something to suggest)."""

    revenue_per_hour: float
    orders_per_hour: float
    leads_per_hour: float
    recapture: float  # share of the lost sales that comes back after an outage


CHANNELS: dict[str, Channel] = {
    "instagram": Channel(310.0, 24.0, 3.5, 0.25),  # assumed: 260/h, recapture 0.4
    "facebook": Channel(180.0, 15.0, 2.0, 0.35),  # assumed: 180/h, recapture 0.35
    "whatsapp": Channel(120.0, 10.0, 4.5, 0.5),  # assumed: 140/h, recapture 0.6
}


def series_config() -> list[dict[str, Any]]:
    """The `[[business.series]]` tables of the demo config (paths relative to demo.toml)."""
    return [{"name": f"{LABEL}: {metric}", "file": SALES_FILE, "time": "hour",
             "value": metric, "channel": "platform", "metric": metric,
             "synthetic": True} for metric in METRICS]  # hours of week in the business zone


def outage_window(past: PastOutage, end: datetime, span_s: float) -> tuple[datetime, datetime]:
    """When a past outage starts and ends in a backfill ending at `end` (as backfill.py
    places it: counted back from `end` rounded down to the backfill's round step)."""
    step_ms = int(step_for(span_s) * 1000)
    end_ms = int(end.timestamp() * 1000) // step_ms * step_ms
    start_ms = end_ms - round(past.days_ago * DAY_S * 1000)
    stop_ms = start_ms + round(past.hours * 3600 * 1000)
    return (datetime.fromtimestamp(start_ms / 1000, UTC),
            datetime.fromtimestamp(stop_ms / 1000, UTC))


def outages_of(platform: str, end: datetime, span_s: float) -> list[tuple[datetime, datetime]]:
    """The backfilled outages that took this platform down (not degraded, not our network)."""
    return [outage_window(p, end, span_s) for p in PAST
            if platform in p.platforms and p.status == "down" and p.days_ago * DAY_S <= span_s]


def hours_of(end: datetime, span_s: float) -> np.ndarray:
    """The complete UTC hours of the span, as epoch seconds (the hour in progress is left out:
    its sales are not in yet)."""
    last = int(end.timestamp()) // 3600 * 3600
    first = (int(end.timestamp() - span_s) // 3600 + 1) * 3600
    return np.arange(first, last, 3600, dtype=np.int64)


def demand(hours: np.ndarray) -> np.ndarray:
    """Relative demand per hour, 1 on average over opening hours, in the business's local
    time (so the pattern follows the clocks when they change)."""
    tz = ZoneInfo(TIMEZONE)
    local = [datetime.fromtimestamp(int(h), UTC).astimezone(tz) for h in hours]
    hour = np.array([t.hour for t in local])
    weekday = np.array([t.weekday() for t in local])
    is_open = (weekday < 6) & (hour >= OPEN_HOURS[0]) & (hour < OPEN_HOURS[1])
    peaks = 0.75 + 0.35 * np.exp(-((hour - 12.5) / 1.5) ** 2) \
        + 0.45 * np.exp(-((hour - 18.5) / 1.5) ** 2)
    shape = np.where(is_open, peaks, OFF_HOURS * np.where(hour >= 7, 1.0, 0.4))
    return shape / shape[is_open].mean() if is_open.any() else shape


def effect(hours: np.ndarray, windows: list[tuple[datetime, datetime]], base: np.ndarray,
           recapture: float) -> tuple[np.ndarray, list[dict[str, float]]]:
    """The expected value per hour with the outages in, and per outage what it took away
    and gave back (in the units of `base`)."""
    value = base.copy()
    found = []
    for start, stop in windows:
        t0, t1 = start.timestamp(), stop.timestamp()
        overlap = np.clip(np.minimum(hours + 3600, t1) - np.maximum(hours, t0), 0, 3600) / 3600
        lost = base * overlap * (1 - LEFT)
        after = (hours >= t1 // 3600 * 3600 + 3600) & (hours < t1 // 3600 * 3600
                                                       + 3600 * (RECAPTURE_H + 1))
        loss = float(lost.sum())
        back = recapture * loss
        value = value - lost
        if after.any():
            value[after] += back / after.sum()
        found.append({"start": start.isoformat(), "end": stop.isoformat(), "loss": loss,
                      "recaptured": back, "net": loss - back})
    return value, found


def sales_table(end: datetime, span_s: float, *, seed: int = 18) -> tuple[str, dict[str, Any]]:
    """The CSV text of the demo sales series and the truth that was written into it."""
    rng = np.random.default_rng(seed)
    hours = hours_of(end, span_s)
    shape = demand(hours)
    columns: dict[str, dict[str, np.ndarray]] = {}
    truth: list[dict[str, Any]] = []
    for platform, channel in CHANNELS.items():
        windows = outages_of(platform, end, span_s)
        orders_mean, orders_truth = effect(hours, windows, channel.orders_per_hour * shape,
                                           channel.recapture)
        leads_mean, leads_truth = effect(hours, windows, channel.leads_per_hour * shape,
                                         channel.recapture)
        basket = channel.revenue_per_hour / channel.orders_per_hour
        orders = rng.poisson(np.clip(orders_mean, 0, None))
        revenue = np.where(orders > 0, rng.gamma(np.maximum(orders, 1) * 4.0, basket / 4.0), 0)
        columns[platform] = {"revenue": revenue, "orders": orders,
                             "leads": rng.poisson(np.clip(leads_mean, 0, None))}
        for o_truth, l_truth in zip(orders_truth, leads_truth, strict=True):
            for metric, item, scale in (("revenue", o_truth, basket), ("orders", o_truth, 1.0),
                                        ("leads", l_truth, 1.0)):
                truth.append({"platform": platform, "metric": metric, "start": item["start"],
                              "end": item["end"], **{k: round(item[k] * scale, 2)
                                                     for k in ("loss", "recaptured", "net")}})
    return _csv(hours, columns), {
        "note": f"{LABEL}: written by the demo, not a real business", "left": LEFT,
        "recapture_hours": RECAPTURE_H, "end": end.isoformat(), "span_s": span_s,
        "channels": {p: _channel(c) for p, c in CHANNELS.items()},
        "incidents": sorted(truth, key=lambda t: (t["start"], t["platform"], t["metric"])),
    }


def _channel(channel: Channel) -> dict[str, float]:
    return {"revenue_per_hour": channel.revenue_per_hour,
            "orders_per_hour": channel.orders_per_hour,
            "leads_per_hour": channel.leads_per_hour, "recapture": channel.recapture}


def _csv(hours: np.ndarray, columns: dict[str, dict[str, np.ndarray]]) -> str:
    out = io.StringIO()
    out.write(f"# {LABEL}: made up by `python -m monitors demo`, dips follow its outages\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["hour", "platform", *METRICS])
    stamps = [datetime.fromtimestamp(int(h), UTC).strftime("%Y-%m-%dT%H:00:00Z") for h in hours]
    for index, stamp in enumerate(stamps):
        for platform, values in columns.items():
            writer.writerow([stamp, platform, f"{values['revenue'][index]:.2f}",
                             int(values["orders"][index]), int(values["leads"][index])])
    return out.getvalue()


def write_sales(data: str, end: datetime, span_s: float) -> dict[str, Any]:
    """Write DATA/demo-sales.csv and its truth DATA/demo-sales.json (atomically each)."""
    text, truth = sales_table(end, span_s)
    folder = Path(data)
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in ((SALES_FILE, text), (TRUTH_FILE, json.dumps(truth, indent=1) + "\n")):
        tmp = folder / f".{name}.tmp"
        tmp.write_text(body, encoding="utf-8")
        tmp.replace(folder / name)
    return truth

