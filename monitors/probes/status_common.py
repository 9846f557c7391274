"""Shared pieces of the status parsers: timestamps, text, validation errors, the verdict."""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from monitors.probes.base import OfficialInfo, ProbeResult
from monitors.text import short

# Severity ladder shared by every format; "maintenance" is kept apart because it is planned.
LEVELS: tuple[str, ...] = ("none", "minor", "major", "critical")
UPDATE_MAX = 300
TITLE_MAX = 160
TEXT_MAX = 1 << 16  # characters of any vendor text field read before cleaning
LINK_MAX = 2048
COMPONENT_MAX = 120


class PayloadError(ValueError):
    """The payload is not what the format promises; the message is the sample's detail."""


def rank(level: str) -> int:
    """Position of a level on the none < minor < major < critical ladder (maintenance: 0)."""
    return LEVELS.index(level) if level in LEVELS else 0


def worst(levels: list[str] | tuple[str, ...]) -> str:
    """The most severe of some levels (none when empty)."""
    return max(levels, key=rank, default="none")


# --- timestamps -------------------------------------------------------------------------


def parse_time(value: object) -> datetime:
    """Parse an ISO 8601 or RFC 2822 timestamp with any offset to aware UTC, or raise ValueError."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    text = text[:-1] + "Z" if text.endswith("z") else text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = parsedate_to_datetime(text)  # RSS pubDate: "Thu, 23 Dec 2021 10:30:37 +0100"
        except (TypeError, ValueError, IndexError):
            raise ValueError(f"unparseable timestamp {short(value, 40)!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # no offset given: Statuspage and feeds mean UTC
    try:
        moment = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"timestamp out of range {short(value, 40)!r}") from None
    if not 1990 <= moment.year <= 2200:
        raise ValueError(f"implausible timestamp {short(value, 40)!r}")
    return moment


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 UTC with second precision and a Z, e.g. 2022-02-15T21:14:17Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _strict_stamp(value: object) -> str | None:
    if value is None or value == "":
        return None
    return iso(parse_time(value))


Stamp = Annotated[str | None, BeforeValidator(_strict_stamp)]
"""A timestamp field: normalised to ISO 8601 UTC; present but unparseable fails validation."""


def loose_stamp(value: object) -> str | None:
    """Best effort for undocumented sources: ISO/RFC text or epoch seconds/ms, else None."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000.0 if value > 1e11 else float(value)
        try:
            return iso(datetime.fromtimestamp(seconds, UTC))
        except (OverflowError, OSError, ValueError):
            return None
    try:
        return iso(parse_time(value))
    except ValueError:
        return None


# --- text -------------------------------------------------------------------------------

# Every pattern here is linear: a tag never reaches past the next "<", and elements are
# removed by drop_elements() in one forward pass ("<" * 900_000 or "<p>" * 300_000 are cheap).
_TAG = re.compile(r"<[^<>]*>")


@functools.cache
def _opener(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?i)<(" + "|".join(map(re.escape, names)) + r")\b[^<>]*>")


@functools.cache
def _closer(name: str) -> re.Pattern[str]:
    return re.compile(r"(?i)</" + re.escape(name) + r"\s{0,40}>")


def drop_elements(text: str, *names: str) -> str:
    """The text without the named elements and their content (each replaced by a space).

    One forward pass, linear in the text: an element that is never closed is left for the
    tag stripper, and its name is not looked for again.
    """
    opener, parts, pos, scan, unclosed = _opener(names), [], 0, 0, set()
    while match := opener.search(text, scan):
        name = match.group(1).lower()
        close = None if name in unclosed else _closer(name).search(text, match.end())
        if close is None:
            unclosed.add(name)
            scan = match.end()
            continue
        parts += [text[pos:match.start()], " "]
        pos = scan = close.end()
    parts.append(text[pos:])
    return "".join(parts)


def clean_text(value: object, limit: int = UPDATE_MAX) -> str | None:
    """Vendor text without HTML tags or entities, whitespace collapsed, shortened; None if empty.

    Only the first TEXT_MAX characters are read, every step is linear, and the result is
    valid UTF-8 (see short()).
    """
    if not isinstance(value, str):
        return None
    text = _TAG.sub(" ", drop_elements(value[:TEXT_MAX], "script", "style"))
    text = " ".join(html.unescape(text).split())
    return short(text, limit) if text else None


def safe_text(value: str | None, limit: int) -> str | None:
    """Outside text kept as is but one-line, valid UTF-8 and at most `limit` characters."""
    return short(value, limit) if value else value


# --- validation -------------------------------------------------------------------------


class Lenient(BaseModel):
    """Base for payload models: unknown keys are ignored, known ones are checked."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "top level"


def explain(exc: ValidationError, what: str) -> str:
    """One clear line for the first problem pydantic found in a payload."""
    error = exc.errors(include_url=False)[0]
    where, kind, given = _where(error["loc"]), error["type"], error.get("input")
    if kind == "missing":
        problem = f"missing field {where}"
    elif kind in ("literal_error", "enum"):
        problem = f"unknown value {short(given, 40)!r} at {where}"
    elif kind == "value_error":
        problem = f"{where}: {str(error['msg']).removeprefix('Value error, ')}"
    else:
        problem = f"{where}: {error['msg'].lower()}, got {short(repr(given), 40)}"
    return f"unexpected {what} payload: {problem}"


def json_kind(value: object) -> str:
    """The JSON name of a decoded value's type (object, array, string …)."""
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number")


# --- the verdict ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Issue:
    """One open item a vendor reports: an incident, an active maintenance or a notice."""

    title: str | None
    level: str  # none | minor | major | critical (effective, for the verdict)
    impact: str | None = None  # what the vendor said, kept for display
    status: str | None = None  # investigating | identified | monitoring | in_progress ...
    update: str | None = None
    url: str | None = None
    started_at: str | None = None
    updated_at: str | None = None


@dataclass(slots=True)
class Findings:
    """Everything one payload says about the watched scope, before the verdict."""

    name: str
    description: str | None = None
    page_level: str | None = None  # page-wide indicator; only set when nothing is filtered
    incidents: list[Issue] = field(default_factory=list)
    maintenances: list[Issue] = field(default_factory=list)
    components: list[tuple[str, str]] = field(default_factory=list)  # ("Name: status", level)
    link: str | None = None
    updated_at: str | None = None
    upcoming: str | None = None  # e.g. "maintenance 'X' at 2014-05-18T04:00:00Z"
    scoped: bool = False  # component filters apply; the description is page-wide


def _lead(findings: Findings, error: str | None) -> Issue | None:
    """The item the dashboard headlines: the worst (then latest) incident, else a maintenance
    unless the trouble comes from component states alone."""
    if findings.incidents:
        return max(findings.incidents, key=lambda i: (rank(i.level), i.updated_at or ""))
    if findings.maintenances and error != "official_incident":
        return findings.maintenances[0]
    return None


def conclude(findings: Findings, *, watch_maintenance: bool = True) -> ProbeResult:
    """Turn findings into a ProbeResult.

    1. The problem level is the worst of the page indicator, open incidents and watched
       components; critical means down, minor or major degraded (official_incident).
    2. Otherwise an active maintenance (or an under_maintenance component) is degraded with
       official_maintenance, unless maintenance is not watched.
    3. Otherwise up; the lead incident (worst, then latest) or maintenance fills the info.
    """
    levels = [level for _, level in findings.components] + [i.level for i in findings.incidents]
    if findings.page_level:
        levels.append(findings.page_level)
    problem = worst([level for level in levels if level != "maintenance"])
    in_maintenance = bool(findings.maintenances) or "maintenance" in levels
    if problem != "none":
        status = "down" if problem == "critical" else "degraded"
        error, indicator = "official_incident", problem
    elif in_maintenance and watch_maintenance:
        status, error, indicator = "degraded", "official_maintenance", "maintenance"
    else:
        status, error, indicator = "up", None, "maintenance" if in_maintenance else "none"
    lead = _lead(findings, error)
    affected = tuple(short(label, COMPONENT_MAX) for label, level in findings.components
                     if level != "none")
    official = OfficialInfo(  # every text field is outside text: made safe here, once
        indicator=indicator,
        description=safe_text(findings.description, UPDATE_MAX),
        title=safe_text(lead.title, TITLE_MAX) if lead else None,
        impact=lead.impact if lead else None,
        incident_status=lead.status if lead else None,
        components=affected,
        update=safe_text(lead.update, UPDATE_MAX) if lead else None,
        url=safe_text((lead.url if lead else None) or findings.link, LINK_MAX),
        started_at=lead.started_at if lead else None,
        updated_at=(lead.updated_at if lead else None) or findings.updated_at,
    )
    detail = _detail(findings, indicator, error, lead, affected)
    return ProbeResult(status, error=error, detail=detail, official=official)


def _detail(findings: Findings, indicator: str, error: str | None, lead: Issue | None,
            affected: tuple[str, ...]) -> str:
    if error is None and lead is None and not affected:
        if findings.scoped:
            page = f" (page: {findings.description})" if findings.description else ""
            text = f"{findings.name}: watched components OK{page}"
        else:
            text = f"{findings.name}: {findings.description or 'no open incidents'}"
        return short(text + (f"; next {findings.upcoming}" if findings.upcoming else ""))
    if error == "official_maintenance" or (error is None and indicator == "maintenance"):
        kind = "maintenance"
    else:
        kind = f"{indicator} incident" if error else "open notice"
    text = f"{findings.name}: {kind}"
    if lead and lead.title:
        text += f" '{short(lead.title, 80)}'" + (f" ({lead.status})" if lead.status else "")
    if affected:
        text += "; " + ", ".join(affected)
    elif not lead and findings.description:
        text += f" ({findings.description})"
    if error is None:
        text += " (not counted)" if kind == "maintenance" else ""
    return short(text)
