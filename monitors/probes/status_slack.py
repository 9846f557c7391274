"""Slack Status API v2.0.0 (`/api/v2.0.0/current`)."""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationError

from monitors.probes.base import ProbeResult
from monitors.probes.status_common import (
    TITLE_MAX,
    Findings,
    Issue,
    Lenient,
    PayloadError,
    Stamp,
    clean_text,
    conclude,
    explain,
    json_kind,
)

OPEN = {"active", "scheduled"}  # resolved, completed and canceled items are history
# Slack's three item types mapped onto the Statuspage ladder: an outage is the vendor
# itself saying the service is down.
TYPE_LEVEL = {"incident": "minor", "outage": "critical", "notice": "minor"}


class Note(Lenient):
    date_created: Stamp = None
    body: str | None = None


class Item(Lenient):
    id: int | str | None = None
    title: str
    type: Literal["incident", "notice", "outage"]
    status: Literal["active", "resolved", "scheduled", "completed", "canceled"]
    url: str | None = None
    services: list[str] | None = None
    notes: list[Note] | None = None
    date_created: Stamp = None
    date_updated: Stamp = None


class Payload(Lenient):
    status: Literal["ok", "active"]
    active_incidents: list[Item]
    date_created: Stamp = None
    date_updated: Stamp = None


def parse(data: object, *, filters: list[str], watch_maintenance: bool = True,
          page_url: str | None = None) -> ProbeResult:
    """Normalise a decoded Slack status document; raises PayloadError when it is not one."""
    if not isinstance(data, dict):
        raise PayloadError(f"expected a JSON object from Slack, got {json_kind(data)}")
    try:
        payload = Payload.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(explain(exc, "Slack status")) from None
    wanted = {f.strip().lower() for f in filters if f.strip()}
    findings = Findings(
        name="Slack",
        description=None if payload.status == "ok" else "Slack reports an active incident",
        scoped=bool(wanted),
        link=page_url,
        updated_at=payload.date_updated,
    )
    affected: dict[str, str] = {}
    for item in payload.active_incidents:
        services = item.services or []
        if item.status not in OPEN or (wanted and services and not _touches(services, wanted)):
            continue
        issue = _issue(item, capped=bool(wanted) and not services)
        if item.type == "notice" and item.status == "scheduled":
            findings.maintenances.append(issue)
        else:
            findings.incidents.append(issue)
        level = "maintenance" if issue.level == "none" else issue.level
        for service in services:
            if not wanted or service.lower() in wanted:
                affected[f"{service}: {item.type}"] = level
    findings.components = list(affected.items())
    listed = findings.incidents or findings.maintenances
    if payload.status == "active" and not wanted and not listed:
        findings.page_level = "minor"  # Slack says something is wrong but lists nothing open
    return conclude(findings, watch_maintenance=watch_maintenance)


def _touches(services: list[str], wanted: set[str]) -> bool:
    return any(service.lower() in wanted for service in services)


def _issue(item: Item, *, capped: bool) -> Issue:
    notes = sorted(item.notes or [], key=lambda n: n.date_created or "", reverse=True)
    scheduled_notice = item.type == "notice" and item.status == "scheduled"
    level = "none" if scheduled_notice else TYPE_LEVEL[item.type]
    if capped and level == "critical":
        level = "major"  # names no service, so it cannot say a watched one is down
    return Issue(
        title=clean_text(item.title, TITLE_MAX) or "(untitled)",
        level=level,
        impact="maintenance" if scheduled_notice else TYPE_LEVEL[item.type],
        status=item.status,
        update=clean_text(notes[0].body) if notes else None,
        url=item.url,
        started_at=item.date_created,
        updated_at=item.date_updated or item.date_created,
    )
