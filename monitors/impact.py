"""Outages + business profile -> estimated revenue, leads and ad spend lost (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field


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
