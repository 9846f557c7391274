"""The raw-sample contract: status values, error classes and the Parquet schema."""

from __future__ import annotations

from typing import Literal

import pyarrow as pa

Status = Literal["up", "degraded", "down", "unknown"]
STATUSES: tuple[Status, ...] = ("up", "degraded", "down", "unknown")

ErrorClass = Literal[
    "dns",
    "connect",
    "tls",
    "timeout",
    "http_status",
    "refused",
    "keyword",
    "too_large",
    "redirects",
    "protocol",
    "slow",
    "cert_expiring",
    "vantage_offline",
    "overloaded",
    "official_incident",
    "official_maintenance",
    "official_unavailable",
    "bad_payload",
    "probe_error",
]

# (ts, vantage, platform, check) is unique in what readers see.
KEY: tuple[str, ...] = ("ts", "vantage", "platform", "check")

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
COLUMNS: tuple[str, ...] = tuple(SAMPLE_SCHEMA.names)

DETAIL_MAX = 200

# A vendor status page's indicator as a status (a critical incident is down, any other
# incident or maintenance degraded): what the probe records and what the board shows.
OFFICIAL_INDICATOR_STATUS: dict[str, Status] = {
    "none": "up", "minor": "degraded", "major": "degraded", "critical": "down",
    "maintenance": "degraded",
}
