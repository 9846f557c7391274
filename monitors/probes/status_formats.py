"""Pure parsers for vendor status payloads: bytes + content type -> normalised ProbeResult."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime

import httpx

from monitors.probes import status_atlassian as atlassian
from monitors.probes import status_feeds as feeds
from monitors.probes import status_meta as meta
from monitors.probes import status_slack as slack
from monitors.probes.base import ProbeResult
from monitors.probes.status_common import PayloadError, json_kind, parse_time
from monitors.text import short
from monitors.timeutil import utcnow

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("statuspage", "slack", "feed", "metastatus")
JSON_FORMATS = frozenset({"statuspage", "slack", "metastatus"})
# Media types a status payload may honestly arrive with (plain text and octet streams are
# what some CDNs and raw file hosts send); anything else, HTML above all, is refused.
_LOOSE = {"", "text/plain", "application/octet-stream", "binary/octet-stream"}
_JSON_TYPES = _LOOSE | {
    "application/json", "text/json", "text/javascript", "application/javascript"
}
_XML_TYPES = _LOOSE | {
    "application/xml", "text/xml", "application/rss+xml", "application/atom+xml",
    "application/rdf+xml",
}

__all__ = ["FORMATS", "Options", "PayloadError", "guess_format", "normalise", "parse",
           "parse_time"]


@dataclass(frozen=True, slots=True)
class Options:
    """What the check asks of a payload (filters, expectations, thresholds)."""

    components: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    page_id: str | None = None
    watch_maintenance: bool = True
    max_age_s: float = 86400.0
    open_if_listed: bool = False  # feeds that list only open events (Meta)
    fallback_name: str = "Status page"
    page_url: str | None = None


def guess_format(url: str) -> str | None:
    """Guess the payload format from a status URL, or None to decide from the content."""
    parsed = httpx.URL(url)
    host, path = (parsed.host or "").lower(), parsed.path.lower()
    if "/api/v2.0.0/" in path or host.startswith("slack-status") or host == "status.slack.com":
        return "slack"
    if "/api/v2/" in path:
        return "statuspage"
    if path.endswith((".rss", ".atom", ".xml")) or "/feed/" in path + "/":
        return "feed"
    if "metastatus" in host and path.endswith(".json"):
        return "metastatus"
    return None


def parse(fmt: str, body: bytes, content_type: str | None, options: Options,
          *, now: datetime | None = None) -> ProbeResult:
    """Normalise one payload; anything unexpected is `unknown`/`bad_payload`, never raised."""
    try:
        return normalise(fmt, body, content_type, options, now or utcnow())
    except PayloadError as exc:
        return ProbeResult("unknown", error="bad_payload", detail=short(str(exc)))
    except Exception as exc:  # hostile input must not end the round; the log keeps the bug
        log.exception("status payload parser failed (%s)", fmt)
        detail = f"unreadable payload ({type(exc).__name__})"
        return ProbeResult("unknown", error="bad_payload", detail=detail)


def normalise(fmt: str, body: bytes, content_type: str | None, options: Options,
              now: datetime) -> ProbeResult:
    """Like parse(), but a payload that is not what it should be raises PayloadError."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1024].lower()
    if not head:
        raise PayloadError("empty body")
    if head.startswith(b"<!doctype html") or b"<html" in head:
        raise PayloadError("HTML page instead of status data (error page, login wall or app shell)")
    media = (content_type or "").split(";")[0].strip().lower()
    if fmt == "auto" and not head.startswith(b"<"):
        data = _load_json(body, media)
        return _parse_json(_json_shape(data), data, options)
    if fmt in ("feed", "auto"):
        if media not in _XML_TYPES and not media.endswith("+xml"):
            raise PayloadError(f"wrong content type {short(media, 60)!r} for a feed (expected XML)")
        return feeds.parse(
            body, filters=list(options.components), now=now, max_age_s=options.max_age_s,
            open_if_listed=options.open_if_listed, watch_maintenance=options.watch_maintenance,
            fallback_name=options.fallback_name, page_url=options.page_url,
        )
    return _parse_json(fmt, _load_json(body, media), options)


def _parse_json(fmt: str, data: object, options: Options) -> ProbeResult:
    filters, maintenance = list(options.components), options.watch_maintenance
    if fmt == "statuspage":
        return atlassian.parse(data, filters=filters, page_id=options.page_id,
                               watch_maintenance=maintenance, fallback_name=options.fallback_name,
                               page_url=options.page_url)
    if fmt == "slack":
        return slack.parse(data, filters=filters, watch_maintenance=maintenance,
                           page_url=options.page_url)
    if fmt == "metastatus":
        return meta.parse(data, orgs=list(options.orgs), filters=filters,
                          watch_maintenance=maintenance, page_url=options.page_url)
    raise PayloadError(f"unknown status format {fmt!r}")


def _load_json(body: bytes, media: str) -> object:
    if media not in _JSON_TYPES and not media.endswith("+json"):
        raise PayloadError(f"wrong content type {short(media, 60)!r} (expected JSON)")
    if body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] not in (b"{", b"["):
        raise PayloadError(f"not JSON (body starts with {short(repr(body[:20]), 40)})")
    try:
        return json.loads(body)
    except RecursionError:
        raise PayloadError("JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        if exc.pos >= len(exc.doc.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise PayloadError(f"truncated JSON ({len(body)} bytes): {exc.msg}") from None
        where = f"line {exc.lineno} column {exc.colno}"
        raise PayloadError(f"malformed JSON: {exc.msg} at {where}") from None
    except ValueError as exc:  # bad UTF-8, absurd numbers
        raise PayloadError(f"malformed JSON: {short(exc, 80)}") from None


def _json_shape(data: object) -> str:
    if isinstance(data, dict) and "page" in data:
        return "statuspage"
    if isinstance(data, dict) and "active_incidents" in data:
        return "slack"
    if isinstance(data, list) and data and all(isinstance(o, dict) and "services" in o
                                               for o in data):
        return "metastatus"
    keys = ": " + ", ".join(sorted(map(str, data))[:5]) if isinstance(data, dict) and data else ""
    raise PayloadError(f"unrecognised status payload (JSON {json_kind(data)}{keys})")
