"""Samples -> outages: confirmation, recovery, vantage health, quorum, grouping (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from monitors.impact import ImpactEstimate

Severity = Literal["down", "degraded"]


@dataclass(slots=True)
class Outage:
    """One detected outage of one platform (the JSON of `incidents --json`)."""

    platform: str
    provider: str
    start: datetime  # back-dated to the first failed round (UTC)
    end: datetime | None  # first good sample; None while ongoing
    detected_at: datetime  # end of the round that confirmed it
    severity: Severity
    cause: str  # plain words, e.g. "DNS / routing (network-level)"
    error: str | None = None  # dominant error class
    sources: tuple[str, ...] = ("probe",)  # "probe", "official"
    vantages: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()  # failing checks (surfaces)
    ok_checks: tuple[str, ...] = ()  # surfaces that kept working (for "media down, web up")
    official_lag_s: float | None = None
    official_title: str | None = None
    maintenance: bool = False
    impact: ImpactEstimate | None = None
    extra: dict = field(default_factory=dict)
