"""Built-in platform catalog (data only): the platforms a business sells and talks through.

`config.default_platforms()` validates it, so this module imports no models.

Every check is what an *anonymous* request sees; nothing here logs in. A check's id names the
surface it covers (DESIGN.md "Surfaces and partial outages"): `web` the site, `api` the
developer/marketing API host, `media` the image/video CDN, `messaging` the web chat client,
`dns` and `tls` the main host, `status` the vendor's status page (merged from
`monitors.catalog_status`). Each check's `note` says where the endpoint and its expectation
came from, with the confidence labels of `shared/status-sources.md`:
V verified in the vendor's docs or a real payload; B3 believed, seen used the same way in
several unrelated public repos/pages; B believed (memory or one weak source), check live.
The catalog is only ever validated in tests, never probed: it targets the internet.
"""

from __future__ import annotations

from typing import Any

try:
    from monitors.catalog_status import OFFICIAL_SOURCES
except ModuleNotFoundError as exc:  # the status-source table is optional; its bugs are not
    if exc.name != "monitors.catalog_status":
        raise
    OFFICIAL_SOURCES: dict[str, dict[str, Any]] = {}

# A CDN root (or an unknown path on it) has no page to serve, so a healthy edge answers with
# its own 4xx (or redirects to the brand's site): any of these proves the CDN is serving.
# 5xx, timeouts, resets and TLS failures are what a media outage looks like.
EDGE_UP = [200, 204, 400, 403, 404]
# An unauthenticated API call is rejected with a JSON error: that rejection is "up".
API_REJECTS = [400, 401, 403]


def _http(check_id: str, url: str, note: str, *, expect: list[int] | None = None,
          keyword: str = "", json_field: str = "", slow: str = "3s",
          fallbacks: tuple[str, ...] = ()) -> dict[str, Any]:
    """One anonymous HTTP check: expected statuses, optional keyword or JSON field, and other
    URLs of the same surface for when this one refuses the monitor for long."""
    check: dict[str, Any] = {"id": check_id, "kind": "http", "url": url,
                             "expect_status": list(expect or [200]), "degraded_after": slow,
                             "note": note}
    if fallbacks:
        check["fallback_urls"] = list(fallbacks)
    if keyword:
        check["keyword"] = keyword
    if json_field:
        check["json_field"] = json_field
    return check


def _web(url: str, keyword: str, note: str = "", *, expect: list[int] | None = None,
         check_id: str = "web", fallbacks: tuple[str, ...] = ()) -> dict[str, Any]:
    """A site check that also requires the brand name in the page."""
    # The brand name is in every variant of the anonymous page (title, asset URLs), so the
    # keyword tells the real site from a captive portal or a parked/hijacked answer.
    why = note or "anonymous GET of the home page answers 200 after redirects (B3)"
    return _http(check_id, url, f"{why}; keyword '{keyword}' is in every locale's page",
                 expect=expect, keyword=keyword, fallbacks=fallbacks)


def _api(url: str, json_field: str, note: str, expect: list[int] | None = None) -> dict[str, Any]:
    """An API host check: an anonymous call is rejected with a JSON error, which is up."""
    return _http("api", url, note, expect=expect or API_REJECTS, json_field=json_field,
                 slow="2s")


def _media(url: str, note: str, expect: list[int] | None = None) -> dict[str, Any]:
    """A CDN check: the edge answering with its own status shows it is serving."""
    return _http("media", url, note, expect=expect or EDGE_UP)


def _dns(host: str) -> dict[str, Any]:
    """An A lookup of the main host with the system resolver."""
    return {"id": "dns", "kind": "dns", "name": host, "record": "A", "degraded_after": "1s",
            "note": f"A record of {host} from the system resolver; any answer is up (V: DNS)"}


def _tls(host: str) -> dict[str, Any]:
    """A verified TLS handshake with the main host, degraded near certificate expiry."""
    return {"id": "tls", "kind": "tls", "host": host, "port": 443, "degraded_after": "2s",
            "note": f"TLS handshake with {host}:443 verifies; degraded under 14 days to "
                    "certificate expiry (V: TLS)"}


_GRAPH = ("Graph API rejects a call without access token with HTTP 400 and a JSON 'error' "
          "object (V: Meta docs 'Access Tokens: Debugging and Error Handling')")
_FBCDN = ("Meta's static CDN; the root answers the edge's own 4xx (B); in the classic Meta "
          "outage the sites answered while this did not")
_IGCDN = "Instagram/Threads image CDN; the root answers the edge's own 4xx (B)"

_PLATFORMS: list[dict[str, Any]] = [
    {"id": "facebook", "name": "Facebook", "provider": "Meta",
     "status_page": "https://metastatus.com/",
     "checks": [
         _web("https://www.facebook.com/", "facebook"),
         _api("https://graph.facebook.com/me", "error", _GRAPH, expect=[400]),
         _media("https://static.xx.fbcdn.net/", _FBCDN),
         _dns("www.facebook.com"), _tls("www.facebook.com")]},
    {"id": "instagram", "name": "Instagram", "provider": "Meta",
     "status_page": "https://metastatus.com/",
     "checks": [
         _web("https://www.instagram.com/", "instagram"),
         _api("https://graph.instagram.com/me", "error",
              "Instagram API host; without token it answers a Graph-style JSON 'error' (B3: "
              "same call used as a token probe in public repos)"),
         _media("https://scontent.cdninstagram.com/", _IGCDN),
         _dns("www.instagram.com"), _tls("www.instagram.com")]},
    {"id": "whatsapp", "name": "WhatsApp", "provider": "Meta",
     "status_page": "https://metastatus.com/whatsapp-business-api",
     "checks": [
         _web("https://www.whatsapp.com/", "whatsapp"),
         _web("https://web.whatsapp.com/", "whatsapp",
              "WhatsApp Web client shell answers 200 to an anonymous GET (B3)",
              check_id="messaging"),
         _api("https://graph.facebook.com/me", "error",
              "WhatsApp Cloud API lives on the Graph API host (V: Meta docs); " + _GRAPH,
              expect=[400]),
         _media("https://mmg.whatsapp.net/",
                "WhatsApp media download host; the root answers the edge's own 4xx (B)"),
         _dns("www.whatsapp.com"), _tls("www.whatsapp.com")]},
    {"id": "messenger", "name": "Messenger", "provider": "Meta",
     "status_page": "https://metastatus.com/",
     "checks": [
         _web("https://www.messenger.com/", "messenger",
              "messenger.com (the web chat client) answers its login page with 200 (B3)"),
         _api("https://graph.facebook.com/me/messages", "error",
              "Messenger Send API path on the Graph API host (V: Meta docs); " + _GRAPH,
              expect=[400]),
         _media("https://static.xx.fbcdn.net/", _FBCDN),
         _dns("www.messenger.com"), _tls("www.messenger.com")]},
    {"id": "threads", "name": "Threads", "provider": "Meta",
     "status_page": "https://www.threads.com/@threads",
     "checks": [
         _web("https://www.threads.com/", "threads",
              "threads.net moved to threads.com in 2025; anonymous GET answers 200 (B)"),
         _api("https://graph.threads.net/me", "error",
              "Threads API host (B3: graph.threads.net in many public clients); without "
              "token a Graph-style JSON 'error' (B)"),
         _media("https://scontent.cdninstagram.com/",
                "Threads serves images from Instagram's CDN (B3); " + _IGCDN),
         _dns("www.threads.com"), _tls("www.threads.com")]},
    {"id": "x", "name": "X", "provider": "X Corp",
     "status_page": "https://developer.x.com/status",
     "checks": [
         _http("web", "https://x.com/",
               "anonymous GET answers the app shell with 200 (B); no keyword: the shell's "
               "text is not stable enough to rely on; datacenter probes have been answered "
               "400 since 2023-12-17 (realworld traces), so twitter.com (redirects to the "
               "same shell, B) is the fallback",
               fallbacks=("https://twitter.com/",)),
         _api("https://api.x.com/2/users/me", "title",
              "X API v2 rejects a call without credentials with 401 (or 400/403) and a "
              "problem+json body with 'title', 'detail', 'type' (V: docs.x.com response codes)"),
         _media("https://pbs.twimg.com/",
                "X image CDN (profile and post images); the root answers the edge's own 4xx (B)"),
         _dns("x.com"), _tls("x.com")]},
    {"id": "linkedin", "name": "LinkedIn", "provider": "Microsoft",
     "status_page": "https://www.linkedin-apistatus.com/",
     "checks": [
         _http("web", "https://www.linkedin.com/",
               "guest home page answers 200; LinkedIn answers some non-browser clients and "
               "networks with its bot wall, status 999, which is the site answering (V: "
               "http.dev/999); no keyword because the 999 body is a bare script",
               expect=[200, 999]),
         _api("https://api.linkedin.com/v2/me", "message",
              "Marketing/REST API rejects a missing token with 401 and JSON "
              "{serviceErrorCode, message, status} (B)"),
         _media("https://media.licdn.com/",
                "LinkedIn image/video CDN; the root answers the edge's own 4xx (B)"),
         _dns("www.linkedin.com"), _tls("www.linkedin.com")]},
    {"id": "tiktok", "name": "TikTok", "provider": "ByteDance",
     "status_page": "https://x.com/TikTokSupport",
     "checks": [
         _web("https://www.tiktok.com/", "tiktok"),
         _api("https://open.tiktokapis.com/v2/user/info/", "error",
              "TikTok API v2 answers a missing token with 401 access_token_invalid in a JSON "
              "'error' struct (V: developers.tiktok.com error handling)"),
         _media("https://p16-sign.tiktokcdn.com/",
                "TikTok image CDN (covers, avatars); the root answers the edge's own 4xx (B)"),
         _dns("www.tiktok.com"), _tls("www.tiktok.com")]},
    {"id": "youtube", "name": "YouTube", "provider": "Google",
     "status_page": "https://x.com/TeamYouTube",
     "checks": [
         _web("https://www.youtube.com/", "youtube",
              "anonymous GET answers 200 (in the EU after a redirect to the consent page, "
              "which also names youtube) (B3)"),
         _api("https://www.googleapis.com/youtube/v3/videos?part=id&id=jNQXAC9IVRw", "error",
              "YouTube Data API without key answers 403 (or 400/401) with a JSON 'error' "
              "object (B3: many public pages)"),
         _media("https://i.ytimg.com/vi/jNQXAC9IVRw/hqdefault.jpg",
                "thumbnail of YouTube's first video ('Me at the zoo', 2005), a permanent "
                "object: 200 with an image (B3)", expect=[200]),
         _dns("www.youtube.com"), _tls("www.youtube.com")]},
    {"id": "pinterest", "name": "Pinterest", "provider": "Pinterest",
     "status_page": "https://www.pintereststatus.com/",
     "checks": [
         _web("https://www.pinterest.com/", "pinterest"),
         _api("https://api.pinterest.com/v5/user_account", "message",
              "API v5 rejects a missing token with 401 and JSON {code, message} (B3: "
              "pinbridge.io error reference)"),
         _media("https://i.pinimg.com/",
                "Pinterest image CDN; the root answers the edge's own 4xx (B)"),
         _dns("www.pinterest.com"), _tls("www.pinterest.com")]},
    {"id": "snapchat", "name": "Snapchat", "provider": "Snap",
     "status_page": "https://x.com/snapchatsupport",
     "checks": [
         _web("https://www.snapchat.com/", "snapchat"),
         _web("https://web.snapchat.com/", "snapchat",
              "Snapchat for Web redirects an anonymous visitor to the login page, 200 (B)",
              check_id="messaging"),
         _api("https://adsapi.snapchat.com/v1/me", "",
              "Marketing API rejects a missing token with 401 (B3: /v1/me in many public "
              "clients); the body format is not documented, so only the status is checked",
              expect=[401, 403]),
         _media("https://cf-st.sc-cdn.net/",
                "Snap media CDN (B3: cf-st.sc-cdn.net in many public clients); the root "
                "answers the edge's own 4xx (B)"),
         _dns("www.snapchat.com"), _tls("www.snapchat.com")]},
    {"id": "reddit", "name": "Reddit", "provider": "Reddit",
     "status_page": "https://www.redditstatus.com/",
     "checks": [
         _web("https://www.reddit.com/", "reddit",
              "anonymous GET of the home page answers 200 (B3); datacenter probes have been "
              "answered 403 since 2023-12-12 (realworld traces), so old.reddit.com (the same "
              "site's older front end, B) is the fallback",
              fallbacks=("https://old.reddit.com/",)),
         _api("https://oauth.reddit.com/api/v1/me", "error",
              "OAuth API host answers a missing token with 401 and JSON {message, error} "
              "(B3: Reddit OAuth2 wiki, public pages)"),
         _media("https://i.redd.it/",
                "Reddit image host; the root redirects to reddit.com or answers the edge's "
                "own 4xx (B)"),
         _dns("www.reddit.com"), _tls("www.reddit.com")]},
    {"id": "discord", "name": "Discord", "provider": "Discord",
     "status_page": "https://discordstatus.com/",
     "checks": [
         _web("https://discord.com/", "discord"),
         _api("https://discord.com/api/v10/gateway", "url",
              "GET /gateway needs no auth and answers 200 JSON {url: wss://gateway...} (V: "
              "Discord docs 'Get Gateway', discord-api-types)", expect=[200]),
         _media("https://cdn.discordapp.com/embed/avatars/0.png",
                "Discord CDN's built-in default avatar, a permanent object: 200 PNG (B3)",
                expect=[200]),
         _dns("discord.com"), _tls("discord.com")]},
    {"id": "telegram", "name": "Telegram", "provider": "Telegram",
     "status_page": "https://t.me/telegram",
     "checks": [
         _web("https://telegram.org/", "telegram"),
         _web("https://web.telegram.org/", "telegram",
              "Telegram Web client shell answers 200 after redirects (B3)",
              check_id="messaging"),
         _api("https://api.telegram.org/bot/getMe", "ok",
              "Bot API answers a call without bot token with 404 (401 for a bad token) and "
              "JSON {ok: false, error_code, description} (B3: Bot API docs, public pages)",
              expect=[401, 404]),
         _media("https://cdn4.telesco.pe/",
                "CDN of t.me channel previews (B3: cdnN.telesco.pe/file/... in many public "
                "pages); the root answers the edge's own 4xx (B)"),
         _dns("telegram.org"), _tls("telegram.org")]},
    {"id": "slack", "name": "Slack", "provider": "Salesforce",
     "status_page": "https://slack-status.com/",
     "checks": [
         _web("https://slack.com/", "slack"),
         _api("https://slack.com/api/api.test", "ok",
              "api.test needs no token and answers 200 JSON {ok: true} (V: Slack API docs)",
              expect=[200]),
         _web("https://app.slack.com/", "slack",
              "web client entry redirects an anonymous visitor to sign-in, 200 (B)",
              check_id="messaging"),
         _media("https://a.slack-edge.com/",
                "Slack static/media CDN; the root answers the edge's own 4xx (B)"),
         _dns("slack.com"), _tls("slack.com")]},
]


def _with_official(platform: dict[str, Any]) -> dict[str, Any]:
    """The platform with its official status check (id `status`) appended, when one exists."""
    fields = OFFICIAL_SOURCES.get(platform["id"])
    if not fields:
        return platform
    status = {"id": "status", "kind": "statuspage", **fields}
    return {**platform, "checks": [*platform["checks"], status]}


PLATFORMS: list[dict[str, Any]] = [_with_official(p) for p in _PLATFORMS]

