"""The team's records read for a window and put on its incidents; one incident found by id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from monitors import history
from monitors.analysis.incidents import Outage
from monitors.analysis.notes import IncidentRecords, attach, lessons_by_platform, months_for
from monitors.analysis.windows import analyse_history
from monitors.config import Settings
from monitors.history import notes as store_notes
from monitors.history.notes import Record
from monitors.timeutil import Window, utcnow

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
