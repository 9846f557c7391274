"""What the demo's simulated status pages and surfaces answer (Statuspage v2 JSON and a
small HTML page), from the story's events."""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, timedelta

from monitors.demo.story import PAGES, PageEvent

_LEVELS = {"none": 0, "minor": 1, "major": 2, "critical": 3}
_COMPONENT = {"minor": "degraded_performance", "major": "partial_outage",
              "critical": "major_outage", "maintenance": "under_maintenance"}
_INDICATOR_TEXT = {"none": "All Systems Operational", "minor": "Minor Service Outage",
                   "major": "Partial System Outage", "critical": "Major System Outage",
                   "maintenance": "Service Under Maintenance"}

def surface_body(name: str, surface: str) -> tuple[int, str, bytes]:
    """What a healthy surface answers: a page naming the brand, or an API's JSON rejection."""
    if surface == "api":
        error = {"error": {"message": "An access token is required.", "code": 104}}
        return 400, "application/json", json.dumps(error).encode()
    body = (f"<!doctype html><title>{name} (simulated)</title>"
            f"<h1>{name}</h1><p>Platform Pulse demo: simulated {surface}.</p>")
    return 200, "text/html; charset=utf-8", body.encode()


def status_html(summary: dict) -> str:
    """The human status page the dashboard links to: the same facts as summary.json."""
    rows = "".join(f"<li>{html.escape(c['name'])}: {c['status'].replace('_', ' ')}</li>"
                   for c in summary["components"])
    events = "".join(
        f"<li><b>{html.escape(i['name'])}</b> ({i['status'].replace('_', ' ')}): "
        f"{html.escape(i['incident_updates'][0]['body'])}</li>"
        for i in summary["incidents"] + summary["scheduled_maintenances"])
    return (f"<!doctype html><meta charset=utf-8><title>{html.escape(summary['page']['name'])}"
            f"</title><h1>{html.escape(summary['page']['name'])}</h1>"
            f"<p>{html.escape(summary['status']['description'])}</p><ul>{rows}</ul>"
            + (f"<h2>Now</h2><ul>{events}</ul>" if events else "")
            + "<p><small>Simulated by the Platform Pulse demo.</small></p>")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statuspage_summary(page_id: str, events: tuple[PageEvent, ...], now: datetime,
                       speed: float, base_url: str) -> dict:
    """A Statuspage v2 summary.json for the page's current incidents and maintenances."""
    page = next(p for p in PAGES if p.id == page_id)
    states = dict.fromkeys(page.components, "operational")
    incidents, maintenances, worst = [], [], "none"
    for index, event in enumerate(events):
        started = now - timedelta(seconds=event.started_ago_s / speed)
        until = now + timedelta(seconds=event.ends_in_s / speed)
        live = event.status not in ("scheduled",)
        level = "maintenance" if event.impact == "maintenance" else event.impact
        components = [{"id": f"{page_id}-{c.lower().replace(' ', '-')}", "name": c,
                       "status": _COMPONENT[level] if live else "operational"}
                      for c in event.components]
        if live:
            states.update({c: _COMPONENT[level] for c in event.components})
        item = {
            "id": f"{page_id}-{index}", "name": event.name, "status": event.status,
            "impact": level, "created_at": _iso(started), "updated_at": _iso(now),
            "started_at": _iso(started), "shortlink": f"{base_url}/{page_id}/incidents/{index}",
            "components": components,
            "incident_updates": [{"status": event.status, "body": event.update,
                                  "created_at": _iso(started), "display_at": _iso(started)}],
        }
        if level == "maintenance":
            maintenances.append({**item, "scheduled_for": _iso(started),
                                 "scheduled_until": _iso(until)})
        else:
            incidents.append(item)
            worst = max(worst, level, key=_LEVELS.__getitem__)
    indicator = worst if worst != "none" else (
        "maintenance" if "under_maintenance" in states.values() else "none")
    return {
        "page": {"id": f"demo-{page_id}", "name": page.name, "url": f"{base_url}/{page_id}",
                 "time_zone": "Etc/UTC", "updated_at": _iso(now)},
        "status": {"indicator": indicator, "description": _INDICATOR_TEXT[indicator]},
        "components": [{"id": f"{page_id}-{name.lower().replace(' ', '-')}", "name": name,
                        "status": status, "group": False, "group_id": None}
                       for name, status in states.items()],
        "incidents": incidents,
        "scheduled_maintenances": maintenances,
    }
