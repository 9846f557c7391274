"""Meta's metastatus.com `/data/orgs.json` (undocumented; see shared/status-sources.md)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from monitors.probes.base import ProbeResult
from monitors.probes.status_common import (
    Findings,
    Lenient,
    PayloadError,
    conclude,
    explain,
    json_kind,
    loose_stamp,
    rank,
)
from monitors.text import short

# Service status is a human phrase; order matters (checked top to bottom, by substring).
# "Resolved" stays up for hours after a fix, so it is OK, not a problem.
KEYWORDS: tuple[tuple[str, str], ...] = (
    ("no known issues", "none"),
    ("resolved", "none"),
    ("operational", "none"),
    ("maintenance", "maintenance"),
    ("major outage", "critical"),
    ("high disruption", "critical"),
    ("outage", "critical"),
    ("medium disruption", "major"),
    ("low disruption", "minor"),
    ("some disruption", "minor"),
    ("minor disruption", "minor"),
)


class Service(Lenient):
    id: int | str | None = None
    name: str | None = None
    status: str
    time: Any = None  # format undocumented: read leniently


class Org(Lenient):
    id: str
    name: str | None = None
    services: list[Service]


def level_of(status: str) -> str:
    """Map a metastatus phrase to none/minor/major/critical/maintenance, or raise PayloadError."""
    text = " ".join(status.lower().split())
    for keyword, level in KEYWORDS:
        if keyword in text:
            return level
    raise PayloadError(f"unknown metastatus service status {short(status, 40)!r}")


def parse(data: object, *, orgs: list[str], filters: list[str], watch_maintenance: bool = True,
          page_url: str | None = None) -> ProbeResult:
    """Normalise a decoded orgs.json: the worst phrase over the watched services of the orgs."""
    if not isinstance(data, list):
        raise PayloadError(f"expected a JSON array of orgs from metastatus, got {json_kind(data)}")
    try:
        known = {org.id: org for org in (Org.model_validate(item) for item in data)}
    except ValidationError as exc:
        raise PayloadError(explain(exc, "metastatus orgs")) from None
    missing = [org for org in orgs if org not in known]
    if missing:
        raise PayloadError(f"org {missing[0]!r} is not in orgs.json (has {len(known)} orgs)")
    chosen = [known[org] for org in orgs] if orgs else list(known.values())
    wanted = {f.strip().lower() for f in filters if f.strip()}
    watched = [(org, s) for org in chosen for s in org.services if _watches(s, wanted)]
    if not watched:
        what = ", ".join(sorted(wanted)) if wanted else "any service"
        raise PayloadError(f"no watched service in the chosen orgs ({what})")
    base = (page_url or "https://metastatus.com/").rstrip("/")
    findings = Findings(name="Meta", description="No known issues", link=base + "/",
                        scoped=bool(wanted))
    states = [(org, s, level_of(s.status)) for org, s in watched]
    for _, service, level in states:
        findings.components.append((f"{_label(service)}: {short(service.status, 40)}", level))
    problems = [item for item in states if item[2] != "none"]
    if problems:
        org, service, _ = max(problems, key=lambda item: rank(item[2]))
        findings.description = None
        findings.link = f"{base}/{org.id}"
        findings.updated_at = loose_stamp(service.time)
    return conclude(findings, watch_maintenance=watch_maintenance)


def _label(service: Service) -> str:
    return service.name or str(service.id or "service")


def _watches(service: Service, wanted: set[str]) -> bool:
    return not wanted or bool({_label(service).lower(), str(service.id).lower()} & wanted)
