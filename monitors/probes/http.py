"""HTTP(S) check: status codes, keyword, latency, capped body, one hard deadline."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Literal

import httpx
from pydantic import Field

from monitors.probes.base import CheckBase, HttpURL, ProbeContext, ProbeResult, elapsed_ms
from monitors.text import short
from monitors.vocabulary import ErrorClass


class HttpCheck(CheckBase):
    """Fetch a URL anonymously and judge the answer."""

    kind: Literal["http"] = Field("http", description="Check kind; selects the probe.")
    url: HttpURL = Field(description="The URL to fetch (http or https).")
    method: Literal["GET", "HEAD"] = Field("GET", description="HTTP method.")
    expect_status: list[Annotated[int, Field(ge=100, le=999)]] = Field(
        default_factory=lambda: [200],
        description="Status codes that count as up (after following redirects).",
    )
    keyword: str = Field("", description="Text the body must contain (empty: no check).")
    json_field: str = Field(
        "", description="Top-level JSON key the body must have (empty: no check)."
    )
    fallback_urls: list[HttpURL] = Field(
        default_factory=list,
        description="Other URLs of the same surface, tried in turn when this one has refused "
        "the monitor (429, 999, a bot wall) for an hour; the history names the URL that "
        "answered.",
    )
    follow_redirects: bool = Field(True, description="Follow redirects up to max_redirects.")
    max_redirects: int = Field(5, ge=0, le=20, description="Redirect limit.")


# httpx's per-phase timeouts fire a little before runner.run_check's hard deadline, so a
# stalled connect or read is reported with the phase that stalled ("connect timed out").
_PHASE_SHARE = 0.9
_RETRY_AFTER_CAP_S = 86_400

_TIMEOUT_DETAIL: dict[type[BaseException], str] = {
    httpx.ConnectTimeout: "connect timed out",
    httpx.ReadTimeout: "read timed out",
    httpx.WriteTimeout: "write timed out",
    httpx.PoolTimeout: "no free connection in the pool",
}

# What a target can make an exchange raise; anything else is our bug (runner catches it).
_TARGET_ERRORS = (httpx.HTTPError, OSError, ssl.SSLError)

# Trace events (httpcore's `trace` extension) that bound each timing phase.
_PHASES: dict[str, tuple[str, str]] = {
    "connect": ("connection.connect_tcp.started", "connection.connect_tcp.complete"),
    "tls": ("connection.start_tls.started", "connection.start_tls.complete"),
    "ttfb": ("send_request_headers.started", "receive_response_headers.complete"),
}


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from (httpx -> httpcore -> OSError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _tls_detail(exc: ssl.SSLError) -> str:
    message = getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)
    return short(f"TLS: {message}")


def classify(exc: BaseException) -> tuple[ErrorClass, str]:
    """Map an exception from an HTTP exchange to (error class, detail), by type only.

    1. Too many redirects -> redirects; any timeout -> timeout.
    2. Malformed answers (RemoteProtocolError, bad encoding) -> protocol.
    3. Transport failures: an SSL error anywhere in the cause chain -> tls, a failed name
       lookup -> dns, everything else (refused, reset, unreachable) -> connect.
    """
    if isinstance(exc, httpx.TooManyRedirects):
        return "redirects", short(exc)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timeout", _TIMEOUT_DETAIL.get(type(exc), "timed out")
    if isinstance(exc, httpx.ProtocolError | httpx.DecodingError):
        return "protocol", short(exc)
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLError):  # includes certificate verification failures
            return "tls", _tls_detail(cause)
        if isinstance(cause, socket.gaierror):
            return "dns", short(f"name not resolved: {cause.strerror or cause}")
    if isinstance(exc, httpx.TransportError | OSError):
        return "connect", short(_root_os_error(exc))
    return "protocol", short(exc)


def _root_os_error(exc: BaseException) -> BaseException:
    """The innermost OS error ('Connection refused'), which says more than httpx's wrapper."""
    found = exc
    for cause in _causes(exc):
        if isinstance(cause, OSError):
            found = cause
    return found


class _Timing:
    """Collects httpcore trace events and turns them into phase durations."""

    __slots__ = ("marks", "start")

    def __init__(self, start: float) -> None:
        self.start = start
        self.marks: dict[str, float] = {}

    async def trace(self, event: str, info: dict) -> None:
        """httpcore trace callback: remember when each event happened (last hop wins)."""
        # "http11.send_request_headers.started" and "http2.…" share one phase name.
        name = event.split(".", 1)[1] if event.startswith("http") else event
        self.marks[name] = time.perf_counter()

    def phases_ms(self, total_ms: float | None = None) -> dict[str, float] | None:
        """Phase durations in ms for the phases that happened (a reused connection has none)."""
        phases = {
            phase: round((self.marks[end] - self.marks[begin]) * 1000.0, 3)
            for phase, (begin, end) in _PHASES.items()
            if begin in self.marks and end in self.marks
        }
        if total_ms is not None:
            phases["total"] = total_ms
        return phases or None


async def _send(
    client: httpx.AsyncClient, request: httpx.Request, check: HttpCheck
) -> tuple[httpx.Response, int]:
    """Send, following redirects by hand so each check has its own limit; (response, hops)."""
    hops = 0
    while True:
        response = await client.send(request, stream=True, follow_redirects=False)
        if response.next_request is None or not check.follow_redirects:
            return response, hops
        await response.aclose()
        hops += 1
        if hops > check.max_redirects:
            raise httpx.TooManyRedirects(
                f"more than {check.max_redirects} redirects (last to {request.url})",
                request=request,
            )
        request = response.next_request


async def _read_body(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """Read the decoded body up to `cap` bytes; (body, complete)."""
    # Decoded bytes are counted, so a compressed "bomb" is cut at the cap as well.
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > cap:
            return bytes(body[:cap]), False
    return bytes(body), True


def _size(cap: int) -> str:
    return f"{cap / (1 << 20):g} MiB" if cap >= 1 << 20 else f"{cap} bytes"


def _body_failure(
    check: HttpCheck, response: httpx.Response, body: bytes, complete: bool, cap: int
) -> tuple[ErrorClass, str] | None:
    """Why the body does not meet the check's expectation, or None when it does."""
    if check.keyword:
        text = body.decode(response.encoding or "utf-8", errors="replace")
        if check.keyword in text:
            return None if not check.json_field else _json_failure(check, body, complete, cap)
        if not complete:
            return "too_large", f"keyword not in the first {_size(cap)}; body is larger"
        return "keyword", short(f"keyword {check.keyword!r} not in body ({len(body)} bytes)")
    if check.json_field:
        return _json_failure(check, body, complete, cap)
    return None


def _json_failure(
    check: HttpCheck, body: bytes, complete: bool, cap: int
) -> tuple[ErrorClass, str] | None:
    if not complete:
        return "too_large", f"JSON body larger than {_size(cap)}"
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json can follow
        return "keyword", f"body is not JSON ({len(body)} bytes)"
    if not isinstance(document, dict) or check.json_field not in document:
        return "keyword", short(f"JSON field {check.json_field!r} missing")
    return None


def _status_detail(response: httpx.Response, check: HttpCheck) -> str:
    expected = ", ".join(str(code) for code in check.expect_status[:5])
    more = "…" if len(check.expect_status) > 5 else ""
    reason = response.reason_phrase
    return short(f"HTTP {response.status_code} {reason} (expected {expected}{more})")


async def _judge(
    check: HttpCheck,
    ctx: ProbeContext,
    response: httpx.Response,
    hops: int,
    start: float,
    timing: _Timing,
) -> ProbeResult:
    """Status code, then body expectation, then speed."""
    code = response.status_code
    if code not in check.expect_status:
        latency = elapsed_ms(start)
        if is_refusal(code, check.expect_status):
            return _refused(response, latency, timing.phases_ms(latency))
        return ProbeResult(
            "down",
            latency,
            code,
            "http_status",
            _status_detail(response, check),
            timing.phases_ms(latency),
        )
    body, complete = await _read_body(response, ctx.max_body_bytes)
    latency = elapsed_ms(start)
    phases = timing.phases_ms(latency)
    failure = _body_failure(check, response, body, complete, ctx.max_body_bytes)
    if failure:
        return ProbeResult("down", latency, code, failure[0], failure[1], phases)
    notes = [f"{hops} redirect{'s' if hops > 1 else ''} to {response.url}"] if hops else []
    if not complete:  # nothing needed the rest of the body; a bounded read is enough
        notes.append(f"stopped reading at {_size(ctx.max_body_bytes)}")
    if check.degraded_after is not None and latency > check.degraded_after * 1000.0:
        notes.insert(0, f"took {latency / 1000:.2f}s (> {check.degraded_after:g}s)")
        return ProbeResult("degraded", latency, code, "slow", short("; ".join(notes)), phases)
    return ProbeResult(
        "up", latency, code, None, short("; ".join(notes)) if notes else None, phases
    )


def is_refusal(http_status: int, expected: Sequence[int]) -> bool:
    """Whether an HTTP answer means the front door refused us rather than failed.

    429 (rate limited) and 999 (LinkedIn) always; any other 4xx that is not one of the
    surface's healthy answers (403/400 bot walls, WAF and challenge pages, 404 from an edge).
    """
    if http_status in expected:
        return False
    return http_status in (429, 999) or 400 <= http_status < 500


def retry_after_s(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks us to wait (delta-seconds or an HTTP date), capped
    at a day; None when absent or unreadable."""
    if not value or len(value) > 64:
        return None
    value = value.strip()
    if value.isdigit():
        return float(min(int(value), _RETRY_AFTER_CAP_S))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    wait = (when - (now or datetime.now(UTC))).total_seconds()
    return float(min(max(wait, 0.0), _RETRY_AFTER_CAP_S))


def _refused(response: httpx.Response, latency: float, phases: dict | None) -> ProbeResult:
    """The front door answered and refused us: not a verdict on the platform."""
    wait = retry_after_s(response.headers.get("retry-after"))
    hint = f"; retry after {wait:g}s" if wait is not None else ""
    reason = response.reason_phrase or ""
    detail = short(f"refused: HTTP {response.status_code} {reason}".rstrip() + hint)
    return ProbeResult("unknown", latency, response.status_code, "refused", detail, phases,
                       retry_after_s=wait)


async def probe(check: HttpCheck, ctx: ProbeContext) -> ProbeResult:
    """Fetch the check's URL and classify the answer (runner.run_check bounds the time)."""
    start = time.perf_counter()
    timing = _Timing(start)
    request = ctx.client.build_request(
        check.method,
        check.url,
        headers={"User-Agent": ctx.user_agent},
        timeout=max(ctx.timeout_s * _PHASE_SHARE, 0.01),
        extensions={"trace": timing.trace},
    )
    try:
        response, hops = await _send(ctx.client, request, check)
    except _TARGET_ERRORS as exc:  # what the target did is data
        return _failure(exc, start, timing, None)
    try:
        return await _judge(check, ctx, response, hops, start, timing)
    except _TARGET_ERRORS as exc:  # e.g. reset or garbage in the middle of the body
        return _failure(exc, start, timing, response.status_code)
    finally:
        with contextlib.suppress(*_TARGET_ERRORS):
            await response.aclose()


def _failure(exc: BaseException, start: float, timing: _Timing, code: int | None) -> ProbeResult:
    error, detail = classify(exc)
    latency = elapsed_ms(start)
    return ProbeResult("down", latency, code, error, detail, timing.phases_ms(latency))
