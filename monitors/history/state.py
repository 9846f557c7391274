"""Small JSON state files under DATA/state/ (heartbeat, official status), local or object store.

Every file is validated when read: against its schema (heartbeats, vendor status) or as a
JSON object. A file that is not — unparseable, or wrongly typed such as `{"interval_s": "x"}`
— is set aside to DATA/quarantine/state/ (recorded like a quarantined Parquet file, so the
dashboard lists it), reported by a warning naming it, and read as absent: its writer
rebuilds it fresh on its next write.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from monitors.history.quarantine import quarantine
from monitors.history.store import Store, open_store

log = logging.getLogger("monitors.state")


def is_remote(data: str | Store) -> bool:
    """True when the data location is an object-store URL rather than a local folder."""
    if isinstance(data, Store):
        return not data.local
    return "://" in data and not data.startswith("file://")


def local_state_dir(data: str | Store) -> Path:
    """The state folder for local data, or a per-URL folder in the temp dir for object stores."""
    data = data.url if isinstance(data, Store) else data
    if not is_remote(data):
        path = Path(data.removeprefix("file://")) / "state"
    else:
        safe = "".join(c if c.isalnum() else "_" for c in data)[:80]
        path = Path(tempfile.gettempdir()) / "platform-pulse" / safe / "state"
    path.mkdir(parents=True, exist_ok=True)
    return path


# ------------------------------------------------------------------ schemas
def _aware_iso(value: str) -> str:
    """An ISO 8601 timestamp with a time zone (naive ones cannot be compared with now)."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return value


Timestamp = Annotated[StrictStr, AfterValidator(_aware_iso)]
Count = Annotated[StrictInt, Field(ge=0)]
Seconds = Annotated[float, Field(allow_inf_nan=False)]


class _StateModel(BaseModel):
    """Strict types for the fields readers use; other fields are kept as they are."""

    model_config = ConfigDict(strict=True, extra="allow")


class HeartbeatFile(_StateModel):
    """DATA/state/heartbeat-<vantage>.json as the sampler writes it (sampling.heartbeat)."""

    vantage: Annotated[StrictStr, Field(min_length=1)]
    pid: StrictInt | None = None
    host: StrictStr | None = None
    running_since: Timestamp | None = None
    last_round_at: Timestamp | None = None
    stopped_at: Timestamp | None = None
    interval_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None
    timeout_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    last_round_s: Seconds | None = None
    last_lateness_s: Seconds | None = None
    max_lateness_s: Seconds | None = None
    last_loop_lag_s: Seconds | None = None
    max_loop_lag_s: Seconds | None = None
    overloaded_rounds: Count | None = None
    platforms: Count | None = None
    rounds: Count | None = None
    late_rounds: Count | None = None
    missed_rounds: Count | None = None
    checks_ok: Count | None = None
    checks_failed: Count | None = None
    refused_checks: Count | None = None
    written: Count | None = None
    buffered: Count | None = None
    dropped: Count | None = None
    flush_errors: Count | None = None
    last_flush_error: StrictStr | None = None
    vantage_offline: StrictBool | None = None
    last_counts: dict[str, Count] | None = None
    verdicts: dict[str, StrictStr] | None = None
    lasting_refusals: list[dict[str, Any]] | None = None


class OfficialEntry(_StateModel):
    """What one vendor status page says (probes.base.OfficialInfo as JSON)."""

    indicator: StrictStr = "none"
    description: StrictStr | None = None
    title: StrictStr | None = None
    impact: StrictStr | None = None
    incident_status: StrictStr | None = None
    components: list[StrictStr] = []
    update: StrictStr | None = None
    url: StrictStr | None = None
    started_at: StrictStr | None = None
    updated_at: StrictStr | None = None


_ANY_OBJECT = TypeAdapter(dict[str, Any])
_OFFICIAL = TypeAdapter(dict[str, OfficialEntry])

Validator = Callable[[Any], Any]


def schema_for(name: str) -> Validator:
    """The validation of a state file, by name (raises ValidationError / ValueError)."""
    if name.startswith("heartbeat-"):
        return HeartbeatFile.model_validate
    if name.startswith("official-"):
        return _OFFICIAL.validate_python
    return _ANY_OBJECT.validate_python


def problem(exc: Exception) -> str:
    """A short reason naming the offending fields, e.g. 'interval_s: Input should be a valid
    number' (never the values: state files may hold text from the outside)."""
    if isinstance(exc, ValidationError):
        parts = []
        for error in exc.errors()[:3]:
            where = ".".join(str(p) for p in error["loc"]) or "file"
            parts.append(f"{where}: {error['msg']}")
        more = exc.error_count() - len(parts)
        return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:160] if text else type(exc).__name__


def check(name: str, value: Any, validate: Validator | None = None) -> str | None:
    """None when `value` is a valid content of state file `name`, else the problem."""
    if not isinstance(value, dict):
        return f"not a JSON object but {type(value).__name__}"
    try:
        (validate or schema_for(name))(value)
    except (ValidationError, ValueError, TypeError) as exc:
        return problem(exc)
    return None


# ------------------------------------------------------------------ files
def write_json(data: str | Store, name: str, payload: dict, *,
               storage_endpoint: str | None = None) -> None:
    """Write DATA/state/<name> atomically (temp file, fsync, rename; one PUT on object stores)."""
    body = json.dumps(payload, default=str, indent=1).encode()
    open_store(data, storage_endpoint).write(f"state/{name}", lambda out: out.write(body))


def _read_bytes(data: str | Store, name: str, endpoint: str | None) -> bytes:
    return open_store(data, endpoint).read_bytes(f"state/{name}")


def set_aside(data: str | Store, name: str, reason: str, *, storage_endpoint: str | None = None,
              seen: bytes | None = None) -> None:
    """Move DATA/state/<name> to DATA/quarantine/state/<name> and record why; never raises.

    With `seen`, only when the file still holds those bytes (a writer may have replaced it
    with a good one since it was read)."""
    try:
        if seen is not None and _read_bytes(data, name, storage_endpoint) != seen:
            return

        quarantine(open_store(data, storage_endpoint), f"state/{name}", reason)
    except Exception as exc:  # a problem report must never become a second problem
        log.warning("state file state/%s could not be set aside: %s", name, problem(exc))


def read_json(data: str | Store, name: str, *, storage_endpoint: str | None = None,
              validate: Validator | None = None) -> dict | None:
    """Read and validate DATA/state/<name>; None when missing, unreadable or invalid.

    An invalid file (not JSON, not an object, or not of its schema: `schema_for`) is set
    aside to quarantine/ with a warning naming it, so the next write starts it fresh."""
    try:
        raw = _read_bytes(data, name, storage_endpoint)
    except OSError:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        reason: str | None = f"not valid JSON ({problem(exc)})"
    else:
        reason = check(name, value, validate)
        if reason is None:
            return value
    log.warning("state file state/%s is invalid (%s); set aside to quarantine/, starting afresh",
                name, reason)
    set_aside(data, name, reason, storage_endpoint=storage_endpoint, seen=raw)
    return None


def list_names(data: str | Store, prefix: str, *,
               storage_endpoint: str | None = None) -> list[str]:
    """Names of state files starting with `prefix` (e.g. every vantage's heartbeat)."""
    try:
        entries = open_store(data, storage_endpoint).list("state", stat=False)
    except OSError:
        return []
    names = [e.rel.removeprefix("state/") for e in entries if e.rel.count("/") == 1]
    return sorted(n for n in names if n.startswith(prefix) and not n.startswith("."))
