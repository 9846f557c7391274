"""Alert targets: apprise sending, routing around down platforms, and keeping secrets out."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from pydantic import SecretStr

from monitors.config import Alert, Settings
from monitors.text import short

SEND_TIMEOUT_S = 30.0  # apprise's own budget per service (connect + read + its retries)

# apprise scheme -> platform ids whose outage takes that channel down with it. A target
# using one of these is skipped while such a platform is down, on top of its `avoid` list.
SCHEME_PLATFORMS: dict[str, tuple[str, ...]] = {
    "slack": ("slack",),
    "slacks": ("slack",),
    "discord": ("discord",),
    "tgram": ("telegram",),
    "whatsapp": ("whatsapp",),  # WhatsApp Cloud API
    "whapi": ("whatsapp",),  # WhatsApp gateways
    "evolution": ("whatsapp",),
    "evolutions": ("whatsapp",),
    "x": ("x",),
    "twitter": ("x",),
    "tweet": ("x",),
    "reddit": ("reddit",),
    "msteams": ("microsoft-teams",),
    "workflow": ("microsoft-teams",),  # Teams via Power Automate workflows
    "workflows": ("microsoft-teams",),
    "gchat": ("google-chat",),
    "bsky": ("bluesky",),
    "bluesky": ("bluesky",),
    "mastodon": ("mastodon",),
    "mastodons": ("mastodon",),
    "toot": ("mastodon",),
    "toots": ("mastodon",),
    "line": ("line",),
    "signal": ("signal",),
    "signals": ("signal",),
    "wxteams": ("webex",),
    "webex": ("webex",),
    "viber": ("viber",),
    "threema": ("threema",),
}
# Native webhook URLs (https://...) that apprise also accepts, by host suffix.
HOST_PLATFORMS: dict[str, tuple[str, ...]] = {
    "hooks.slack.com": ("slack",),
    "discord.com": ("discord",),
    "discordapp.com": ("discord",),
    "api.telegram.org": ("telegram",),
    "webhook.office.com": ("microsoft-teams",),
    "logic.azure.com": ("microsoft-teams",),
    "chat.googleapis.com": ("google-chat",),
}

# a host name ends in an all-letter (or punycode) top-level label: "o.Ab3x…" or the last part
# of a JWT is not one
_HOSTLIKE = re.compile(
    r"^(localhost|\[[0-9a-f:.]+\]|(\d{1,3}\.){3}\d{1,3}"
    r"|([a-z0-9_-]{1,63}\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59}))$",
    re.I,
)
# apprise schemes whose "host" is an id or token of the service, never a server name
_TOKEN_HOST_SCHEMES = {
    "slack", "discord", "tgram", "msteams", "gchat", "x", "twitter", "tweet", "reddit",
    "pbul", "pover", "pushed", "join", "ifttt", "spush", "line", "whatsapp", "threema",
}
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*$", re.I)
# query parameters whose values are settings or addresses, not secrets
_PLAIN_PARAMS = {
    "mode", "format", "overflow", "method", "to", "from", "cc", "bcc", "reply", "name",
    "smtp", "cto", "rto", "verify", "retry", "wait", "optional", "image", "footer", "blocks",
}


class AlertError(Exception):
    """A channel did not take the message; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True, slots=True)
class _Parts:
    scheme: str
    userinfo: str
    host: str
    port: str
    rest: str  # path, query and fragment


def _split(url: str) -> _Parts | None:
    scheme, sep, rest = url.strip().partition("://")
    if not sep or not _SCHEME.match(scheme):
        return None
    cut = re.search(r"[/?#]", rest)
    netloc, tail = (rest[: cut.start()], rest[cut.start() :]) if cut else (rest, "")
    userinfo, _, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        host, _, port = hostport.partition("]")
        host, port = host + "]", port.removeprefix(":")
    else:
        host, _, port = hostport.rpartition(":") if ":" in hostport else (hostport, "", "")
    if port and not port.isdigit():  # "123:token" is a bot token, not host:port
        host, port = hostport, ""
    return _Parts(scheme.lower(), userinfo, host, port, tail)


def _text(url: str | SecretStr) -> str:
    return url.get_secret_value() if isinstance(url, SecretStr) else str(url)


def _token_host(parts: _Parts) -> bool:
    return parts.scheme in _TOKEN_HOST_SCHEMES or not _HOSTLIKE.match(parts.host)


def redact_url(url: str | SecretStr) -> str:
    """Scheme and host only ('mailto://smtp.example.com'); a host that is really a token is '…'."""
    parts = _split(_text(url))
    if parts is None:
        return "(not a URL)"
    if _token_host(parts):
        return f"{parts.scheme}://…"
    return f"{parts.scheme}://{parts.host}" + (f":{parts.port}" if parts.port else "")


def secret_parts(url: str | SecretStr) -> set[str]:
    """Fragments of an apprise URL that may be secret: user, password, tokens in host, path or
    query, whether or not they contain dots (a JWT or "abc.def" is still a token).

    Only the host is kept when it looks like a host name; every other part of the URL is
    registered (registered fragments are scrubbed from the sending libraries' log lines).
    """
    text = _text(url)
    parts = _split(text)
    if parts is None:
        return {text, *text.split()} - {""} if text else set()
    found: set[str] = set()
    if parts.userinfo:
        user, _, password = parts.userinfo.partition(":")
        found.update({parts.userinfo, user, password})
    if _token_host(parts):
        found.update({parts.host, f"{parts.host}:{parts.port}" if parts.port else parts.host})
    path, _, query = parts.rest.partition("?")
    found.update(seg for seg in re.split(r"[/#]", path) if len(seg) >= 6)
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if key.lower() not in _PLAIN_PARAMS:
            found.add(value)
    found |= {unquote(f) for f in found} | {quote(f, safe="") for f in found}
    return {f for f in found if len(f) >= 3}


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Text with every secret fragment replaced by '***' and URL credentials stripped."""
    for secret in sorted(set(secrets), key=len, reverse=True):
        text = text.replace(secret, "***")
    return short(text, limit=1000)


class _SecretFilter(logging.Filter):
    """Scrubs registered URL secrets from records of loggers we do not own (apprise, urllib3)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, fragments: Iterable[str]) -> None:
        with self._lock:
            self.secrets |= set(fragments)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's business
            return True
        if any(s in message for s in self.secrets):
            record.msg, record.args = scrub(message, self.secrets), ()
        return True


_FILTER = _SecretFilter()
# apprise logs unparseable URLs whole at ERROR; urllib3 logs request paths (webhook tokens)
_FILTERED_LOGGERS = (
    "apprise", "urllib3", "urllib3.connectionpool", "urllib3.connection",
    "urllib3.poolmanager", "urllib3.util.retry", "requests", "monitors.alerts",
)
for _name in _FILTERED_LOGGERS:
    logging.getLogger(_name).addFilter(_FILTER)


@dataclass(frozen=True)
class Target:
    """One configured alert target, as routing and the UI see it (the URL stays a secret)."""

    index: int
    label: str
    url: SecretStr
    avoid: frozenset[str]  # configured + automatic for its scheme
    events: frozenset[str]
    degraded: bool

    def wants(self, kind: str, severity: str | None = None) -> bool:
        """True when this target subscribed to this kind of event."""
        wanted = "vantage" if kind.startswith("vantage") else kind
        if wanted not in self.events:
            return False
        return severity != "degraded" or self.degraded or "degraded" in self.events

    def blocked_by(self, down: Iterable[str]) -> list[str]:
        """The down platforms this target depends on (skip it while this is not empty)."""
        return sorted(self.avoid & set(down))

    @property
    def secrets(self) -> set[str]:
        """Fragments of the URL that must never be shown."""
        return secret_parts(self.url)


def automatic_avoid(url: str | SecretStr) -> tuple[str, ...]:
    """Platform ids a target depends on by its scheme or webhook host (see SCHEME_PLATFORMS)."""
    parts = _split(_text(url))
    if parts is None:
        return ()
    if parts.scheme in SCHEME_PLATFORMS:
        return SCHEME_PLATFORMS[parts.scheme]
    host = parts.host.lower()
    for suffix, platforms in HOST_PLATFORMS.items():
        if host == suffix or host.endswith("." + suffix):
            return platforms
    return ()


def targets_from_settings(settings: Settings) -> list[Target]:
    """The configured [[alerts]] as Targets with unique labels; registers their secrets."""
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for index, alert in enumerate(settings.alerts):
        targets.append(_target(index, alert, seen))
    return targets


def _target(index: int, alert: Alert, seen: dict[str, int]) -> Target:
    label = alert.name or redact_url(alert.url)
    seen[label] = seen.get(label, 0) + 1
    if seen[label] > 1:
        label = f"{label} #{seen[label]}"
    _FILTER.add(secret_parts(alert.url))
    events = set(alert.events) | ({"degraded"} if alert.degraded else set())
    return Target(
        index=index,
        label=label,
        url=alert.url,
        avoid=frozenset(alert.avoid) | frozenset(automatic_avoid(alert.url)),
        events=frozenset(events),
        degraded=alert.degraded,
    )


_ASSET = None


def _asset():
    global _ASSET
    if _ASSET is None:
        import apprise  # lazy: apprise takes 0.09-0.16 s to import; only sending needs it

        # memory storage: apprise would otherwise cache under the user's home directory
        _ASSET = apprise.AppriseAsset(
            storage_mode="memory", service_timeout=SEND_TIMEOUT_S, result_log_memory_size=64_000
        )
    return _ASSET


def _failure_text(result: object) -> str:
    messages = [getattr(entry, "message", str(entry)) for entry in result.logs()]  # type: ignore[attr-defined]
    return messages[-1] if messages else "the service did not accept the message"


def send(target: Target, title: str, body: str) -> None:
    """Send one message to one target; raise AlertError when it was not delivered."""
    import apprise  # lazy: apprise takes 0.09-0.16 s to import; only sending needs it

    app = apprise.Apprise(asset=_asset())
    if not app.add(target.url.get_secret_value()):
        raise AlertError("apprise does not accept this URL (unknown scheme or bad fields)",
                         permanent=True)
    result = app.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT)
    if not result:
        raise AlertError(scrub(_failure_text(result), target.secrets))
