"""The raw sample as a Parquet row: the history is the sole owner of this schema."""

from __future__ import annotations

import pyarrow as pa

from monitors.vocabulary import COLUMNS

SAMPLE_SCHEMA = pa.schema(
    [
        pa.field("ts", pa.timestamp("ms", tz="UTC"), nullable=False),
        pa.field("vantage", pa.string(), nullable=False),
        pa.field("platform", pa.string(), nullable=False),
        pa.field("check", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("latency_ms", pa.float32()),
        pa.field("http_status", pa.int16()),
        pa.field("error", pa.string()),
        pa.field("detail", pa.string()),
    ]
)

if tuple(SAMPLE_SCHEMA.names) != COLUMNS:  # the vocabulary names the columns, we type them
    raise RuntimeError("history/schema.py and vocabulary.COLUMNS disagree")
