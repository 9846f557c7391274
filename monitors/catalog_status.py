"""Official status sources of the built-in platforms (data only; merged as check id `status`).

Sources and confidence are in shared/status-sources.md. Only machine-readable, vendor-run
sources are listed; third-party aggregators (Downdetector, isdown …) are never used. A
platform missing here has no official signal, which the dashboard shows as "not available".
"""

from __future__ import annotations

_META_NOTE = (
    "metastatus.com /data/orgs.json (undocumented; org ids from third-party clients, B3). "
    "Covers Meta's business products, not the consumer apps; an HTML shell means unknown."
)

OFFICIAL_SOURCES: dict[str, dict] = {
    # Meta: one orgs.json, a different set of orgs per platform. A Meta-wide outage shows on
    # several orgs at once, which is how the provider grouping sees it.
    "facebook": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://metastatus.com/data/orgs.json",
        "format": "metastatus",
        "orgs": ["fbs", "ads-manager", "marketing-api", "graph-api", "facebook-login",
                 "fb-ig-shops"],
        "note": _META_NOTE + " Business Suite, Ads Manager, Marketing/Graph API, Login, Shops.",
    },
    "instagram": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://metastatus.com/data/orgs.json",
        "format": "metastatus",
        # Instagram's business APIs run on the Graph API; ads are bought in Ads Manager and
        # DMs go through Messenger's Instagram messaging.
        "orgs": ["graph-api", "ig-messenger", "fb-ig-shops", "ads-manager"],
        "note": _META_NOTE + " Graph API, Instagram messaging, Shops, Ads Manager.",
    },
    "whatsapp": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://metastatus.com/data/orgs.json",
        "format": "metastatus",
        # Services (Meta docs, V): Cloud API, Cloud API - Localized Storage, WhatsApp Business
        # Account Management, On-Premises Solution, Embedded Signup; all of them are watched.
        "orgs": ["whatsapp-business-api"],
        "note": _META_NOTE + " WhatsApp Business Platform only (not consumer WhatsApp).",
    },
    "messenger": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://metastatus.com/data/orgs.json",
        "format": "metastatus",
        "orgs": ["messenger"],
        "note": _META_NOTE + " Messenger Platform.",
    },
    # threads: no official status source (no Threads org in any orgs.json consumer seen).
    "x": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://api.twitterstat.us/api/v2/summary.json",
        "format": "statuspage",
        "page_id": "zjttvm6ql9lp",
        "note": "LEGACY: api.twitterstat.us was the Statuspage page for the X developer API "
        "and may be gone; a 404, redirect or HTML is unknown, never down. Never covered x.com.",
    },
    "linkedin": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://www.linkedin-apistatus.com/api/v2/summary.json",
        "format": "statuspage",
        "note": "Statuspage v2 for LinkedIn's developer/marketing APIs (checked live 2026-07, "
        "B3); page id not recorded. linkedin-status.com is unofficial and not used.",
    },
    # tiktok: no official status source found.
    # youtube: no official status source (not on the Workspace dashboard; @TeamYouTube posts).
    "pinterest": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://www.pintereststatus.com/api/v2/summary.json",
        "format": "statuspage",
        "page_id": "h8hwp7pfmmrz",
        # 41 components mixing the site, Ads Manager and the API; all watched by default.
        # Narrow with components = ["The Pinterest API"] (a group: its 8 children count).
        "note": "Statuspage v2 (checked live 2026-08, B3).",
    },
    # snapchat: no official status source found.
    "reddit": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://www.redditstatus.com/api/v2/summary.json",
        "format": "statuspage",
        "page_id": "2kbc0d48tv3j",
        "note": "Statuspage v2 (checked live 2026-07, B3); includes Reddit Ads components.",
    },
    "discord": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://discordstatus.com/api/v2/summary.json",
        "format": "statuspage",
        "page_id": "srhpyqt94yxb",
        "note": "Statuspage v2 (verified): API, Gateway, CloudFlare, Media Proxy, Voice regions.",
    },
    # telegram: no official status source (news goes out on the @telegram channel only).
    "slack": {
        "id": "status",
        "kind": "statuspage",
        "url": "https://slack-status.com/api/v2.0.0/current",
        "format": "slack",
        "note": "Slack Status API v2.0.0 (verified in Slack's docs); services filter = "
        "components, e.g. Messaging, Notifications, Apps/Integrations/APIs.",
    },
}
