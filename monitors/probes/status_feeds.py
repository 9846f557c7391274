"""RSS 2.0 / RSS 1.0 / Atom status feeds (Statuspage history feeds, Meta outage feeds)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime

from monitors.probes.base import ProbeResult
from monitors.probes.status_common import (
    TEXT_MAX,
    TITLE_MAX,
    Findings,
    Issue,
    PayloadError,
    clean_text,
    conclude,
    drop_elements,
    iso,
    parse_time,
)
from monitors.text import short

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}RDF"
RSS1 = "{http://purl.org/rss/1.0/}"
DC_DATE = "{http://purl.org/dc/elements/1.1/}date"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"

# Statuspage writes each update as "<strong>State</strong> - text", newest first. Every
# pattern is linear on tag soup (bounded repeats, no ".*?" that could rescan the rest).
_STATE = re.compile(r"(?i)<strong>\s{0,40}([a-z][a-z ]{0,30}?)\s{0,40}</strong>")
_P_OPEN = re.compile(r"(?i)<p>")
_P_CLOSE = re.compile(r"(?i)</p>")
_LEAD_STATE = re.compile(r"(?i)\A\s*(?:<br\s{0,40}/?>\s*)*<strong>[^<]*</strong>\s*-?\s*")
CLOSED = {"resolved", "completed", "postmortem"}
ACTIVE_MAINTENANCE = {"in progress", "verifying"}


@dataclass(frozen=True, slots=True)
class Entry:
    """One feed item, as far as a status verdict needs it."""

    title: str
    link: str | None
    updated: datetime | None
    published: datetime | None
    html: str


def parse(body: bytes, *, filters: list[str], now: datetime, max_age_s: float,
          open_if_listed: bool = False, watch_maintenance: bool = True,
          fallback_name: str = "Status feed", page_url: str | None = None) -> ProbeResult:
    """Normalise an RSS/Atom status feed.

    Statuspage history feeds keep resolved items, so an item counts only while its latest
    state is open and it changed within max_age_s. Meta's outage feeds list only open
    events and carry no states, so with open_if_listed any item counts.
    """
    name, link, entries = _read(body, fallback_name)
    wanted = {f.strip().lower() for f in filters if f.strip()}
    findings = Findings(name=name, description="no open items in the feed", link=link or page_url)
    for entry in entries:
        state = _state(entry.html)
        if state in CLOSED or state == "scheduled" or not _counts(entry, wanted):
            continue
        if not open_if_listed:
            if entry.updated is None:
                raise PayloadError(f"feed item '{short(entry.title, 60)}' has no date")
            if (now - entry.updated).total_seconds() > max_age_s:
                continue
        issue = Issue(
            title=entry.title,
            level="none" if state in ACTIVE_MAINTENANCE else "minor",
            impact="maintenance" if state in ACTIVE_MAINTENANCE else None,
            status=state.replace(" ", "_") if state else None,
            update=_latest_text(entry.html),
            url=entry.link,
            started_at=iso(entry.published),
            updated_at=iso(entry.updated),
        )
        (findings.maintenances if state in ACTIVE_MAINTENANCE else findings.incidents).append(issue)
    if findings.incidents or findings.maintenances:
        findings.description = None
    return conclude(findings, watch_maintenance=watch_maintenance)


def _read(body: bytes, fallback_name: str) -> tuple[str, str | None, list[Entry]]:
    if re.search(rb"(?i)<!ENTITY", body):
        raise PayloadError("feed declares XML entities; refused")  # entity expansion bombs
    try:
        root = ET.fromstring(body)
    except (ET.ParseError, LookupError, ValueError) as exc:  # LookupError: unknown encoding
        raise PayloadError(f"malformed XML: {short(str(exc), 120)}") from None
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise PayloadError("RSS feed without a <channel>")
        items = [_rss(i, "") for i in channel.findall("item")]
        link = _http(channel.findtext("link"))
        return _title(channel.findtext("title"), fallback_name), link, items
    if root.tag == f"{ATOM}feed":
        entries = [_atom(e) for e in root.findall(f"{ATOM}entry")]
        return _title(root.findtext(f"{ATOM}title"), fallback_name), _alternate(root), entries
    if root.tag == RDF:
        channel = root.find(f"{RSS1}channel")
        title, link = (None, None) if channel is None else (
            channel.findtext(f"{RSS1}title"), channel.findtext(f"{RSS1}link"))
        items = [_rss(i, RSS1) for i in root.findall(f"{RSS1}item")]
        return _title(title, fallback_name), _http(link), items
    raise PayloadError(f"not an RSS or Atom feed (root element <{short(root.tag, 60)}>)")


def _title(text: str | None, fallback: str) -> str:
    name = clean_text(text, 80) or fallback
    return re.sub(r"(?i)\s*-\s*incident history$", "", name) or fallback


def _http(text: str | None) -> str | None:
    """A link only if it is an http(s) URL (feeds are untrusted input)."""
    link = (text or "").strip()
    return link if link.lower().startswith(("http://", "https://")) else None


def _alternate(element: ET.Element) -> str | None:
    links = element.findall(f"{ATOM}link")
    alternate = [x for x in links if x.get("rel", "alternate") == "alternate"] or links
    return _http(alternate[0].get("href")) if alternate else None


def _rss(item: ET.Element, ns: str) -> Entry:
    title = clean_text(item.findtext(f"{ns}title"), TITLE_MAX) or "(untitled)"
    link = _http(item.findtext(f"{ns}link")) or _http(item.findtext("guid"))
    updated = _when(item.findtext("pubDate") or item.findtext(DC_DATE), title)
    html = item.findtext(CONTENT) or item.findtext(f"{ns}description") or ""
    return Entry(title, link, updated, None, html[:TEXT_MAX])


def _atom(entry: ET.Element) -> Entry:
    title = clean_text(entry.findtext(f"{ATOM}title"), TITLE_MAX) or "(untitled)"
    published = _when(entry.findtext(f"{ATOM}published"), title)
    updated = _when(entry.findtext(f"{ATOM}updated"), title) or published
    html = entry.findtext(f"{ATOM}content") or entry.findtext(f"{ATOM}summary") or ""
    return Entry(title, _alternate(entry), updated, published, html[:TEXT_MAX])


def _when(text: str | None, title: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_time(text)
    except ValueError as exc:
        raise PayloadError(f"feed item '{short(title, 60)}': {exc}") from None


def _state(html: str) -> str | None:
    match = _STATE.search(html)
    return " ".join(match.group(1).lower().split()) if match else None


def _latest_text(html: str) -> str | None:
    """The newest update's text: the first paragraph, without its date and state."""
    part = html
    if (start := _P_OPEN.search(html)) and (end := _P_CLOSE.search(html, start.end())):
        part = html[start.end():end.start()]
    return clean_text(_LEAD_STATE.sub("", drop_elements(part, "small"), count=1))


def _counts(entry: Entry, wanted: set[str]) -> bool:
    """With filters, drop an item only when it names its affected components and none is watched."""
    if not wanted:
        return True
    text = (clean_text(entry.html, TEXT_MAX) or "").lower()
    if "affected:" not in text:
        return True
    affected = text.split("affected:", 1)[1]
    return any(name in affected for name in wanted)
