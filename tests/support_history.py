"""Shared helpers for the history tests: synthetic rounds of samples and a crash-test child.

Run as a script (`python tests/support_history.py child DATA LOG STATUS`) it is the writer
process of the SIGKILL crash test: it appends rounds forever, flushes, compacts, and after
every successful flush appends the flushed round range to LOG (fsync'd), so the parent knows
what must survive a kill. STATUS holds one byte: the phase the child is in right now.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from monitors.history.schema import SAMPLE_SCHEMA  # noqa: E402

T0 = datetime(2024, 3, 1, 22, 0, tzinfo=UTC)
PLATFORMS = ("alpha", "beta", "gamma")
CHECKS = ("web", "api")
StatusFn = Callable[[int, str, str], tuple[str, str | None]]


def at(i: int, start: datetime = T0, interval_s: float = 60) -> datetime:
    """The ts of round i."""
    return start + timedelta(seconds=i * interval_s)


def rounds(first: int, count: int, *, start: datetime = T0, interval_s: float = 60,
           platforms: Iterable[str] = PLATFORMS, checks: Iterable[str] = CHECKS,
           vantage: str = "hq", status: StatusFn | None = None) -> list[dict]:
    """Rows (dicts with every schema column) for rounds first..first+count-1.

    Latencies have three significant digits, so they read back exactly.
    """
    platforms, checks = tuple(platforms), tuple(checks)
    rows = []
    for i in range(first, first + count):
        ts = at(i, start, interval_s)
        for pi, platform in enumerate(platforms):
            for ci, check in enumerate(checks):
                state, error = status(i, platform, check) if status else ("up", None)
                answered = state in ("up", "degraded")
                rows.append({
                    "ts": ts, "vantage": vantage, "platform": platform, "check": check,
                    "kind": "dns" if check == "dns" else "http", "status": state,
                    "latency_ms": float(100 + (i * 7 + pi * 13 + ci * 3) % 50) if answered
                    else None,
                    "http_status": 200 if answered else None, "error": error,
                    "detail": None if error is None else f"{error} at round {i}",
                })
    return rows


def table(rows: list[dict]) -> pa.Table:
    """Rows as a SAMPLE_SCHEMA table."""
    return pa.Table.from_pylist(rows, schema=SAMPLE_SCHEMA)


def random_rounds(seed: int, first: int, count: int, *, vantage: str = "hq",
                  platforms: Iterable[str] = PLATFORMS, checks: Iterable[str] = CHECKS,
                  start: datetime = T0) -> list[dict]:
    """Rounds with random statuses (all four, vantage_offline too) and random latencies."""
    rng = np.random.default_rng(seed)
    rows = rounds(first, count, vantage=vantage, platforms=platforms, checks=checks,
                  start=start)
    choices = [("up", None)] * 6 + [("degraded", "slow"), ("down", "timeout"),
                                     ("down", "http_status"), ("unknown", "vantage_offline"),
                                     ("unknown", "probe_error")]
    for row in rows:
        state, error = choices[int(rng.integers(len(choices)))]
        answered = state in ("up", "degraded")
        row.update(status=state, error=error,
                   latency_ms=float(rng.uniform(1, 3000)) if answered or rng.random() < 0.2
                   else None)
    return rows


def write(data: str | Path, rows: list[dict] | pa.Table, *, vantage: str = "hq",
          **options) -> int:
    """Append rows through a HistoryWriter and flush them; returns rows written."""
    from monitors.history import HistoryWriter

    writer = HistoryWriter(str(data), vantage, **options)
    writer.append(rows)
    written = writer.flush()
    writer.close()
    return written


def keys(frame: pd.DataFrame) -> list[tuple]:
    """The (ts, vantage, platform, check) keys of a samples frame, as comparable tuples."""
    ts = frame["ts"].astype("int64") if len(frame) else []
    return list(zip(ts, frame["vantage"], frame["platform"], frame["check"], strict=True))


def sample_files(data: str | Path) -> list[Path]:
    """The visible Parquet files under samples/."""
    return sorted(p for p in Path(data, "samples").rglob("*.parquet")
                  if not p.name.startswith("."))


# --------------------------------------------------------------------- crash-test child
CHILD_ROUNDS = 25  # rounds appended between flushes
CHILD_PLATFORMS = tuple(f"p{i:02d}" for i in range(14))
CHILD_CHECKS = ("web", "api", "dns")


def child_status(i: int, platform: str, check: str) -> tuple[str, str | None]:
    """Deterministic outages so roll-ups and extracts have something to hold."""
    if (i // 40) % 7 == 3 and platform in ("p01", "p02"):
        return "down", "connect"
    if i % 97 == 5 and check == "api":
        return "degraded", "slow"
    return "up", None


def child_main(data: str, log_path: str, status_path: str) -> int:
    """The crash-test writer: append, flush, log durably, compact now and then; forever."""
    from monitors.history import HistoryWriter, acquire_writer_lock, compact

    status = os.open(status_path, os.O_RDWR | os.O_CREAT, 0o644)

    def phase(code: bytes) -> None:
        os.pwrite(status, code, 0)

    lock = acquire_writer_lock(data, "hq")
    if lock is None:
        return 3  # the killed predecessor's lock must have been released by the kernel
    done = [int(line.split()[1]) for line in Path(log_path).read_text().splitlines()
            if line.strip()] if Path(log_path).exists() else []
    nxt = max(done) + 1 if done else 0
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    writer = HistoryWriter(data, "hq", flush_rows=10**9, flush_every_s=1e9)
    first = max(0, nxt - 3)  # re-send three flushed rounds: duplicates across files
    iteration = 0
    while True:
        phase(b"A")
        writer.append(rounds(first, nxt + CHILD_ROUNDS - first, platforms=CHILD_PLATFORMS,
                             checks=CHILD_CHECKS, status=child_status))
        phase(b"F")
        writer.flush()
        phase(b"L")
        os.write(log, f"{first} {nxt + CHILD_ROUNDS - 1}\n".encode())
        os.fsync(log)
        first = nxt = nxt + CHILD_ROUNDS
        iteration += 1
        if iteration % 2 == 0:
            phase(b"C")
            compact(data)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "child":
        sys.exit(child_main(*sys.argv[2:]))
    sys.exit(f"usage: {sys.argv[0]} child DATA LOG STATUS")
