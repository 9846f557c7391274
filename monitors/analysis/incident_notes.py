"""The team's records read for a window and put on its incidents; one incident found by id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from monitors import history
from monitors.analysis import playbook
from monitors.analysis.incidents import Outage
from monitors.analysis.notes import (
    IncidentRecords,
    attach,
    lessons_by_platform,
    months_for,
    notes_text,
)
from monitors.analysis.windows import analyse_history
from monitors.config import Platform, Settings
from monitors.history import notes as store_notes
from monitors.history.notes import Record
from monitors.timeutil import Window, format_local, utcnow

FIND_BEFORE = timedelta(hours=6)  # an id's start may have moved this far by a re-detection
FIND_SPAN = timedelta(days=31)  # how far after its start an incident is looked for


def records_for(settings: Settings, outages: Sequence[Outage]) -> list[Record]:
    """Every record stored in the months these outages started in (and a month either side)."""
    if not outages:
        return []
    first = min(o.start for o in outages)
    last = max(o.start for o in outages)
    return store_notes.read(history.store_for(settings), months_for(first, last))


def notes_for(settings: Settings, outages: Sequence[Outage], *, now: datetime | None = None
              ) -> dict[str, IncidentRecords]:
    """Per outage id, the notes, acknowledgement and reviews recorded on it."""
    return attach(outages, records_for(settings, outages), now=now)


def acks_for(settings: Settings, outages: Sequence[Outage], *, now: datetime | None = None
             ) -> dict[str, Record]:
    """Per ongoing outage id, its acknowledgement (the live tiles)."""
    ongoing = [o for o in outages if o.end is None]
    return {k: v.ack for k, v in notes_for(settings, ongoing, now=now).items() if v.ack}


def notes_version(settings: Settings) -> tuple[int, int]:
    """(records, newest file's mtime) of the notes folder: a cache key for what shows them."""
    entries = history.store_for(settings).list(store_notes.FOLDER)
    return len(entries), max((e.mtime_ns for e in entries), default=0)


def notes_texts(settings: Settings, outages: Sequence[Outage]) -> dict[str, str]:
    """Per outage id its notes as one plain-text cell (the CSV's `notes` column)."""
    tz = settings.business.timezone
    return {ident: notes_text(entry, lambda ts: format_local(ts, tz, "%Y-%m-%d %H:%M"))
            for ident, entry in notes_for(settings, outages).items() if entry.notes}


@dataclass(slots=True)
class FollowUp:
    """After the outages of a window: what the team wrote, and which plans need a review."""

    incidents: list[tuple[Outage, IncidentRecords]] = field(default_factory=list)  # oldest first
    unreviewed: list[tuple[Platform, datetime, date | None]] = field(default_factory=list)


def follow_up(settings: Settings, outages: Sequence[Outage], platforms: Sequence[Platform],
              *, now: datetime | None = None) -> FollowUp:
    """The report's "What we did / what we learned": each incident's notes and reviews, and
    the playbooks not reviewed since their platform's last outage (in this window)."""
    placed = notes_for(settings, outages, now=now)
    done = [(o, placed[o.id]) for o in sorted(outages, key=lambda o: o.start)
            if o.id in placed and (placed[o.id].notes or placed[o.id].reviews)]
    ends: dict[str, datetime] = {}
    for outage in outages:
        if outage.end is not None and not outage.maintenance:
            ends[outage.platform] = max(outage.end, ends.get(outage.platform, outage.end))
    stale = playbook.unreviewed(platforms, ends, all_reviews(settings))
    return FollowUp(done, stale)


def all_reviews(settings: Settings) -> dict[str, list[Record]]:
    """Every review stored, per platform, newest first (for the playbooks)."""
    records = store_notes.read(history.store_for(settings), types=("review",))
    return lessons_by_platform(records)


def parse_id(ident: str) -> tuple[str, datetime] | None:
    """(platform, start) encoded in a stable incident id, or None when it is not one."""
    if not store_notes.is_incident_id(ident):
        return None
    platform, stamp = ident.rsplit("-", 1)
    return platform, datetime.strptime(stamp, "%Y%m%dt%H%M%Sz").replace(tzinfo=UTC)


def find_incident(settings: Settings, ident: str, *, now: datetime | None = None
                  ) -> Outage | None:
    """The detected outage with this stable id, or None (not an id, unknown platform, or no
    such outage in the history)."""
    parsed = parse_id(ident)
    if parsed is None:
        return None
    platform, start = parsed
    if settings.platform(platform) is None:
        return None
    now = now or utcnow()
    if start > now:
        return None
    window = Window(start - FIND_BEFORE, min(now, start + FIND_SPAN))
    found = analyse_history(settings, window, platforms=[platform], now=now).outages
    return next((o for o in found if o.id == ident), None)
