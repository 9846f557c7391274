"""Alert state on disk: one JSON file under a file lock, per-event claim files, the outbox."""

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
from typing import Any

from filelock import FileLock

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
        """The current content without locking (a consistent snapshot: writes are atomic)."""
        return self._load(repair=False)

    def _load(self, *, repair: bool = True) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, ValueError) as exc:
            if not repair:  # readers never move files; the next locked writer does
                return {"state": {}, "outbox": [], "down": []}
            aside = self.path.with_name(f"{STATE_FILE}.corrupt-{int(time.time())}")
            with contextlib.suppress(OSError):
                self.path.replace(aside)
            log.warning("alert state unreadable (%s), moved to %s; starting afresh "
                        "(claims still prevent repeats)", type(exc).__name__, aside.name)
            data = {}
        if not isinstance(data, dict):
            data = {}
        data.setdefault("state", {})
        data.setdefault("outbox", [])
        data.setdefault("down", [])
        return data

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
