"""The shared vocabulary: status values, error classes, the columns of a raw sample (no
dependencies: probes import it without loading pyarrow)."""

from __future__ import annotations

from typing import Literal

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

# The columns of a raw sample, in order (history/schema.py types them for Parquet).
COLUMNS: tuple[str, ...] = ("ts", "vantage", "platform", "check", "kind", "status",
                            "latency_ms", "http_status", "error", "detail")

DETAIL_MAX = 200

# A vendor status page's indicator as a status (a critical incident is down, any other
# incident or maintenance degraded): what the probe records and what the board shows.
OFFICIAL_INDICATOR_STATUS: dict[str, Status] = {
    "none": "up", "minor": "degraded", "major": "degraded", "critical": "down",
    "maintenance": "degraded",
}
