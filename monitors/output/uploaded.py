"""Series the user uploaded on the Impact page, with the mapping they chose, ready to measure
(the files are kept by history/uploads.py; this reads them back as `[[business.series]]`)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from monitors.analysis.series import SeriesError, read_series, series_path
from monitors.config import BusinessSeries, Settings
from monitors.history import uploads
from monitors.history.store import Store
from monitors.text import short

COUNT_ROWS = "(count rows: one row = one order)"
_STEP = {"hour": "hourly", "day": "daily"}


def mapping(upload: uploads.Upload, *, time: str, metric: str, value: str | None = None,
            platform: str | None = None, channel: str | None = None,
            time_format: str | None = None) -> dict[str, Any]:
    """The `[[business.series]]` table for an upload, from what the user picked."""
    table: dict[str, Any] = {"name": f"{upload.original} (uploaded)", "file": upload.rel,
                             "time": time, "metric": metric}
    if value and value != COUNT_ROWS:
        table["value"] = value
    if channel:
        table["channel"] = channel
    else:
        table["platform"] = platform
    if time_format:
        table["time_format"] = time_format
    return table


def check_mapping(table: dict[str, Any]) -> str | None:
    """None when the table is a valid series, else one line naming the field."""
    try:
        BusinessSeries.model_validate(table)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "series"
        return f"{where}: {short(error['msg'], 120)}"
    return None


def preview(settings: Settings, table: dict[str, Any], data: bytes) -> tuple[bool, str]:
    """Read an upload with a mapping before it is kept: (True, what it holds) or (False,
    one line naming the row and column, or the field, that stops it)."""
    error = check_mapping(table)
    if error is not None:
        return False, error
    spec = BusinessSeries.model_validate(table)
    try:
        found, notes = read_series(data, spec, timezone=settings.business.timezone,
                                   known={p.id: p.name for p in settings.platforms})
    except SeriesError as exc:
        return False, str(exc)
    except (ValueError, TypeError) as exc:  # a time format the parser cannot apply
        return False, (f"{spec.label}: column {spec.time!r}: the times cannot be read with "
                       f"this format ({short(str(exc), 100)})")
    spans = [f"{s.platform} {s.metric} {s.values.index[0]:%d %b %Y}–"
             f"{s.values.index[-1]:%d %b %Y} ({_STEP.get(s.step, s.step)})" for s in found]
    rows = sum(s.rows for s in found)
    return True, f"Reads {rows:,} rows: " + "; ".join(spans) + "".join(
        f". {note}" for note in notes)


def uploaded_series(store: Store) -> tuple[list[tuple[BusinessSeries, bytes]], list[str]]:
    """Every kept upload that has a mapping, as (series, bytes) for load_series(extra=...),
    and one line for each that cannot be used."""
    found: list[tuple[BusinessSeries, bytes]] = []
    problems: list[str] = []
    for upload in uploads.list_uploads(store):
        table = uploads.read_mapping(store, upload)
        if table is None:
            continue
        error = check_mapping(table)
        if error is not None:
            problems.append(f"upload {upload.name}: {error}")
            continue
        try:
            found.append((BusinessSeries.model_validate(table),
                          uploads.read_upload(store, upload)))
        except OSError as exc:
            problems.append(f"upload {upload.name}: cannot read it ({type(exc).__name__})")
    return found, problems


def series_version(settings: Settings, store: Store) -> tuple:
    """What changes when a series changes: each configured file's size and time, and the
    kept uploads with their mappings (a cache key)."""
    files = []
    for spec in settings.business.series:
        path = series_path(settings, spec)
        try:
            info = os.stat(path)
            files.append((str(path), info.st_size, info.st_mtime_ns))
        except OSError:
            files.append((str(path), -1, -1))
    kept = tuple((e.rel, e.size, e.mtime_ns) for e in store.list(uploads.FOLDER))
    return tuple(files), kept


def describe(upload: uploads.Upload, table: dict[str, Any] | None) -> str:
    """One line about a kept upload: its name, when, and how it is read."""
    when = upload.uploaded_at.strftime("%d %b %Y %H:%M UTC")
    if table is None:
        return f"{upload.original}.{upload.kind} · uploaded {when} · not mapped yet"
    where = (f"platform {table['platform']}" if table.get("platform")
             else f"channel column {table.get('channel')!r}")
    value = f"value {table['value']!r}" if table.get("value") else "rows counted"
    return (f"{upload.original}.{upload.kind} · uploaded {when} · {table.get('metric')} · "
            f"time {table.get('time')!r} · {value} · {where}")


def columns_of(names: Sequence[str]) -> list[str]:
    """The header names as the mapping form offers them (capped, stripped)."""
    return [short(str(n), 80) for n in names][:200]
