"""Outages + business profile -> estimated revenue, leads and ad spend lost (pure).

Per minute of outage (clock-aligned pieces, evaluated in the business's local time, so DST
and business-hour boundaries are exact):
    weighted hours = hours × hour weight (1 in business hours, else off_hours_weight)
                           × severity factor (down 1.0, degraded Business.degraded_factor)
    revenue  = revenue_per_hour × weighted hours × (1 − recapture)
    leads    = leads_per_hour × weighted hours  (× lead_value for their worth)
    ad spend = ad_spend_per_day / 24 × weighted hours
Recapture is the share of lost *sales* that come back later, so it reduces revenue only:
leads that could not reach the business and ad spend that ran into a broken platform are
counted as lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from monitors.analysis.intervals import EMPTY, NS, Spans, spans_of, to_ns
from monitors.timeutil import Window, parse_hours, utcnow

if TYPE_CHECKING:
    from monitors.analysis.incidents import Outage
    from monitors.config import Business, Impact

_MINUTE = 60 * NS
_HOUR = 3600 * NS
_DAY = 24 * _HOUR


@dataclass(frozen=True, slots=True)
class ImpactEstimate:
    """An estimate of what an outage cost, with the assumptions behind it."""

    amount: float  # total = revenue + leads_value + ad_spend
    currency: str
    revenue: float = 0.0
    leads: float = 0.0  # number of leads lost
    leads_value: float = 0.0  # leads x lead value
    ad_spend: float = 0.0
    weighted_hours: float = 0.0  # outage hours x hour weight x severity factor
    assumptions: tuple[str, ...] = field(default_factory=tuple)
    maintenance: bool = False  # scheduled maintenance: shown apart from unplanned outages


def general_assumptions(business: Business) -> tuple[str, ...]:
    """The assumptions every estimate shares: what hours and severities are worth."""
    return (
        "An estimate, not accounting: value is assumed to be spread evenly over each hour.",
        f"Business hours ({business.hours}, {business.timezone}) count fully; other hours "
        f"count {business.off_hours_weight:.0%}.",
        f"Down time counts 100%; degraded time counts {business.degraded_factor:.0%}.",
    )


def value_assumptions(impact: Impact, currency: str) -> tuple[str, ...]:
    """What an hour of one platform is worth, in plain words."""
    if not (impact.revenue_per_hour or impact.leads_per_hour or impact.ad_spend_per_day):
        return ("No business value is configured for this platform ([platforms.impact]).",)
    return (
        f"Per hour: sales {currency} {impact.revenue_per_hour:,.2f}, "
        f"{impact.leads_per_hour:g} leads × {currency} {impact.lead_value:,.2f}, "
        f"ad spend {currency} {impact.ad_spend_per_day:,.2f}/day ÷ 24.",
        f"{impact.recapture:.0%} of lost sales come back later; lost leads and ad spend "
        "do not.",
    )


def assumptions(impact: Impact, business: Business) -> tuple[str, ...]:
    """The plain-words assumptions behind every figure for this platform and business."""
    return general_assumptions(business) + value_assumptions(impact, business.currency)


@lru_cache(maxsize=64)
def _ranges(hours: str) -> tuple[tuple[int, int, int], ...]:
    return parse_hours(hours).ranges


def _hour_weights(points: np.ndarray, business: Business) -> np.ndarray:
    """1 for minutes (starting at `points`, UTC ns) in business hours, else off_hours_weight."""
    return np.where(in_business_hours(points, business), 1.0, business.off_hours_weight)


def in_business_hours(points: np.ndarray, business: Business) -> np.ndarray:
    """True for the instants `points` (UTC ns) that fall in business hours, local time."""
    # wall-clock time in the business's zone, per minute: DST moves it, not the business
    local = (pd.DatetimeIndex(points.view("datetime64[ns]"), tz="UTC")
             .tz_convert(business.timezone).tz_localize(None).as_unit("ns").asi8)
    days, since_midnight = np.divmod(local, _DAY)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    minute = since_midnight // _MINUTE
    is_open = np.zeros(len(points), bool)
    for day, open_min, close_min in _ranges(business.hours):
        is_open |= (weekday == day) & (minute >= open_min) & (minute < close_min)
    return is_open


def weighted_hours_many(
    stretches: Sequence[tuple[datetime, datetime, Spans | None]], business: Business
) -> np.ndarray:
    """weighted_hours() of many (start, end, down) stretches with one timezone conversion."""
    points, edges, owner, downs = [], [], [], []
    for i, (start, end, down) in enumerate(stretches):
        lo, hi = to_ns(start), to_ns(end)
        if hi <= lo:
            continue
        mine = np.arange(lo - lo % _MINUTE, hi, _MINUTE, dtype=np.int64)
        points.append(mine)
        edges.append(np.r_[np.maximum(mine, lo), hi])  # clock-aligned minutes, clipped
        owner.append(np.full(len(mine), i))
        downs.append(down)
    if not points:
        return np.zeros(len(stretches))
    weights = _hour_weights(np.concatenate(points), business)
    factor = business.degraded_factor
    severity_ns = []
    for piece, down in zip(edges, downs, strict=True):
        length = np.diff(piece).astype(float)
        down_ns = length if down is None else down.measure(piece) * NS
        severity_ns.append(length * factor + down_ns * (1.0 - factor))
    total_ns = np.bincount(np.concatenate(owner), weights=weights * np.concatenate(severity_ns),
                           minlength=len(stretches))
    return total_ns / _HOUR


def weighted_hours(
    start: datetime, end: datetime, business: Business, down: Spans | None = None
) -> float:
    """Hours in [start, end) × hour weight × severity factor (time outside `down` is degraded).

    `down=None` means the whole stretch was down.
    """
    return float(weighted_hours_many([(start, end, down)], business)[0])


def estimate_all(
    outages: Sequence[Outage],
    impacts: Mapping[str, Impact],
    business: Business,
    *,
    now: datetime | None = None,
    within: Window | None = None,
) -> list[ImpactEstimate]:
    """estimate() for many outages (impacts keyed by platform id), computed in one pass."""
    now = now or utcnow()
    stretches = []
    for outage in outages:
        start, end = outage.start, outage.end or now
        if within is not None:
            start, end = max(start, within.start), min(end, within.end)
        if costs_nothing(outage):
            end = start  # the vendor's maintenance while every user-facing surface worked
        if outage.severity == "degraded":
            down: Spans | None = EMPTY
        elif outage.down_spans:
            down = spans_of(outage.down_spans, max(end, start))
        else:
            down = None
        stretches.append((start, end, down))
    hours = weighted_hours_many(stretches, business)
    out = []
    for outage, value in zip(outages, hours.tolist(), strict=True):
        impact = impacts[outage.platform]
        notes = assumptions(impact, business)
        if costs_nothing(outage):
            notes = (MAINTENANCE_FREE,)
        elif outage.maintenance:
            notes += (MAINTENANCE_COUNTED,)
        if outage.end is None:
            notes += ("The outage is ongoing: counted up to now.",)
        figures = _figures(value, impact, business.currency, notes)
        out.append(replace(figures, maintenance=outage.maintenance))
    return out


MAINTENANCE_FREE = ("Scheduled maintenance while the user-facing surfaces kept working: "
                    "no cost.")
MAINTENANCE_COUNTED = ("Scheduled maintenance that took user-facing surfaces down: counted "
                       "apart from unplanned outages.")


def costs_nothing(outage: Outage) -> bool:
    """Scheduled maintenance that no probe of a user-facing surface felt costs nothing."""
    return outage.maintenance and "probe" not in outage.sources


def estimate(
    outage: Outage,
    impact: Impact,
    business: Business,
    *,
    now: datetime | None = None,
    within: Window | None = None,
) -> ImpactEstimate:
    """What this outage cost (an ongoing one up to now), optionally only inside a window."""
    return estimate_all([outage], {outage.platform: impact}, business, now=now, within=within)[0]


def _figures(hours: float, impact: Impact, currency: str, notes: tuple[str, ...]) -> ImpactEstimate:
    revenue = impact.revenue_per_hour * hours * (1.0 - impact.recapture)
    leads = impact.leads_per_hour * hours
    leads_value = leads * impact.lead_value
    ad_spend = impact.ad_spend_per_day / 24.0 * hours
    return ImpactEstimate(
        amount=revenue + leads_value + ad_spend,
        currency=currency,
        revenue=revenue,
        leads=leads,
        leads_value=leads_value,
        ad_spend=ad_spend,
        weighted_hours=hours,
        assumptions=notes,
    )


def total(estimates: Iterable[ImpactEstimate], currency: str) -> ImpactEstimate:
    """The sum of several estimates (per platform or period), assumptions merged in order."""
    items = list(estimates)
    notes: dict[str, None] = {}
    for item in items:
        notes.update(dict.fromkeys(item.assumptions))
    return ImpactEstimate(
        amount=sum(i.amount for i in items),
        currency=currency,
        revenue=sum(i.revenue for i in items),
        leads=sum(i.leads for i in items),
        leads_value=sum(i.leads_value for i in items),
        ad_spend=sum(i.ad_spend for i in items),
        weighted_hours=sum(i.weighted_hours for i in items),
        assumptions=tuple(notes),
    )


def to_json(estimate_: ImpactEstimate) -> dict:
    """The short JSON form of DESIGN.md: {"amount", "currency"}."""
    return {"amount": round(estimate_.amount, 2), "currency": estimate_.currency}
