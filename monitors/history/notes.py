"""The team's records about incidents — notes, acknowledgements, reviews — in the data folder.

Layout: `notes/month=YYYY-MM/<type>-<rank>-<random>.json`, one small JSON document per record,
the month being the incident's start month. Records are append-only: a file is written once
under a name nobody else can pick (unique_name: a nanosecond rank and 32 random bits), never
rewritten and never deleted, so any number of writers — two people on the dashboard, the
CLI, two processes, two machines on one S3 prefix — need no lock and lose nothing. An edit is
a new record with the same `record` id and a higher `revision`; the history of a note is every
revision kept. Compaction, quarantine and the stored months never touch `notes/`.

Pure Python and json only: the sampler's alert hook reads acknowledgements every round with
an outage, and the sampler process must not load pandas. Files already read are remembered
by name (they never change), so a round lists the folder and reads only what is new.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from monitors.history.store import Store, new_rank, unique_name

log = logging.getLogger("monitors.history")

FOLDER = "notes"
VERSION = 1
TEXT_MAX = 2000  # characters per note text (and per review answer): a paragraph, not a file
NAME_MAX = 80  # characters of a name (`by`)
FILE_MAX = 64 * 1024  # bytes: a record file bigger than this is not one of ours
CACHE_MAX = 20_000  # records remembered by file name
RecordType = Literal["note", "ack", "review"]
TYPES: tuple[str, ...] = ("note", "ack", "review")
KINDS: tuple[str, ...] = ("happened", "did", "learned", "handled")
KIND_LABELS = {"happened": "What happened", "did": "What we did", "learned": "What we learned",
               "handled": "Who handled it"}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}-\d{8}t\d{6}z$")


def clean_text(value: object, limit: int = TEXT_MAX, *, one_line: bool = False) -> str:
    """User text made safe to keep: valid UTF-8 (lone surrogates become U+FFFD), no control
    or bidi-override characters (newlines kept unless `one_line`), trimmed, at most `limit`
    characters (longer text is cut and ends with '…')."""
    text = str(value if value is not None else "")[: 4 * limit]
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    text = _CONTROL.sub("", text)
    text = " ".join(text.split()) if one_line else "\n".join(
        line.rstrip() for line in text.strip().split("\n"))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def incident_id(platform: str, start: datetime) -> str:
    """The stable id of an incident: its platform and back-dated start to the second, in UTC,
    e.g. 'instagram-20261203t101205z' (a re-detection or recomputation keeps the start)."""
    return f"{platform}-{start.astimezone(UTC):%Y%m%dt%H%M%S}z".lower()


def is_incident_id(value: str) -> bool:
    """True when `value` has the shape incident_id() gives."""
    return bool(_ID.match(value or ""))


def month_of(ts: datetime) -> str:
    """The `month=` partition of a record: its incident's start month (UTC)."""
    return f"{ts.astimezone(UTC):%Y-%m}"


@dataclass(frozen=True, slots=True)
class Record:
    """One stored record: a note (or a revision of it), an acknowledgement or a review.

    `incident`, `platform`, `start` and `end` say which incident it was written on, so a
    record whose id no longer matches (a re-detection moved the start) finds its incident
    again by overlap (analysis/notes.py)."""

    type: str  # note | ack | review
    record: str  # the note's id, the same for every revision
    revision: int
    incident: str
    platform: str
    start: datetime
    end: datetime | None  # None: the incident was ongoing when this was written
    at: datetime  # when it was written
    by: str
    kind: str = ""  # a note's kind: happened | did | learned | handled
    text: str = ""  # a note's text
    worked: str = ""  # review: what worked from the playbook
    didnt: str = ""  # review: what did not
    lesson: str = ""  # review: the lesson, linked to the platform's playbook
    deleted: bool = False  # a revision that withdraws the note
    file: str = ""  # where it is stored (relative to the data root)

    def to_json(self) -> dict[str, Any]:
        """The stored document."""
        data = asdict(self)
        data.pop("file")
        data.update(version=VERSION, start=_iso(self.start), end=_iso(self.end),
                    at=_iso(self.at))
        return data


def _iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _time(value: Any, field: str, *, optional: bool = False) -> datetime | None:
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field} is not a timestamp")
    ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        raise ValueError(f"{field} has no timezone")
    return ts.astimezone(UTC)


def from_json(data: Any, file: str = "") -> Record:
    """A Record from a stored document (ValueError when it is not one); text is cleaned and
    capped again, so a hand-edited or hostile file is no worse than a typed note."""
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError("not a note record of this version")
    kind, rtype = str(data.get("kind") or ""), data.get("type")
    if rtype not in TYPES or (kind and kind not in KINDS):
        raise ValueError("unknown record type or kind")
    revision = data.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool) or revision < 1:
        raise ValueError("revision is not a positive integer")
    return Record(
        type=rtype, record=clean_text(data.get("record"), 64, one_line=True),
        revision=revision, incident=clean_text(data.get("incident"), 64, one_line=True),
        platform=clean_text(data.get("platform"), 40, one_line=True),
        start=_time(data.get("start"), "start"), end=_time(data.get("end"), "end", optional=True),
        at=_time(data.get("at"), "at"), by=clean_text(data.get("by"), NAME_MAX, one_line=True),
        kind=kind, text=clean_text(data.get("text")), worked=clean_text(data.get("worked")),
        didnt=clean_text(data.get("didnt")), lesson=clean_text(data.get("lesson")),
        deleted=data.get("deleted") is True, file=file,
    )


def new_record_id() -> str:
    """A fresh note id (revisions of one note share it)."""
    return f"n{secrets.token_hex(6)}"


def make(rtype: RecordType, *, incident: str, platform: str, start: datetime,
         end: datetime | None, by: str, at: datetime | None = None, record: str | None = None,
         revision: int = 1, **fields: Any) -> Record:
    """A new record with its text cleaned and capped (not yet stored: see write())."""
    texts = {k: clean_text(v) for k, v in fields.items() if k in ("text", "worked", "didnt",
                                                                   "lesson")}
    kind = str(fields.get("kind") or ("did" if rtype == "note" else ""))
    if kind and kind not in KINDS:
        raise ValueError(f"kind {kind!r}: use one of {', '.join(KINDS)}")
    return Record(type=rtype, record=record or new_record_id(), revision=revision,
                  incident=incident, platform=platform, start=start.astimezone(UTC),
                  end=end.astimezone(UTC) if end else None,
                  at=(at or datetime.now(UTC)).astimezone(UTC),
                  by=clean_text(by, NAME_MAX, one_line=True) or "someone", kind=kind,
                  deleted=bool(fields.get("deleted")), **texts)


def write(store: Store, record: Record) -> Record:
    """Store one record under a new unique name (atomic; no lock needed); returns it with
    its file set."""
    rel = f"{FOLDER}/month={month_of(record.start)}/{unique_name(record.type, new_rank(), '.json')}"
    payload = json.dumps(record.to_json(), ensure_ascii=True, separators=(",", ":")).encode()
    store.write(rel, lambda out: out.write(payload))
    stored = replace(record, file=rel)
    with _lock:
        _remember((store.url, rel), stored)
    return stored


_cache: dict[tuple[str, str], Record | None] = {}
_lock = threading.Lock()
_warned: set[tuple[str, str]] = set()


def _remember(key: tuple[str, str], value: Record | None) -> None:
    if len(_cache) >= CACHE_MAX:
        _cache.clear()  # records are cheap to read again; memory stays bounded
    _cache[key] = value


def _read_one(store: Store, rel: str, size: int) -> Record | None:
    try:
        if size > FILE_MAX:
            raise ValueError(f"{size} bytes")
        payload = store.read_bytes(rel)
        if len(payload) > FILE_MAX:
            raise ValueError(f"{len(payload)} bytes")
        return from_json(json.loads(payload.decode("utf-8")), rel)
    except (OSError, ValueError, TypeError, UnicodeDecodeError) as exc:
        if (store.url, rel) not in _warned:
            _warned.add((store.url, rel))
            log.warning("notes: %s skipped (%s)", rel, type(exc).__name__)
        return None


def read(store: Store, months: Iterable[str] | None = None,
         types: Iterable[str] = TYPES) -> list[Record]:
    """Every record stored (or only those of these `month=` partitions and types), oldest
    first; unreadable files are skipped and logged once."""
    wanted = set(types)
    folders = [FOLDER] if months is None else [f"{FOLDER}/month={m}" for m in sorted(set(months))]
    out: list[Record] = []
    for folder in folders:
        for entry in store.list(folder):
            if not entry.rel.endswith(".json") or entry.name.split("-", 1)[0] not in wanted:
                continue
            key = (store.url, entry.rel)
            with _lock:
                known = key in _cache
                record = _cache.get(key)
            if not known:
                record = _read_one(store, entry.rel, entry.size)
                with _lock:
                    _remember(key, record)
            if record is not None and record.type in wanted:
                out.append(record)
    out.sort(key=lambda r: (r.at, r.file))
    return out


def clear_cache() -> None:
    """Forget the records read so far (tests read a folder cold)."""
    with _lock:
        _cache.clear()
        _warned.clear()
