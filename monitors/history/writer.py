"""Appending samples: an in-memory buffer flushed as small atomic segment files; the writer lock."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
from filelock import FileLock, Timeout

from monitors.history.files import (
    DAY_MS,
    VANTAGE,
    arrow_indices,
    day_of,
    normalize,
    sort_dedupe,
    ts_ms,
)
from monitors.history.files import write_samples as _write_samples
from monitors.history.store import Store, new_rank, open_store, unique_name
from monitors.text import short

log = logging.getLogger("monitors.history")


class Lock:
    """A held inter-process lock; `release()` gives it up (also on process exit or kill)."""

    def __init__(self, lock: FileLock, path: str) -> None:
        self._lock, self.path = lock, path

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._lock.is_locked:
            self._lock.release(force=True)

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_path(data: str, name: str) -> str:
    """Where the lock file `name` lives: DATA/state/ locally, the temp dir for object stores."""
    store = open_store(data)
    if store.local:
        return store.full(f"state/{name}.lock")
    digest = hashlib.sha256(f"{store.url}\0{name}".encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"platform-pulse-{digest}.lock")


def try_lock(path: str) -> Lock | None:
    """Take a file lock without waiting; None when another process (or object) holds it."""
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        lock = FileLock(path, is_singleton=False)
        lock.acquire(timeout=0)
    except Timeout:
        return None
    except OSError as exc:  # read-only folder: nobody can write here, so read only
        log.warning("history: cannot create lock %s (%s); read-only", path, short(exc))
        return None
    return Lock(lock, path)


def acquire_writer_lock(data: str, vantage: str) -> Lock | None:
    """The one-writer-per-data-folder lock for this vantage; None when someone else has it."""
    _check_vantage(vantage)
    return try_lock(lock_path(data, f"writer-{vantage}"))


def _check_vantage(vantage: str) -> None:
    if not VANTAGE.match(vantage or ""):
        raise ValueError(f"vantage {vantage!r}: use letters, digits, '-', '_' or '.'")


class HistoryWriter:
    """Buffers samples in memory and flushes them as segment files of the history."""

    def __init__(self, data: str, vantage: str, *, flush_every_s: float = 30,
                 flush_rows: int = 5000, max_buffer_rows: int = 1_000_000,
                 storage_endpoint: str | None = None) -> None:
        _check_vantage(vantage)
        self.data, self.vantage = data, vantage
        self.flush_every_s, self.flush_rows = flush_every_s, max(1, flush_rows)
        self.max_buffer_rows = max(1, max_buffer_rows)
        self._store: Store = open_store(data, storage_endpoint)
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._mutex = threading.Lock()  # guards the buffer
        self._flushing = threading.Lock()  # one flush at a time
        self._last_attempt = time.monotonic()
        self._stats: dict[str, Any] = {"written": 0, "dropped": 0, "flush_errors": 0,
                                       "text_dropped": 0, "last_flush": None,
                                       "last_error": None}

    @property
    def stats(self) -> dict[str, Any]:
        """written, buffered, dropped, flush_errors, text_dropped (rows stored without their
        unstorable detail), last_flush (UTC), last_error."""
        with self._mutex:
            return {**self._stats, "buffered": self._buffered}

    @property
    def text_dropped(self) -> int:
        """Rows stored without their detail because that text could not be stored."""
        with self._mutex:
            return int(self._stats["text_dropped"])

    def append(self, rows: Sequence[dict[str, Any]] | pa.Table) -> None:
        """Add samples to the buffer (validated; raises ValueError on a malformed row).

        One row's text never fails the batch: when the batch is rejected, rows are taken one
        by one and a row whose detail cannot be stored (e.g. a lone surrogate) is kept with
        detail None, counted in stats["text_dropped"] and logged (the first time)."""
        try:
            table = normalize(rows, self.vantage)
        except ValueError:  # pyarrow's ArrowInvalid and UnicodeEncodeError are ValueErrors
            if isinstance(rows, pa.Table):
                raise
            table = self._salvage(rows)
        if table.num_rows == 0:
            return
        with self._mutex:
            self._buffer.append(table)
            self._buffered += table.num_rows
            self._enforce_bound()

    def _salvage(self, rows: Sequence[dict[str, Any]]) -> pa.Table:
        """Normalise row by row; a row failing on its text alone is kept without it."""
        tables, salvaged = [], 0
        for row in rows:
            try:
                tables.append(normalize([row], self.vantage))
            except ValueError:
                if row.get("detail") is None:
                    raise
                tables.append(normalize([{**row, "detail": None}], self.vantage))
                salvaged += 1
        if salvaged:
            with self._mutex:
                first = not self._stats["text_dropped"]
                self._stats["text_dropped"] += salvaged
            (log.warning if first else log.debug)(
                "history: %d sample(s) with unstorable detail text kept without it "
                "(counted in text_dropped; later ones are logged at debug level)", salvaged)
        return pa.concat_tables(tables) if tables else normalize([], self.vantage)

    def due(self) -> bool:
        """True when the buffer is big enough or old enough to flush."""
        with self._mutex:
            buffered = self._buffered
        return buffered >= self.flush_rows or (
            buffered > 0 and time.monotonic() - self._last_attempt >= self.flush_every_s)

    def flush(self) -> int:
        """Write the buffer as segment files; returns rows written. Failures keep the rows."""
        with self._flushing:
            with self._mutex:
                pending, self._buffer, self._buffered = self._buffer, [], 0
            self._last_attempt = time.monotonic()
            if not pending:
                return 0
            unwritten, written = self._write(pa.concat_tables(pending))
            with self._mutex:
                if unwritten is not None and unwritten.num_rows:
                    self._buffer.insert(0, unwritten)
                    self._buffered += unwritten.num_rows
                    self._enforce_bound()
                self._stats["written"] += written
                if written:
                    self._stats["last_flush"] = datetime.now(UTC)
            return written

    def close(self) -> None:
        """Flush what is buffered (one retry); rows that still cannot be written are logged."""
        for _ in range(2):
            self.flush()
            if not self.stats["buffered"]:
                return
        log.error("history: %d samples could not be written to %s and are lost (%s)",
                  self.stats["buffered"], self.data, self.stats["last_error"])

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, table: pa.Table) -> tuple[pa.Table | None, int]:
        """Write one segment per UTC day; return (rows not written, rows written)."""
        days = ts_ms(table) // DAY_MS
        unique = np.unique(days)
        failed: list[pa.Table] = []
        written = 0
        for day in unique:
            rows = arrow_indices(np.flatnonzero(days == day))
            part = table if len(unique) == 1 else table.take(rows)
            try:
                written += self._write_day(day_of(int(day) * DAY_MS), part)
            except OSError as exc:  # disk full, read-only folder, store unreachable
                failed.append(part)
                with self._mutex:
                    self._stats["flush_errors"] += 1
                    self._stats["last_error"] = short(exc)
                log.warning("history: flush of %d samples to %s failed, kept in memory: %s",
                            part.num_rows, self.data, short(exc))
        return (pa.concat_tables(failed) if failed else None), written

    def _write_day(self, day: str, table: pa.Table) -> int:
        table, _ = sort_dedupe(table)
        rel = f"samples/date={day}/vantage={self.vantage}/{unique_name('s', new_rank())}"
        return _write_samples(self._store, rel, table)

    def _enforce_bound(self) -> None:
        """Past max_buffer_rows drop the oldest samples, counted and logged (mutex held)."""
        excess = self._buffered - self.max_buffer_rows
        if excess <= 0:
            return
        merged = pa.concat_tables(self._buffer) if len(self._buffer) > 1 else self._buffer[0]
        self._buffer = [merged.slice(excess)]
        self._buffered -= excess
        self._stats["dropped"] += excess
        log.warning("history: buffer full (%d samples); dropped the %d oldest (%d so far)",
                    self.max_buffer_rows, excess, self._stats["dropped"])

