"""Write the SYNTHETIC sample exports in this folder (seeded: the same bytes every run).

    python examples/series/make_samples.py [--out FOLDER]

Three files a small business typically has, all invented for the examples, 12 weeks from
Monday 31 Aug 2026 (the clocks go back on 25 Oct inside it):
  synthetic-shop-orders.csv     an online shop's orders export (Shopify-like), one row per order
  synthetic-ga4-hourly.csv      a web-analytics export by hour and session source (GA4-like)
  synthetic-meta-ads-daily.csv  an ads manager's daily spend by platform (Meta Ads-like)
and injected.json: the outages written into them and the loss each one caused (so measured
impact can be checked against the truth). See README.md for the mappings.
"""

from __future__ import annotations

import argparse
import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

HERE = Path(__file__).resolve().parent
SEED = 18
TZ = ZoneInfo("Europe/London")
START = datetime(2026, 8, 31, tzinfo=TZ).astimezone(UTC)  # a Monday, local midnight
WEEKS = 12
HOURS = WEEKS * 7 * 24
RECAPTURE_H = 3  # hours after an outage in which part of the lost demand comes back
RECAPTURE_SHARE = 0.3  # of the lost orders and conversions

# The outages written into the samples: (start UTC, hours, platforms, share of demand left).
OUTAGES: tuple[tuple[datetime, float, tuple[str, ...], float], ...] = (
    (datetime(2026, 9, 24, 12, tzinfo=UTC), 3.0, ("instagram",), 0.1),
    (datetime(2026, 10, 14, 16, tzinfo=UTC), 2.0, ("facebook", "instagram"), 0.05),
    (datetime(2026, 11, 5, 18, tzinfo=UTC), 2.0, ("tiktok",), 0.15),
)

# Orders per hour at the busiest time of week, by the Source a shop records for the order.
ORDER_RATES = {"instagram": 6.0, "facebook": 3.2, "tiktok": 3.0, "google": 2.5, "direct": 1.6}
ORDER_VALUE_GBP = (28.0, 0.45)  # median basket and lognormal spread
SOURCES = {  # GA4 session_source -> (platform or None, peak sessions/h, conversion rate)
    "instagram": ("instagram", 60, 0.035), "l.instagram.com": ("instagram", 18, 0.03),
    "facebook": ("facebook", 35, 0.03), "m.facebook.com": ("facebook", 20, 0.025),
    "tiktok": ("tiktok", 30, 0.02), "google": (None, 45, 0.04), "(direct)": (None, 25, 0.05),
}
AD_BUDGET_GBP = {"facebook": 42.0, "instagram": 58.0, "audience_network": 6.0}
LABEL = ("# SYNTHETIC sample data made by examples/series/make_samples.py for Platform Pulse "
         "- not a real business\n")  # readers skip leading "#" lines


def week_shape() -> np.ndarray:
    """Relative demand for each of the 168 local hours of a week (Monday 00:00 first)."""
    hour = np.arange(24)
    day = (0.05 + 0.55 * np.exp(-((hour - 12.5) / 2.5) ** 2)
           + 1.0 * np.exp(-((hour - 20.0) / 2.0) ** 2) + 0.35 * ((hour >= 8) & (hour <= 18)))
    weekday = np.array([0.9, 0.95, 1.0, 1.0, 1.05, 1.25, 1.1])  # Saturday is busiest
    shape = np.concatenate([day * w for w in weekday])
    return shape / shape.max()


def hours_utc() -> list[datetime]:
    """Every UTC hour of the 12 weeks."""
    end = datetime(2026, 11, 23, tzinfo=TZ).astimezone(UTC)
    n = int((end - START).total_seconds() // 3600)
    return [START + timedelta(hours=h) for h in range(n)]


def demand(hours: list[datetime]) -> np.ndarray:
    """Relative demand per UTC hour: the week shape in LOCAL time (so it moves with DST)."""
    shape = week_shape()
    index = [t.astimezone(TZ).weekday() * 24 + t.astimezone(TZ).hour for t in hours]
    return shape[index]


def outage_factor(hours: list[datetime], platform: str) -> np.ndarray:
    """Per hour, the share of demand a platform keeps (1 normally, less during its outages,
    more in the RECAPTURE_H hours after one: part of the lost demand comes back)."""
    factor = np.ones(len(hours))
    ts = np.array([t.timestamp() for t in hours])
    for start, length, platforms, left in OUTAGES:
        if platform not in platforms:
            continue
        t0 = start.timestamp()
        during = (ts >= t0) & (ts < t0 + length * 3600)
        factor[during] = left
        after = (ts >= t0 + length * 3600) & (ts < t0 + (length + RECAPTURE_H) * 3600)
        factor[after] = 1 + RECAPTURE_SHARE * (1 - left) * length / RECAPTURE_H
    return factor


def injected(rate: np.ndarray, hours: list[datetime], platform: str,
             scale: float = 1.0) -> list[dict]:
    """Per outage of this platform, the expected amount lost during it and the amount that
    came back in the hours after it (rate x scale: orders x mean basket, conversions ...)."""
    ts, factor = np.array([t.timestamp() for t in hours]), outage_factor(hours, platform)
    found = []
    for start, length, platforms, _ in OUTAGES:
        if platform not in platforms:
            continue
        t0, t1 = start.timestamp(), start.timestamp() + length * 3600
        during, after = (ts >= t0) & (ts < t1), (ts >= t1) & (ts < t1 + RECAPTURE_H * 3600)
        loss = float((rate * (1 - factor))[during].sum()) * scale
        back = float((rate * (factor - 1))[after].sum()) * scale
        found.append({"start": start.isoformat(), "platform": platform,
                      "loss": round(loss, 2), "recaptured": round(back, 2),
                      "net": round(loss - back, 2)})
    return found


def shop_orders(rng: np.random.Generator, hours: list[datetime], path: Path) -> dict:
    """One row per order; Created at in local time with its offset, as Shopify writes it."""
    shape, rows, truth = demand(hours), [], []
    basket = float(np.exp(np.log(ORDER_VALUE_GBP[0]) + ORDER_VALUE_GBP[1] ** 2 / 2))  # mean
    for source, peak in ORDER_RATES.items():
        rate = peak * shape
        counts = rng.poisson(rate * outage_factor(hours, source))
        truth += injected(rate, hours, source, basket)
        for hour, count in zip(hours, counts, strict=True):
            for second in np.sort(rng.integers(0, 3600, count)):
                total = rng.lognormal(np.log(ORDER_VALUE_GBP[0]), ORDER_VALUE_GBP[1])
                rows.append((hour + timedelta(seconds=int(second)), round(float(total), 2),
                             source))
    rows.sort()
    with path.open("w", newline="", encoding="utf-8") as out:
        out.write(LABEL)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["Name", "Created at", "Total", "Source"])
        for number, (when, total, source) in enumerate(rows, start=1001):
            local = when.astimezone(TZ).strftime("%Y-%m-%d %H:%M:%S %z")
            writer.writerow([f"#{number}", local, f"{total:.2f}", source])
    return {"metric": "revenue", "unit": "GBP", "incidents": truth}


def ga4_hourly(rng: np.random.Generator, hours: list[datetime], path: Path) -> dict:
    """Sessions and conversions per local hour (YYYYMMDDHH, no offset, as GA4 exports in the
    property's zone) and source; the repeated hour when the clocks go back is one row."""
    shape, cells, truth = demand(hours), {}, []
    for source, (platform, peak, conversion) in SOURCES.items():
        factor = outage_factor(hours, platform) if platform else np.ones(len(hours))
        sessions = rng.poisson(peak * shape * factor)
        conversions = rng.binomial(sessions, conversion)
        if platform:
            truth += injected(peak * shape * conversion, hours, platform)
        for hour, s, c in zip(hours, sessions, conversions, strict=True):
            key = (hour.astimezone(TZ).strftime("%Y%m%d%H"), source)
            before = cells.get(key, (0, 0))
            cells[key] = (before[0] + int(s), before[1] + int(c))
    with path.open("w", newline="", encoding="utf-8") as out:
        out.write(LABEL)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["date_hour", "session_source", "sessions", "conversions"])
        for (date_hour, source), (s, c) in sorted(cells.items()):
            if s:  # GA4 leaves out rows with no sessions
                writer.writerow([date_hour, source, s, c])
    return {"metric": "leads", "unit": "conversions",
            "incidents": _merge(truth)}  # two sources per platform: one figure each


def _merge(found: list[dict]) -> list[dict]:
    merged: dict[tuple[str, str], dict] = {}
    for item in found:
        into = merged.setdefault((item["start"], item["platform"]),
                                 {**item, "loss": 0.0, "recaptured": 0.0, "net": 0.0})
        for key in ("loss", "recaptured", "net"):
            into[key] = round(into[key] + item[key], 2)
    return sorted(merged.values(), key=lambda i: (i["start"], i["platform"]))


def meta_ads_daily(rng: np.random.Generator, hours: list[datetime], path: Path) -> dict:
    """Spend per day (the ad account's local day) and placement platform; an outage hour
    delivers nothing, so a day's spend drops by its share of the day's demand."""
    shape, days = demand(hours), sorted({t.astimezone(TZ).date() for t in hours})
    local_day = np.array([t.astimezone(TZ).date() for t in hours])
    lost, rows = [], []
    for platform, budget in AD_BUDGET_GBP.items():
        factor = np.minimum(outage_factor(hours, platform), 1.0)  # spend does not catch up
        for day in days:
            mine = local_day == day
            share = float((shape[mine] * factor[mine]).sum() / shape[mine].sum())
            planned = budget * rng.normal(1.0, 0.04)
            rows.append((day.isoformat(), platform, round(planned * share, 2)))
            if share < 1:
                lost.append({"day": day.isoformat(), "platform": platform,
                             "loss": round(planned * (1 - share), 2), "recaptured": 0.0})
    with path.open("w", newline="", encoding="utf-8") as out:
        out.write(LABEL)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["Day", "Platform", "Amount spent (GBP)"])
        for row in sorted(rows):
            writer.writerow([row[0], row[1], f"{row[2]:.2f}"])
    return {"metric": "ad_spend", "unit": "GBP", "not_delivered": lost}


def main(out: Path = HERE) -> dict:
    """Write the three files and injected.json to `out`; returns what was injected."""
    out.mkdir(parents=True, exist_ok=True)
    rng, hours = np.random.default_rng(SEED), hours_utc()
    truth = {
        "note": f"SYNTHETIC sample data made by make_samples.py (seed {SEED})",
        "outages": [{"start": s.isoformat(), "end": (s + timedelta(hours=h)).isoformat(),
                     "platforms": list(p), "demand_left": left}
                    for s, h, p, left in OUTAGES],
        "recapture": {"hours_after": RECAPTURE_H, "share_of_lost": RECAPTURE_SHARE},
        "synthetic-shop-orders.csv": shop_orders(rng, hours, out / "synthetic-shop-orders.csv"),
        "synthetic-ga4-hourly.csv": ga4_hourly(rng, hours, out / "synthetic-ga4-hourly.csv"),
        "synthetic-meta-ads-daily.csv": meta_ads_daily(
            rng, hours, out / "synthetic-meta-ads-daily.csv"),
    }
    (out / "injected.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    return truth


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write to")
    main(parser.parse_args().out)
