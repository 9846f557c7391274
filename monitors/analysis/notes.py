"""The team's records put on the incidents they belong to (pure Python: the alert hook uses it).

Which incident a record belongs to — the rule (docs/notes.md):
1. the incident whose stable id (platform + back-dated start, to the second) is the record's;
2. else, of the same platform, the incident that overlaps the record's span most, the span
   being the incident's [start, end] as it was when the record was written (an ongoing one:
   [start, the time of writing]) — a re-detection with more vantage data moves a start by a
   round or two, a merge of two outages or a split keeps the overlap;
3. else none in this window: the record is kept and shown again when its incident is.
A note's revisions share its `record` id; the highest revision is the note (a withdrawn one is
not shown), the others are its history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from monitors.history.notes import Record, incident_id


class Incident(Protocol):
    """What placing a record needs of an outage (analysis.incidents.Outage has it)."""

    platform: str
    start: datetime
    end: datetime | None


@dataclass(slots=True)
class IncidentRecords:
    """Everything the team recorded on one incident."""

    notes: list[Record] = field(default_factory=list)  # latest revision of each note, oldest first
    revisions: dict[str, list[Record]] = field(default_factory=dict)  # note id -> all, oldest first
    ack: Record | None = None  # the latest acknowledgement
    reviews: list[Record] = field(default_factory=list)  # latest revision of each review

    @property
    def empty(self) -> bool:
        """True when nothing was recorded."""
        return not (self.notes or self.ack or self.reviews)


def id_of(incident: Incident) -> str:
    """The stable id of an outage."""
    return incident_id(incident.platform, incident.start)


def months_for(start: datetime, end: datetime) -> list[str]:
    """The `month=` partitions to read for incidents in [start, end], with a month either side
    (a re-detection can move a start across a month's edge)."""
    def index(ts: datetime) -> int:
        ts = ts.astimezone(UTC)
        return ts.year * 12 + ts.month - 1

    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index(start) - 1, index(end) + 2)]


def latest(records: Iterable[Record]) -> tuple[list[Record], dict[str, list[Record]]]:
    """(the newest revision of each record that is not withdrawn, in the order the records were
    first written; every revision per id, oldest first)."""
    history: dict[str, list[Record]] = {}
    for record in records:
        history.setdefault(f"{record.type}:{record.record}", []).append(record)
    newest, first = [], {}
    for revisions in history.values():
        revisions.sort(key=lambda r: (r.revision, r.at, r.file))
        first[revisions[-1].file] = (revisions[0].at, revisions[0].file)
        if not revisions[-1].deleted:
            newest.append(revisions[-1])
    newest.sort(key=lambda r: first[r.file])  # in the order written: an edit keeps its place
    return newest, {k.split(":", 1)[1]: v for k, v in history.items()}


def _overlap_s(record: Record, incident: Incident, now: datetime) -> float:
    end = record.end or record.at
    other_end = incident.end or now
    lo, hi = max(record.start, incident.start), min(max(end, record.start), other_end)
    if hi > lo:
        return (hi - lo).total_seconds()
    # an instant (a record written the moment its incident opened) still overlaps
    return 0.0 if incident.start <= record.start <= other_end else -1.0


def place(record: Record, incidents: Sequence[Incident], *, now: datetime | None = None,
          ids: Sequence[str] | None = None) -> int | None:
    """The index of the incident `record` belongs to (the rule above), or None."""
    ids = ids if ids is not None else [id_of(o) for o in incidents]
    for i, ident in enumerate(ids):
        if ident == record.incident:
            return i
    now = now or datetime.now(UTC)
    best, best_s = None, -1.0
    for i, incident in enumerate(incidents):
        if incident.platform != record.platform:
            continue
        overlap = _overlap_s(record, incident, now)
        if overlap > best_s:
            best, best_s = i, overlap
    return best


def attach(incidents: Sequence[Incident], records: Iterable[Record], *,
           now: datetime | None = None) -> dict[str, IncidentRecords]:
    """Per incident id, what the team recorded on it (only incidents with something)."""
    ids = [id_of(o) for o in incidents]
    newest, history = latest(records)
    out: dict[str, IncidentRecords] = {}
    for record in newest:
        index = place(record, incidents, now=now, ids=ids)
        if index is None:
            continue
        entry = out.setdefault(ids[index], IncidentRecords())
        if record.type == "note":
            entry.notes.append(record)
            entry.revisions[record.record] = history[record.record]
        elif record.type == "ack":
            entry.ack = record if entry.ack is None or record.at >= entry.ack.at else entry.ack
        else:
            entry.reviews.append(record)
    return out


def ack_line(ack: Record | None, when: str = "") -> str:
    """'Ana is on it (since 10:15)' for a tile or an alert; '' without an acknowledgement."""
    if ack is None:
        return ""
    return f"{ack.by} is on it" + (f" (since {when})" if when else "")


def note_line(record: Record, when: str) -> str:
    """One note on one line: '[did] 2026-12-03 10:15 Ana: text' (its lines joined by ' / ')."""
    edited = f" (edited, revision {record.revision})" if record.revision > 1 else ""
    text = " / ".join(line for line in record.text.split("\n") if line.strip())
    return f"[{record.kind}] {when} {record.by}{edited}: {text}"


def notes_text(entry: IncidentRecords | None, when: Callable[[datetime], str]) -> str:
    """Every note of an incident as one plain-text cell (CSV), ' | ' between notes."""
    if entry is None:
        return ""
    return " | ".join(note_line(r, when(r.at)) for r in entry.notes)


def lessons_by_platform(records: Iterable[Record]) -> dict[str, list[Record]]:
    """The latest revision of every review, per platform, newest first (feeds the playbook)."""
    newest, _ = latest(r for r in records if r.type == "review")
    out: dict[str, list[Record]] = {}
    for record in sorted(newest, key=lambda r: r.at, reverse=True):
        out.setdefault(record.platform, []).append(record)
    return out


def reviewed_ids(records: Iterable[Record]) -> set[str]:
    """Incident ids that have a review."""
    newest, _ = latest(r for r in records if r.type == "review")
    return {r.incident for r in newest}


def ack_for(incident: Incident, records: Iterable[Record], *, now: datetime | None = None
            ) -> Record | None:
    """The latest acknowledgement on this incident (placed among its platform's incidents)."""
    entry = attach([incident], (r for r in records if r.type == "ack"), now=now)
    found = entry.get(id_of(incident))
    return found.ack if found else None


def by_incident(entries: Mapping[str, IncidentRecords]) -> dict[str, Record]:
    """Per incident id its acknowledgement (only acknowledged ones)."""
    return {k: v.ack for k, v in entries.items() if v.ack is not None}
