"""Parquet history: append, flush, compact, roll up and read samples (local folder or S3).

Layout of a data folder (or s3://bucket/prefix):
  samples/date=YYYY-MM-DD/vantage=NAME/*.parquet   raw samples (hive-partitioned)
  rollups/month=YYYY-MM/vantage=NAME/*.parquet     hourly roll-ups (per check and per round)
  quarantine/                                      unreadable files moved aside
  state/                                           locks, quarantine record (shared folder)
"""

from __future__ import annotations

import importlib
from typing import Any

from monitors.history.store import Store, open_store, store_for
from monitors.history.writer import HistoryWriter, Lock, acquire_writer_lock

# The writer path (the long-running sampler) never needs pandas or DuckDB, so the read and
# compaction halves load on first use; this keeps a sampler's memory small.
_LAZY = {
    "compact": "compaction",
    "data_version": "read",
    "has_history": "read",
    "iter_sample_batches": "read",
    "problems": "read",
    "read_eventful_samples": "read",
    "read_rollups": "read",
    "read_round_rollups": "read",
    "read_samples": "read",
    "clear_cache": "rollup",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f"monitors.history.{_LAZY[name]}"), name)
        globals()[name] = value  # resolve once
        return value
    raise AttributeError(f"module 'monitors.history' has no attribute {name!r}")


__all__ = [
    "HistoryWriter",
    "Lock",
    "Store",
    "acquire_writer_lock",
    "clear_cache",
    "compact",
    "data_version",
    "has_history",
    "iter_sample_batches",
    "open_store",
    "problems",
    "read_eventful_samples",
    "read_rollups",
    "read_round_rollups",
    "read_samples",
    "store_for",
]
