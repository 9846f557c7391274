"""Alert state on disk: one JSON file under a file lock, per-event claim files, the outbox.

The file is validated when read (AlertFile): one that is not JSON or wrongly typed (such as
`{"state": 5, "outbox": "x"}`) is set aside to quarantine/ under the lock, with a warning
naming it, and alerting starts afresh (claim files still prevent repeated messages).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, StrictBool, StrictStr, ValidationError

from monitors.history.quarantine import quarantine
from monitors.history.state import Count, Timestamp, problem
from monitors.history.store import open_store

log = logging.getLogger("monitors.alerts")

STATE_FILE = "alerts.json"
LOCK_FILE = ".alerts.lock"
CLAIMS_DIR = "alert-claims"
LOCK_TIMEOUT_S = 30.0
BACKOFF_BASE_S = 30.0  # first retry after 30 s, then 60, 120 ... capped
BACKOFF_MAX_S = 3600.0
LEASE_S = 300.0  # a message being sent by one process is left alone by others this long
MAX_PENDING_AGE = timedelta(days=7)  # after a week an unsendable alert is stale news
MAX_OUTBOX = 500
CLAIM_MAX_AGE_S = 30 * 86400.0


def backoff_s(attempts: int) -> float:
    """Seconds to wait before retrying a message that failed `attempts` times (exponential)."""
    return min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1))


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


Severity = Literal["down", "degraded"]


class PlatformState(_Model):
    """The alert state of one platform with an ongoing outage (events._on_ongoing)."""

    severity: Severity
    worst: Severity | None = None
    start: Timestamp
    provider: StrictStr = ""
    seq: Count
    reminders: Count
    notified_at: Timestamp
    last_seen: Timestamp


class VantageState(_Model):
    """A vantage whose own network is offline."""

    offline_since: Timestamp | None = None


class AlertState(_Model):
    """What the alerts know (events.events_from_state)."""

    platforms: dict[str, PlatformState] = {}
    vantages: dict[str, VantageState] = {}


class EventJson(_Model):
    """An AlertEvent as stored in the outbox (AlertEvent.to_json)."""

    kind: StrictStr
    key: StrictStr
    platforms: list[StrictStr] = []
    title: StrictStr
    body: StrictStr
    summary: StrictStr = ""
    severity: StrictStr | None = None
    provider: StrictStr = ""
    since: Timestamp | None = None
    reminder: StrictBool = False
    parts: list[EventJson] = []


class Message(_Model):
    """One queued alert (Notifier._enqueue)."""

    id: StrictStr
    key: StrictStr
    event: EventJson
    created: Timestamp
    attempts: Count
    next_attempt: Timestamp
    lease_until: Timestamp | None = None
    last_error: StrictStr | None = None
    vantage: StrictStr | None = None


class AlertFile(_Model):
    """state/alerts.json."""

    state: AlertState = AlertState()
    outbox: list[Message] = []
    down: list[StrictStr] = []


def _fresh() -> dict[str, Any]:
    return {"state": {}, "outbox": [], "down": []}


def validate(data: Any) -> str | None:
    """None when `data` is a valid alert state file, else why not (field names, no values)."""
    if not isinstance(data, dict):
        return f"not a JSON object but {type(data).__name__}"
    try:
        AlertFile.model_validate(data)
    except (ValidationError, ValueError, TypeError) as exc:
        return problem(exc)
    return None


class Transaction:
    """The loaded state file inside one locked transaction."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.claims: list[str] = []

    def claim_after_save(self, key: str) -> None:
        """Claim this event key when the transaction has been saved."""
        self.claims.append(key)


class AlertStore:
    """The alert state and outbox shared by every sampler (vantage) using one state folder."""

    def __init__(self, state_dir: Path | str) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / STATE_FILE
        self.claims = self.dir / CLAIMS_DIR

    def _lock(self) -> FileLock:
        self.dir.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.dir / LOCK_FILE), timeout=LOCK_TIMEOUT_S)

    @contextlib.contextmanager
    def transaction(self, vantage: str = "") -> Iterator[Transaction]:
        """Load the file under the lock, yield it for changes, save it atomically on success.

        Keys passed to `Transaction.claim_after_save` are claimed once the file is saved: a
        crash in between may repeat a message, but never loses one.
        """
        with self._lock():
            txn = Transaction(self._load())
            yield txn
            self._save(txn.data)
            for key in txn.claims:
                self.claim(key, vantage)

    def read(self) -> dict[str, Any]:
        """The current content without waiting for the lock (a consistent snapshot: writes are
        atomic). An invalid file is set aside only when the lock is free at once; else it reads
        as empty and the next locked writer sets it aside."""
        data, reason = self._parse()
        if reason is None:
            return data
        try:
            with FileLock(str(self.dir / LOCK_FILE), timeout=0):
                return self._load()
        except Timeout:
            log.warning("alert state %s is invalid (%s); read as empty until the sampler "
                        "holding its lock sets it aside", self.path, reason)
            return _fresh()

    def _parse(self) -> tuple[dict[str, Any], str | None]:
        """(content with defaults, None) or (fresh content, why the file is invalid)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return _fresh(), None
        except OSError as exc:
            return _fresh(), f"unreadable: {type(exc).__name__}"
        try:
            data = json.loads(raw)
        except ValueError as exc:
            return _fresh(), f"not valid JSON ({type(exc).__name__})"
        reason = validate(data)
        if reason is not None:
            return _fresh(), reason
        data.setdefault("state", {})
        data.setdefault("outbox", [])
        data.setdefault("down", [])
        return data, None

    def _load(self) -> dict[str, Any]:
        data, reason = self._parse()
        if reason is None:
            return data
        self._set_aside(reason)
        log.warning("alert state %s is invalid (%s): set aside to quarantine/, starting afresh "
                    "(claims still prevent repeats)", self.path, reason)
        return data

    def _set_aside(self, reason: str) -> None:
        """Move the state file to <data>/quarantine/<state dir>/ (recorded like a quarantined
        history file); if it cannot be moved, out of the way in this folder."""

        with contextlib.suppress(Exception):
            quarantine(open_store(str(self.dir.parent)), f"{self.dir.name}/{STATE_FILE}",
                       f"alert state: {reason}")
        if self.path.exists():
            aside = self.path.with_name(f"{STATE_FILE}.corrupt-{int(time.time())}")
            with contextlib.suppress(OSError):
                self.path.replace(aside)

    def _save(self, data: dict[str, Any]) -> None:
        temporary = self.dir / f".{STATE_FILE}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.path)

    def _claim_path(self, key: str) -> Path:
        return self.claims / hashlib.sha256(key.encode()).hexdigest()[:32]

    def claimed(self, key: str) -> bool:
        """True when some process already took this event key."""
        return self._claim_path(key).exists()

    def claim(self, key: str, vantage: str) -> bool:
        """True for the first caller ever to claim this event key (O_EXCL file), else False."""
        self.claims.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self._claim_path(key), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"key": key, "vantage": vantage, "at": time.time()}))
        return True

    def prune_claims(self, max_age_s: float = CLAIM_MAX_AGE_S) -> int:
        """Delete claims older than max_age_s (their events are long settled); returns count."""
        removed = 0
        cutoff = time.time() - max_age_s
        for path in self.claims.glob("*") if self.claims.is_dir() else ():
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed


def expire(outbox: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """The outbox without messages too old or too many; each one dropped is logged as an error."""
    kept = []
    for message in outbox:
        if now - datetime.fromisoformat(message["created"]) > MAX_PENDING_AGE:
            log.error("alert %r could not be delivered for %s; dropped (last error: %s)",
                      message["event"]["title"], MAX_PENDING_AGE, message.get("last_error"))
        else:
            kept.append(message)
    for message in kept[:-MAX_OUTBOX] if len(kept) > MAX_OUTBOX else []:
        log.error("alert outbox full; dropped %r", message["event"]["title"])
    return kept[-MAX_OUTBOX:]
