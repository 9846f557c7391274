"""Unreadable history files: moved aside to `DATA/quarantine/`, recorded, reported, never fatal."""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from filelock import FileLock

from monitors.history.store import Store
from monitors.text import short

log = logging.getLogger("monitors.history")

RECORD = "state/quarantine.json"
# Files that could not be moved aside (read-only folder): skipped for the life of the process.
_known_bad: dict[tuple[str, str], dict[str, Any]] = {}
_guard = threading.Lock()


def is_known_bad(store: Store, rel: str) -> bool:
    """True when this process already found the file unreadable and could not move it."""
    return (store.url, rel) in _known_bad


def quarantine(store: Store, rel: str, reason: str) -> None:
    """Move a corrupt file to quarantine/ (same relative path) and record why; never raises."""
    record = {"path": rel, "reason": short(reason),
              "when": datetime.now(UTC).isoformat(timespec="seconds")}
    log.warning("history: quarantined unreadable file %s (%s)", rel, record["reason"])
    target = f"quarantine/{rel}"
    try:
        if store.exists(target):
            target = f"quarantine/{rel}.{int(datetime.now(UTC).timestamp())}"
        store.move(rel, target)
        record["moved_to"] = target
    except FileNotFoundError:
        return  # gone already: another reader or the compactor dealt with it
    except OSError as exc:
        record["moved_to"] = None
        record["reason"] += f"; could not move it aside: {short(exc, 80)}"
        with _guard:
            _known_bad[(store.url, rel)] = record
    try:
        _append_record(store, record)
    except OSError as exc:
        log.warning("history: could not record quarantine of %s: %s", rel, short(exc))
        with _guard:
            _known_bad.setdefault((store.url, rel), record)


def _append_record(store: Store, record: dict[str, Any]) -> None:
    lock = None
    if store.local:
        lock = FileLock(store.full("state/.quarantine.json.lock"))
        with contextlib.suppress(OSError):
            store.fs.create_dir(store.full("state"), recursive=True)
    with lock if lock is not None else contextlib.nullcontext():
        records = store.read_json(RECORD, default=[]) or []
        records = [r for r in records if r.get("path") != record["path"]][-999:]
        records.append(record)
        store.write_json(RECORD, records)


def list_problems(store: Store) -> list[dict[str, Any]]:
    """Every quarantined file: recorded ones, unrecorded ones in quarantine/, unmovable ones."""
    try:
        records = store.read_json(RECORD, default=[]) or []
    except (OSError, ValueError) as exc:
        records = [{"path": RECORD, "reason": f"unreadable: {short(exc, 80)}", "when": None}]
    seen = {r.get("moved_to") for r in records} | {r.get("path") for r in records}
    for entry in store.list("quarantine"):
        if entry.rel not in seen:
            when = datetime.fromtimestamp(entry.mtime_ns / 1e9, UTC).isoformat(timespec="seconds")
            records.append({"path": entry.rel.removeprefix("quarantine/"),
                            "reason": "found in quarantine/", "when": when,
                            "moved_to": entry.rel})
    with _guard:
        extra = [r for (url, rel), r in _known_bad.items()
                 if url == store.url and rel not in {x.get("path") for x in records}]
    return [{"path": r.get("path"), "reason": r.get("reason"), "when": r.get("when")}
            for r in records + extra]

