"""The demo's settings, built in code: every target on 127.0.0.1, short rounds, a business.

The config is written to `DATA/demo.toml` so the dashboard (a separate process) loads exactly
what the demo's sampler uses, through the ordinary `load_settings`.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import tomli_w

from monitors.config import Settings, load_settings
from monitors.demo.sales import series_config
from monitors.demo.servers import SimPlatforms
from monitors.demo.story import CAST, SLOW_AFTER_S, Character

DEFAULT_DATA = "demo-data"
CONFIG_NAME = "demo.toml"
VANTAGE = "demo"
INTERVAL_S = 2.0
TIMEOUT_S = 1.8  # above X's 0.9 s answers, below the 2 s interval
SLOW_S = 1.0  # degraded_after for every other check
REVIEWED_DAYS_AGO = 40  # the playbooks look maintained

# What an hour of each platform is worth to a small online shop that sells through social
# media (revenue per hour, leads per hour, value per lead, ad spend per day, recapture).
IMPACT: dict[str, tuple[float, float, float, float, float]] = {
    "facebook": (180.0, 2.0, 30.0, 240.0, 0.35),
    "instagram": (260.0, 3.0, 30.0, 320.0, 0.4),
    "whatsapp": (140.0, 4.0, 25.0, 0.0, 0.6),
    "x": (25.0, 0.5, 20.0, 40.0, 0.5),
    "tiktok": (90.0, 1.5, 20.0, 150.0, 0.3),
    "linkedin": (30.0, 1.0, 80.0, 60.0, 0.7),
    "youtube": (40.0, 0.5, 25.0, 80.0, 0.6),
    "reddit": (10.0, 0.2, 20.0, 0.0, 0.6),
    "discord": (15.0, 0.3, 20.0, 0.0, 0.8),
}

PLAYBOOKS: dict[str, tuple[list[str], list[str]]] = {
    "facebook": (["email", "linkedin", "website chat"],
                 ["Pause Facebook and Instagram ad sets (Ads Manager may not load: use the "
                  "Marketing API or ask the agency)",
                  "Post the status update on LinkedIn and the website banner",
                  "Send the offer to the email list"]),
    "instagram": (["email", "tiktok", "website chat"],
                  ["Pause Instagram ads", "Move today's launch post to TikTok",
                   "Email the list with the offer", "Tell the influencer contacts"]),
    "whatsapp": (["sms", "email", "phone"],
                 ["Switch the support number's auto-reply to SMS",
                  "Put the phone line on the website contact page",
                  "Answer open WhatsApp chats by email"]),
    "x": (["linkedin", "email"], ["Post customer updates on LinkedIn instead",
                                  "Hold scheduled X posts until it recovers"]),
    "tiktok": (["instagram", "youtube"], ["Hold TikTok spend during the maintenance",
                                          "Post the video as YouTube Shorts"]),
    "linkedin": (["email"], ["Send B2B follow-ups by email",
                             "Reschedule the LinkedIn Live to tomorrow"]),
    "youtube": (["instagram", "tiktok"], ["Link the product video from the website instead",
                                          "Post a short cut on Instagram Reels"]),
    "reddit": (["discord"], ["Answer community questions in Discord"]),
    "discord": (["reddit", "email"], ["Post the community update on Reddit",
                                      "Email event attendees the new link"]),
}


def _http(check_id: str, url: str, brand: str, *, slow_s: float) -> dict[str, Any]:
    check: dict[str, Any] = {"id": check_id, "kind": "http", "url": url,
                             "degraded_after": slow_s, "note": "simulated by the demo"}
    if check_id == "api":  # like the real APIs: an anonymous call is rejected with JSON
        check.update(expect_status=[400], json_field="error")
    else:
        check.update(expect_status=[200], keyword=brand)
    return check


def _platform(member: Character, sim: SimPlatforms) -> dict[str, Any]:
    slow_s = SLOW_AFTER_S if member.id == "x" else SLOW_S
    checks = [_http(surface, sim.url(member.id, surface), member.name, slow_s=slow_s)
              for surface in member.surfaces]
    checks += [{"id": check_id, "kind": "dns", "name": host, "nameserver": "127.0.0.1",
                "port": sim.dns_port, "degraded_after": SLOW_S,
                "note": "answered by the demo's DNS server"}
               for check_id, host in member.dns]
    if member.page:
        checks.append({"id": "status", "kind": "statuspage", "url": sim.status_url(member.page),
                       "format": "statuspage", "components": [member.component]})
    revenue, leads, lead_value, ad_spend, recapture = IMPACT.get(member.id, (0, 0, 0, 0, 0))
    fallbacks, steps = PLAYBOOKS.get(member.id, (["email"], ["Use the other channels"]))
    return {
        "id": member.id, "name": member.name, "provider": member.provider,
        "status_page": sim.status_url(member.page).removesuffix("/api/v2/summary.json")
        if member.page else "",
        "checks": checks,
        "impact": {"revenue_per_hour": revenue, "leads_per_hour": leads,
                   "lead_value": lead_value, "ad_spend_per_day": ad_spend,
                   "recapture": recapture},
        "playbook": {"fallbacks": fallbacks, "steps": steps,
                     "reviewed": date.today() - timedelta(days=REVIEWED_DAYS_AGO)},
    }


def demo_config(sim: SimPlatforms, *, dashboard_port: int | None = None,
                sales: bool = False) -> dict[str, Any]:
    """The demo config as a TOML-ready mapping (targets on the running simulated platforms);
    with `sales`, the demo shop's own (synthetic) sales series for measured impact."""
    monitor: dict[str, Any] = {
        "interval": INTERVAL_S, "timeout": TIMEOUT_S, "confirm": 2, "recover": 2,
        "vantage": VANTAGE, "default_platforms": False, "controls": [sim.control_url()],
        "flush_every": 4.0, "compact_every": 600.0, "concurrency": 32,
    }
    if dashboard_port:
        monitor["dashboard_url"] = f"http://127.0.0.1:{dashboard_port}"
    business: dict[str, Any] = {
        "name": "Northwind Coffee Roasters (demo)", "currency": "USD",
        "timezone": "Europe/London", "hours": "Mon-Sat 08:00-20:00",
        "off_hours_weight": 0.3, "degraded_factor": 0.3}
    if sales:
        business["series"] = series_config()
    return {
        "monitor": monitor,
        "business": business,
        "platforms": [_platform(member, sim) for member in CAST],
    }


def write_demo_settings(raw: dict[str, Any], data: str) -> Settings:
    """Write `DATA/demo.toml` and load it back the ordinary way (so the dashboard can too)."""
    path = Path(data) / CONFIG_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{CONFIG_NAME}.tmp")
    tmp.write_text("# Written by `python -m monitors demo`; every target is on 127.0.0.1.\n"
                   + tomli_w.dumps(raw), encoding="utf-8")
    tmp.replace(path)
    return load_settings(str(path), data)
