"""CSV exports (samples streamed, incidents, uptime) with spreadsheet-injection-safe cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

import pandas as pd
import pyarrow as pa

from monitors.analysis.incidents import Outage
from monitors.analysis.measured import Measurement
from monitors.config import Platform
from monitors.output import measured_export, present, tables
from monitors.timeutil import Window

# A spreadsheet treats a cell starting with one of these as a formula (OWASP CSV injection).
# Rows end in CRLF (RFC 4180) so any CR or LF inside a value is quoted and cannot start a row.
_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
SAMPLE_HEADER = ["ts_utc", "ts_local", "vantage", "platform", "check", "kind", "status",
                 "latency_ms", "http_status", "error", "detail"]
INCIDENT_HEADER = ["platform", "name", "provider", "start_utc", "start_local", "end_utc",
                   "end_local", "detected_at_utc", "duration_s", "severity", "cause", "checks",
                   "sources", "vantages", "official_title", "official_lag_s", "impact",
                   "currency", "revenue", "leads", "leads_value", "ad_spend", "id", "notes"]
UPTIME_HEADER = ["platform", "name", "provider", "window_start_utc", "window_start_local",
                 "window_end_utc", "window_end_local", "uptime_pct", "down_s", "degraded_s",
                 "incidents", "impact", "currency"]


def safe_cell(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with a quote; keep numbers."""
    if isinstance(value, str) and value.startswith(_TRIGGERS):
        return "'" + value
    return value


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of the frame whose text cells are safe_cell()-ed (numbers stay numbers)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    out.columns = [safe_cell(str(c)) for c in out.columns]
    return out


def _local_iso(series: pd.Series, tz: str) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_convert(tz).map(
        lambda t: "" if pd.isna(t) else t.isoformat(timespec="seconds"))


def _utc_iso(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True).map(
        lambda t: "" if pd.isna(t) else present.iso_utc(t))


def _fast_utc(series: pd.Series) -> pd.Series:
    """ISO UTC with milliseconds, vectorised (the samples export writes millions of rows)."""
    return series.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"


def _fast_local(series: pd.Series, tz: str) -> pd.Series:
    local = series.dt.tz_convert(tz)
    offset = local.dt.strftime("%z")
    return local.dt.strftime("%Y-%m-%dT%H:%M:%S") + offset.str[:3] + ":" + offset.str[3:]


def sample_rows(batch: pa.RecordBatch | pa.Table, tz: str,
                platforms: set[str] | None = None) -> pd.DataFrame:
    """One Arrow batch of raw samples as export rows (UTC + local time, neutralised text)."""
    frame = batch.to_pandas()
    if platforms is not None:
        frame = frame[frame["platform"].isin(platforms)]
    ts = pd.to_datetime(frame["ts"], utc=True)
    out = pd.DataFrame({"ts_utc": _fast_utc(ts), "ts_local": _fast_local(ts, tz)})
    for column in SAMPLE_HEADER[2:]:
        out[column] = frame[column].to_numpy() if column in frame else None
    out["http_status"] = out["http_status"].astype("Int64")
    out["latency_ms"] = pd.to_numeric(out["latency_ms"]).round(1)
    return neutralise(out)


def write_samples(batches: Iterable[pa.RecordBatch], out: IO[str], tz: str, *,
                  platforms: Sequence[str] | None = None) -> int:
    """Stream batches as CSV to `out` without holding more than one batch; returns rows."""
    wanted = set(platforms) if platforms else None
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SAMPLE_HEADER)
    rows = 0
    for batch in batches:
        frame = sample_rows(batch, tz, wanted)
        if len(frame):
            frame.to_csv(out, header=False, index=False, lineterminator="\r\n")
            rows += len(frame)
    return rows


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(float(value), digits)


def incident_rows(outages: Sequence[Outage], platforms: Sequence[Platform],
                  tz: str, notes: Mapping[str, str] | None = None,
                  measurement: Measurement | None = None) -> pd.DataFrame:
    """One export row per outage, newest first, with UTC and local times; `notes`: the team's
    notes per incident id as one text (analysis/notes.py notes_text); the measured columns
    (measured_export.py) from `measurement`, empty without one."""
    names = {p.id: p.name for p in platforms}
    notes = notes or {}
    records = []
    ordered = sorted(outages, key=lambda o: o.start, reverse=True)
    for o in ordered:
        imp = o.impact
        end_s = _round((o.end - o.start).total_seconds(), 3) if o.end else None
        records.append({
            "platform": o.platform, "name": names.get(o.platform, o.platform),
            "provider": o.provider, "start": o.start, "end": o.end,
            "detected_at": o.detected_at, "duration_s": end_s,
            "severity": "maintenance" if o.maintenance else o.severity, "cause": o.cause,
            "checks": ";".join(o.checks), "sources": ";".join(o.sources),
            "vantages": ";".join(o.vantages), "official_title": o.official_title or "",
            "official_lag_s": _round(o.official_lag_s, 1),
            "impact": _round(imp and imp.amount), "currency": imp.currency if imp else "",
            "revenue": _round(imp and imp.revenue), "leads": _round(imp and imp.leads),
            "leads_value": _round(imp and imp.leads_value),
            "ad_spend": _round(imp and imp.ad_spend),
            "id": o.id, "notes": notes.get(o.id, ""),
        })
    frame = pd.DataFrame(records, columns=[
        "platform", "name", "provider", "start", "end", "detected_at", "duration_s", "severity",
        "cause", "checks", "sources", "vantages", "official_title", "official_lag_s", "impact",
        "currency", "revenue", "leads", "leads_value", "ad_spend", "id", "notes"])
    frame["start_utc"] = _utc_iso(frame["start"])
    frame["start_local"] = _local_iso(frame["start"], tz)
    frame["end_utc"] = _utc_iso(frame["end"])
    frame["end_local"] = _local_iso(frame["end"], tz)
    frame["detected_at_utc"] = _utc_iso(frame["detected_at"])
    measured = measured_export.incident_columns(measurement, ordered)
    return neutralise(pd.concat([frame[INCIDENT_HEADER], measured], axis=1))


def uptime_rows(summary: dict, platforms: Sequence[Platform], window: Window,
                tz: str, measurement: Measurement | None = None) -> pd.DataFrame:
    """One export row per platform for the window (summary JSON in), with its bounds and
    the measured columns (empty without a measurement)."""
    frame = tables.window_summary(summary, platforms)
    start, end = pd.Series([window.start]), pd.Series([window.end])
    frame["window_start_utc"] = _utc_iso(start)[0]
    frame["window_start_local"] = _local_iso(start, tz)[0]
    frame["window_end_utc"] = _utc_iso(end)[0]
    frame["window_end_local"] = _local_iso(end, tz)[0]
    measured = measured_export.platform_columns(measurement, list(frame["platform"]))
    return neutralise(pd.concat([frame[UPTIME_HEADER].reset_index(drop=True), measured],
                                axis=1))


def to_csv(frame: pd.DataFrame) -> str:
    """A neutralised frame as CSV text."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue()

