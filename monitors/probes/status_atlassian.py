"""Atlassian Statuspage v2 (summary.json, incidents.json, scheduled-maintenances.json …)."""

from __future__ import annotations

from dataclasses import replace
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
from monitors.text import short

Indicator = Literal["none", "minor", "major", "critical", "maintenance"]
ComponentStatus = Literal[
    "operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"
]
IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved", "postmortem"]
MaintenanceStatus = Literal["scheduled", "in_progress", "verifying", "completed"]
Impact = Literal["none", "minor", "major", "critical", "maintenance"]

COMPONENT_LEVEL = {
    "operational": "none",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
    "under_maintenance": "maintenance",
}
CLOSED = {"resolved", "postmortem", "completed"}
ACTIVE_MAINTENANCE = {"in_progress", "verifying"}


class Page(Lenient):
    id: str
    name: str | None = None
    url: str | None = None
    updated_at: Stamp = None


class PageStatus(Lenient):
    indicator: Indicator
    description: str | None = None


class Component(Lenient):
    id: str | None = None
    name: str
    status: ComponentStatus
    group: bool | None = False
    group_id: str | None = None


class Affected(Lenient):
    code: str | None = None
    name: str | None = None


class Update(Lenient):
    status: str | None = None
    body: str | None = None
    created_at: Stamp = None
    display_at: Stamp = None
    affected_components: list[Affected] | None = None


class Incident(Lenient):
    id: str | None = None
    name: str
    status: IncidentStatus
    impact: Impact
    created_at: Stamp = None
    updated_at: Stamp = None
    started_at: Stamp = None
    shortlink: str | None = None
    incident_updates: list[Update] | None = None
    components: list[Component] | None = None


class Maintenance(Incident):
    status: MaintenanceStatus  # type: ignore[assignment]
    scheduled_for: Stamp = None
    scheduled_until: Stamp = None


class Payload(Lenient):
    page: Page
    status: PageStatus | None = None
    components: list[Component] | None = None
    incidents: list[Incident] | None = None
    scheduled_maintenances: list[Maintenance] | None = None


class Scope:
    """Which components are watched: names or ids, case-insensitive; a group brings its children."""

    def __init__(self, filters: list[str], components: list[Component]) -> None:
        self.filters = {f.strip().lower() for f in filters if f.strip()}
        self.groups = {(c.id or "").lower() for c in components if c.group and self._named(c)}

    def _named(self, component: Component | Affected) -> bool:
        ident = component.id if isinstance(component, Component) else component.code
        return bool({(component.name or "").lower(), (ident or "").lower()} & self.filters)

    def watches(self, component: Component | Affected) -> bool:
        """True when the component is watched (always, without filters)."""
        if not self.filters:
            return True
        group_id = (getattr(component, "group_id", None) or "").lower()
        return self._named(component) or (bool(group_id) and group_id in self.groups)


def parse(data: object, *, filters: list[str], page_id: str | None = None,
          watch_maintenance: bool = True, fallback_name: str = "Status page",
          page_url: str | None = None) -> ProbeResult:
    """Normalise a decoded Statuspage v2 document; raises PayloadError when it is not one."""
    if not isinstance(data, dict):
        raise PayloadError(f"expected a JSON object from Statuspage, got {json_kind(data)}")
    try:
        payload = Payload.model_validate(data)
    except ValidationError as exc:
        raise PayloadError(explain(exc, "Statuspage")) from None
    if page_id and payload.page.id != page_id:
        raise PayloadError(f"wrong page id {short(payload.page.id, 40)!r} (expected {page_id!r})")
    sections = (payload.status, payload.components, payload.incidents,
                payload.scheduled_maintenances)
    if all(section is None for section in sections):
        raise PayloadError("Statuspage payload has no status, components, incidents "
                           "or maintenances")
    findings = _findings(payload, filters, fallback_name, page_url)
    return conclude(findings, watch_maintenance=watch_maintenance)


def _findings(payload: Payload, filters: list[str], fallback_name: str,
              page_url: str | None) -> Findings:
    components = list(payload.components or [])
    scope = Scope(filters, components)
    watched = [c for c in components if not c.group and scope.watches(c)]
    if scope.filters and payload.components is not None and not watched:
        raise PayloadError(
            "none of the watched components is on the page: " + ", ".join(sorted(scope.filters))
        )
    findings = Findings(
        name=payload.page.name or fallback_name,
        description=clean_text(payload.status.description, 120) if payload.status else None,
        scoped=bool(scope.filters),
        page_level=None if scope.filters or not payload.status else payload.status.indicator,
        link=payload.page.url or page_url,
        updated_at=payload.page.updated_at,
        components=[(f"{c.name}: {c.status}", COMPONENT_LEVEL[c.status]) for c in watched],
    )
    for incident in payload.incidents or []:
        attributed = _attribution(incident, scope)
        if incident.status in CLOSED or attributed is False:
            continue
        if incident.impact == "maintenance":  # some pages post maintenance as an incident
            findings.maintenances.append(_maintenance(_issue(incident), None))
        else:
            capped = attributed is None and bool(scope.filters)
            findings.incidents.append(_issue(incident, capped=capped))
    if payload.components is None:  # incidents.json only: take states from the incidents
        findings.components = _incident_components(payload.incidents or [], scope)
    _add_maintenances(findings, payload.scheduled_maintenances or [], scope)
    return findings


def _attribution(item: Incident, scope: Scope) -> bool | None:
    """True: touches a watched component; False: only others; None: names no component."""
    named: list[Component | Affected] = list(item.components or [])
    if not named:
        for update in item.incident_updates or []:
            named.extend(update.affected_components or [])
    if not named:
        return None
    return any(scope.watches(component) for component in named)


def _issue(item: Incident, *, capped: bool = False) -> Issue:
    updates = sorted(
        item.incident_updates or [], key=lambda u: u.display_at or u.created_at or "", reverse=True
    )
    level = "none" if item.impact == "maintenance" else item.impact
    if capped and level == "critical":
        level = "major"  # an incident we cannot tie to the watched components never means down
    return Issue(
        title=clean_text(item.name, TITLE_MAX) or "(untitled)",
        level=level,
        impact=item.impact,
        status=item.status,
        update=clean_text(updates[0].body) if updates else None,
        url=item.shortlink,
        started_at=item.started_at or item.created_at,
        updated_at=item.updated_at or (updates[0].display_at if updates else None),
    )


def _maintenance(issue: Issue, scheduled_for: str | None) -> Issue:
    """A maintenance is labelled as such and never counts as an incident level."""
    return replace(issue, level="none", impact="maintenance",
                   started_at=scheduled_for or issue.started_at)


def _incident_components(incidents: list[Incident], scope: Scope) -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for incident in incidents:
        if incident.status in CLOSED:
            continue
        for component in incident.components or []:
            if not component.group and scope.watches(component):
                seen[f"{component.name}: {component.status}"] = COMPONENT_LEVEL[component.status]
    return list(seen.items())


def _add_maintenances(findings: Findings, items: list[Maintenance], scope: Scope) -> None:
    upcoming: list[Maintenance] = []
    for item in items:
        if _attribution(item, scope) is False:
            continue
        if item.status in ACTIVE_MAINTENANCE:
            findings.maintenances.append(_maintenance(_issue(item), item.scheduled_for))
        elif item.status == "scheduled":
            upcoming.append(item)
    if upcoming:
        first = min(upcoming, key=lambda m: m.scheduled_for or "9999")
        when = f" at {first.scheduled_for}" if first.scheduled_for else ""
        findings.upcoming = f"maintenance '{clean_text(first.name, 80)}'{when}"
