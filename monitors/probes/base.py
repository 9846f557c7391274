"""The probe seam: one result type, one context, and the fields every check shares."""

from __future__ import annotations

import os
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Annotated

import httpx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from monitors.probes.transport import FreshTransport
from monitors.timeutil import parse_duration
from monitors.vocabulary import Status

Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds; accepts "30s", "5m", "1h" or a number of seconds in config."""

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36 PlatformPulse/0.1 (+self-hosted outage monitor)"
)
MAX_BODY_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class OfficialInfo:
    """What a vendor's status page says right now (kept for the dashboard and alerts)."""

    indicator: str = "none"  # none | minor | major | critical | maintenance | unknown
    description: str | None = None  # the page's own summary line
    title: str | None = None  # worst open incident or active maintenance
    impact: str | None = None  # none | minor | major | critical | maintenance
    incident_status: str | None = None  # investigating | identified | monitoring | in_progress ...
    components: tuple[str, ...] = ()  # affected watched components, "Name: status"
    update: str | None = None  # latest update text, shortened
    url: str | None = None  # link to the incident (or the page)
    started_at: str | None = None  # ISO 8601 UTC, when the vendor opened it
    updated_at: str | None = None  # ISO 8601 UTC, latest update


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What one check saw. Returned, never raised."""

    status: Status
    latency_ms: float | None = None
    http_status: int | None = None
    error: str | None = None  # error class from DESIGN.md: "dns", "tls", "timeout", ...
    detail: str | None = None  # short human text, no secrets, <= 200 chars
    phases_ms: dict[str, float] | None = None  # timing phases where measurable
    official: OfficialInfo | None = None  # statuspage checks only
    retry_after_s: float | None = None  # a refusal's Retry-After, when the server gave one


@dataclass(frozen=True, slots=True)
class ProbeContext:
    """Shared resources for every probe in a round."""

    client: httpx.AsyncClient  # shared; limits, user agent, redirect cap set once
    timeout_s: float  # hard bound for the whole check
    ssl_context: ssl.SSLContext = field(default_factory=lambda: make_ssl_context())
    max_body_bytes: int = MAX_BODY_BYTES
    user_agent: str = DEFAULT_USER_AGENT


class CheckBase(BaseModel):
    """Fields every check kind shares."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$",
        description="Check id within the platform; names the surface (web, api, media, "
        "messaging, dns, tls, status).",
    )
    degraded_after: Duration | None = Field(
        None, description="Slower than this counts as degraded (default: none)."
    )
    note: str = Field("", description="Where the endpoint and its expectation came from.")


# Loading the system CAs costs ~18 ms of CPU a context (measured here), so a context is
# built once per CA bundle (again when the bundle file changes), shared by checks and rounds.
_SSL_CONTEXTS: dict[tuple[str | None, int, int], ssl.SSLContext] = {}


def make_ssl_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """The verifying TLS context probes use (system CAs, or a given CA bundle), built once per
    bundle and reused; connections stay fresh, so every check still does a full handshake."""
    try:
        stat = os.stat(ca_bundle) if ca_bundle else None
    except OSError:
        stat = None  # let ssl raise its own error below
    key = (ca_bundle, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)
    context = _SSL_CONTEXTS.get(key)
    if context is None:
        context = (ssl.create_default_context(cafile=ca_bundle) if ca_bundle
                   else ssl.create_default_context())
        if len(_SSL_CONTEXTS) >= 8:
            _SSL_CONTEXTS.clear()
        _SSL_CONTEXTS[key] = context
    return context


def make_client(
    ssl_context: ssl.SSLContext | None = None,
    user_agent: str = DEFAULT_USER_AGENT,
    max_redirects: int = 5,
    concurrency: int = 32,
    *,
    pooled: bool = False,
) -> httpx.AsyncClient:
    """Create the one AsyncClient a round shares (TLS verified, no env proxies, capped).

    Every request opens a new connection (transport.FreshTransport), so each check measures
    DNS, connect and TLS; `pooled=True` gives httpx's keep-alive pool instead (benches only).
    """
    context = ssl_context or make_ssl_context()
    transport = None if pooled else FreshTransport(context)
    return httpx.AsyncClient(
        verify=context,
        headers={"User-Agent": user_agent, "Accept": "*/*"},
        max_redirects=max_redirects,
        follow_redirects=False,
        trust_env=False,  # a monitor must not silently route through a proxy from the env
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        timeout=httpx.Timeout(30.0),
        transport=transport,
    )


def elapsed_ms(start: float) -> float:
    """Milliseconds since a time.perf_counter() reading."""
    return round((time.perf_counter() - start) * 1000.0, 3)


# The scheme is bounded ({0,31}) so the search stays linear on long runs of letters.
def _check_http_url(value: str) -> str:
    parsed = httpx.URL(value) if isinstance(value, str) else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(f"{value!r} is not an http(s) URL with a host")
    return value


def _check_host(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9._:-]{1,253}", value or "") or value.startswith((".", "-")):
        raise ValueError(f"{value!r} is not a host name or IP address")
    return value


HttpURL = Annotated[
    str,
    BeforeValidator(lambda v: v.strip() if isinstance(v, str) else v),
    BeforeValidator(_check_http_url),
]
"""An http:// or https:// URL with a host."""
Host = Annotated[str, BeforeValidator(_check_host)]
"""A host name or IP literal."""
