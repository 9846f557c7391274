"""Official status check: vendor status pages (Statuspage v2, Slack, RSS/Atom, Meta)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from typing import Literal

import httpx
from pydantic import Field

from monitors.probes import status_formats
from monitors.probes.base import CheckBase, Duration, HttpURL, ProbeContext, ProbeResult, elapsed_ms
from monitors.text import short

ACCEPT = {
    "statuspage": "application/json",
    "slack": "application/json",
    "metastatus": "application/json",
    "feed": "application/atom+xml, application/rss+xml, application/xml;q=0.9, text/xml;q=0.8",
    "auto": "application/json, application/atom+xml, application/rss+xml, application/xml;q=0.9",
}
# The runner turns its own deadline into down/timeout; an official source that is slow must
# stay unknown, so this probe stops itself a little earlier.
DEADLINE_SHARE = 0.9


class StatuspageCheck(CheckBase):
    """Read a vendor's machine-readable status and normalise it."""

    kind: Literal["statuspage"] = Field("statuspage", description="Check kind; selects the probe.")
    url: HttpURL = Field(description="Status endpoint, e.g. https://discordstatus.com/api/v2/summary.json")
    format: Literal["auto", "statuspage", "slack", "feed", "metastatus"] = Field(
        "auto", description="Payload format; auto guesses from the URL and content."
    )
    components: list[str] = Field(
        default_factory=list,
        description="Only these components (or Meta services) matter; empty: all of them.",
    )
    orgs: list[str] = Field(
        default_factory=list, description="metastatus.com org ids to watch (Meta only)."
    )
    page_id: str | None = Field(None, description="Expected Statuspage page id, if known.")
    watch_maintenance: bool = Field(
        True,
        description="Maintenance in progress counts as degraded (official_maintenance); "
        "when false it is only shown.",
    )
    max_age: Duration = Field(
        86400.0,
        description="Feeds: an unresolved item older than this (no update since) is ignored.",
    )


async def probe(check: StatuspageCheck, ctx: ProbeContext) -> ProbeResult:
    """Fetch the status payload and normalise it to up/degraded/down/unknown."""
    fmt = check.format
    if fmt == "auto":
        fmt = status_formats.guess_format(check.url) or "auto"
    start = time.perf_counter()
    fetched = await _fetch(check.url, ACCEPT[fmt], ctx)
    if isinstance(fetched, ProbeResult):
        return replace(fetched, latency_ms=elapsed_ms(start))
    response, body = fetched
    latency = elapsed_ms(start)
    result = await _parse(fmt, body, response, check, ctx, start)
    return replace(result, latency_ms=latency, http_status=response.status_code)


async def _parse(fmt: str, body: bytes, response: httpx.Response, check: StatuspageCheck,
                 ctx: ProbeContext, start: float) -> ProbeResult:
    """Parse in a worker thread, so the event loop (every other check) never waits on it,
    within what is left of this probe's share of the deadline."""
    left_s = max(ctx.timeout_s * DEADLINE_SHARE - (time.perf_counter() - start), 0.01)
    work = asyncio.to_thread(status_formats.parse, fmt, body,
                             response.headers.get("content-type"),
                             _options(check, str(response.url)))
    try:
        async with asyncio.timeout(left_s):
            return await work
    except TimeoutError:  # the thread finishes on its own; parsing is linear and capped
        return ProbeResult("unknown", error="bad_payload",
                           detail=f"status payload not read within {ctx.timeout_s:.3g}s")


def _options(check: StatuspageCheck, final_url: str) -> status_formats.Options:
    url = httpx.URL(final_url)
    host = url.host or ""
    return status_formats.Options(
        components=tuple(check.components),
        orgs=tuple(check.orgs),
        page_id=check.page_id,
        watch_maintenance=check.watch_maintenance,
        max_age_s=check.max_age,
        # Meta's outage-events feeds list only open events and have no state words.
        open_if_listed="metastatus" in host or "outage-events-feed" in url.path,
        fallback_name=host or "Status page",
        page_url=f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}/",
    )


Fetched = tuple[httpx.Response, bytes] | ProbeResult


async def _fetch(url: str, accept: str, ctx: ProbeContext) -> Fetched:
    """GET the URL (redirects followed) and read at most ctx.max_body_bytes of it."""
    budget_s = max(ctx.timeout_s * DEADLINE_SHARE, 0.01)
    try:
        async with asyncio.timeout(budget_s):
            return await _read(url, accept, ctx)
    except TimeoutError:
        return _unavailable(f"status page gave no answer in {budget_s:.3g}s")
    except httpx.TooManyRedirects:
        return _unavailable("status page redirects too often")
    except httpx.DecodingError as exc:
        return ProbeResult("unknown", error="bad_payload", detail=short(f"undecodable body: {exc}"))
    except httpx.TimeoutException as exc:
        return _unavailable(short(f"status page timed out: {type(exc).__name__}"))
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError) as exc:
        return _unavailable(short(f"status page unreachable: {short(exc, 150)}"))


async def _read(url: str, accept: str, ctx: ProbeContext) -> Fetched:
    headers = {"Accept": accept, "User-Agent": ctx.user_agent}
    async with ctx.client.stream("GET", url, headers=headers, follow_redirects=True) as response:
        if not 200 <= response.status_code < 300:
            return _unavailable(f"status page answered HTTP {response.status_code}",
                                response.status_code)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > ctx.max_body_bytes:
            return _too_large(ctx.max_body_bytes, response.status_code)
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > ctx.max_body_bytes:  # also bounds what a compressed body inflates to
                return _too_large(ctx.max_body_bytes, response.status_code)
            chunks.append(chunk)
    return response, b"".join(chunks)


def _unavailable(detail: str, http_status: int | None = None) -> ProbeResult:
    return ProbeResult("unknown", http_status=http_status, error="official_unavailable",
                       detail=detail)


def _too_large(cap: int, http_status: int) -> ProbeResult:
    return ProbeResult("unknown", http_status=http_status, error="bad_payload",
                       detail=f"payload too large (over {cap:,} bytes)")
