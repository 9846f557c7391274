"""The business's own numbers: read a `[[business.series]]` file into hourly series.

A file is either *event rows* (an orders export: one row per order, at any time) or an
*aggregate* (an analytics export: one row per hour, or per day, per channel). Event rows
are counted or summed per hour, and an hour without rows is 0. In an aggregate a missing
hour is missing (NaN), never 0. Times without an offset are read in the series' timezone
(DST-aware). Rows that repeat exactly (every column equal) are dropped and counted. A bad
file raises SeriesError: one line naming the file, the row and the column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from monitors.config import BusinessSeries, Settings
from monitors.text import short

MAX_BYTES = 200 * 1024 * 1024  # a year of one-row-per-order exports is far smaller
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)
_NUMBER_JUNK = re.compile(r"[^\d,.\-+eE]")  # currency signs, spaces, letters


class SeriesError(ValueError):
    """A series file that cannot be read; the message is one line naming file, row, column."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class LoadedSeries:
    """One platform's values of one metric, on a regular UTC grid (hourly or daily)."""

    platform: str
    metric: str
    values: pd.Series  # DatetimeIndex (UTC, regular `step`), float; NaN = no data
    step: str  # "hour" or "day"
    label: str  # the file (or the series' name), for people
    synthetic: bool = False
    timezone: str = "UTC"  # where the day starts (daily series) and hours of week
    rows: int = 0
    duplicates: int = 0

    @property
    def step_s(self) -> int:
        """Seconds per point."""
        return 3600 if self.step == "hour" else 86400


@dataclass(frozen=True)
class SeriesSet:
    """Every configured series, read, and what went wrong with the rest (one line each)."""

    series: tuple[LoadedSeries, ...] = ()
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # dropped duplicates, unmapped channels

    def get(self, platform: str, metric: str) -> LoadedSeries | None:
        """The series of this platform and metric, if any."""
        return next((s for s in self.series if s.platform == platform and s.metric == metric),
                    None)

    @property
    def synthetic(self) -> bool:
        """True when any series is synthetic (the UI labels it)."""
        return any(s.synthetic for s in self.series)


def series_path(settings: Settings, spec: BusinessSeries) -> Path:
    """The series file, relative to the config file's folder (or the working folder)."""
    path = Path(spec.file).expanduser()
    if path.is_absolute() or settings.source == "built-in defaults":
        return path
    return Path(settings.source).resolve().parent / path


def load_series(
    settings: Settings, extra: Iterable[tuple[BusinessSeries, bytes | Path]] = ()
) -> SeriesSet:
    """Read every `[[business.series]]` (plus `extra` uploads); problems are collected."""
    known = {p.id: p.name for p in settings.platforms}
    tz = settings.business.timezone
    loaded: list[LoadedSeries] = []
    problems: list[str] = []
    notes: list[str] = []
    sources = [(spec, series_path(settings, spec)) for spec in settings.business.series]
    for spec, source in [*sources, *extra]:
        try:
            if isinstance(source, Path):  # a file is parsed again only when it changed
                found, said = _read_file(str(source), _stamp(source), spec.model_dump_json(),
                                         tz, tuple(known.items()))
            else:
                found, said = read_series(source, spec, timezone=tz, known=known)
        except SeriesError as exc:
            problems.append(str(exc))
            continue
        for item in found:
            if known and item.platform not in known:
                problems.append(f"{item.label}: platform {item.platform!r} is not configured; "
                                "its numbers are left out")
            else:
                loaded.append(item)
        notes += said
    return SeriesSet(tuple(_merge(loaded)), tuple(problems), tuple(notes))


def _stamp(path: Path) -> tuple[int, int]:
    """(mtime_ns, size) of a file; (0, -1) when it cannot be read (read_series says why)."""
    try:
        stat = path.stat()
    except OSError:
        return 0, -1
    return stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=32)
def _read_file(path: str, stamp: tuple[int, int], spec_json: str, tz: str,
               known: tuple[tuple[str, str], ...]) -> tuple[list[LoadedSeries], list[str]]:
    """read_series of a file, cached on its modification time and size."""
    spec = BusinessSeries.model_validate_json(spec_json)
    return read_series(Path(path), spec, timezone=tz, known=dict(known))


def read_series(
    source: bytes | Path,
    spec: BusinessSeries,
    *,
    timezone: str = "UTC",
    known: dict[str, str] | None = None,
) -> tuple[list[LoadedSeries], list[str]]:
    """One file -> its series (one per platform) and notes; SeriesError when unreadable."""
    label = spec.label
    frame, first_line = read_table(source, label)
    known = known or {}
    for column in (spec.time, spec.value, spec.channel):
        if column and column not in frame.columns:
            names = ", ".join(map(repr, frame.columns[:12]))
            raise SeriesError(f"{label}: no column {column!r} (the file has {names})")
    before = len(frame)
    frame = frame.drop_duplicates()
    duplicates = before - len(frame)
    zone_name = spec.timezone or timezone
    times = parse_times(frame[spec.time], spec, label, first_line, zone_name)
    values = (parse_values(frame[spec.value], spec, label, first_line) if spec.value
              else np.ones(len(frame)))
    platforms, unmapped = _platforms(frame, spec, known)
    notes = []
    if duplicates:
        notes.append(f"{label}: {duplicates:,} repeated rows dropped")
    if unmapped:
        notes.append(f"{label}: rows of channels not mapped to a platform left out: "
                     + ", ".join(short(u, 40) for u in unmapped[:8]))
    table = pd.DataFrame({"ts": times, "value": values, "platform": platforms})
    table = table[table["platform"].notna()]
    if table.empty:
        raise SeriesError(f"{label}: no rows belong to a configured platform")
    result = []
    for platform, rows in table.groupby("platform", sort=False):
        step, grid = _to_grid(rows["ts"], rows["value"].to_numpy(float), zone_name)
        result.append(LoadedSeries(
            platform=str(platform), metric=spec.metric, values=grid, step=step, label=label,
            synthetic=spec.synthetic, timezone=zone_name, rows=len(rows),
            duplicates=duplicates,
        ))
    return result, notes


def read_table(source: bytes | Path, label: str) -> tuple[pd.DataFrame, int]:
    """A CSV or Parquet file as strings, and the file line of its first data row."""
    try:
        raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    except FileNotFoundError:
        raise SeriesError(f"{label}: file not found ({source})") from None
    except OSError as exc:
        raise SeriesError(f"{label}: cannot read ({type(exc).__name__})") from None
    if len(raw) > MAX_BYTES:
        raise SeriesError(f"{label}: larger than {MAX_BYTES // 2**20} MB")
    if raw[:4] == b"PAR1":
        try:
            frame = pd.read_parquet(io.BytesIO(raw))
        except Exception as exc:  # pyarrow raises many kinds for a bad file
            raise SeriesError(
                f"{label}: not a readable Parquet file ({type(exc).__name__})") from None
        return frame, 1
    text = raw.decode("utf-8-sig", errors="replace")
    lines = text.splitlines()
    skip = 0
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1  # a leading comment (SYNTHETIC sample files say so) or blank lines
    header = lines[skip] if skip < len(lines) else ""
    try:
        frame = pd.read_csv(io.StringIO(text), skiprows=skip, dtype=str,
                            keep_default_na=False, sep=_delimiter(header))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise SeriesError(f"{label}: not a readable CSV file ({short(str(exc), 120)})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame, skip + 2  # the header is on line skip + 1


def _delimiter(header: str) -> str:
    """The header's most used separator among , ; tab | (a one-column file: a comma)."""
    counts = {sep: header.count(sep) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def parse_times(
    column: pd.Series, spec: BusinessSeries, label: str, first_line: int, tz: str
) -> pd.Series:
    """The time column as UTC timestamps; times without an offset are in `tz` (DST-aware)."""
    if pd.api.types.is_datetime64_any_dtype(column):  # Parquet timestamps
        parsed = column if column.dt.tz is not None else _localize(column, tz)
        return parsed.dt.tz_convert("UTC").reset_index(drop=True)
    text = column.astype(str).str.strip()
    if spec.time_format:
        aware = "%z" in spec.time_format or "%Z" in spec.time_format
        try:  # utc=True: offsets may change within a file (+0100 in summer, +0000 in winter)
            parsed = pd.to_datetime(text, format=spec.time_format, errors="coerce", utc=aware)
        except ValueError as exc:
            raise SeriesError(f"{label}: column {spec.time!r}: times do not match time_format "
                              f"{spec.time_format!r} ({short(str(exc), 80)})") from None
        if not aware:
            ok = parsed.notna()
            parsed = parsed.copy()
            out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
            out[ok] = _localize(parsed[ok], tz).dt.tz_convert("UTC")
            parsed = out
        else:
            parsed = parsed.dt.tz_convert("UTC")
    else:
        has_offset = text.str.contains(_OFFSET)
        out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
        if has_offset.any():
            out[has_offset] = pd.to_datetime(text[has_offset], format="ISO8601", utc=True,
                                              errors="coerce")
        naive = ~has_offset
        if naive.any():
            local = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
            ok = local.notna()
            out[local[ok].index] = _localize(local[ok], tz).dt.tz_convert("UTC")
        parsed = out
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.argmax(bad))
        hint = f"time_format {spec.time_format!r}" if spec.time_format else (
            "ISO 8601 such as 2026-03-01T14:00, or set time_format")
        raise SeriesError(f"{label}: row {first_line + row}, column {spec.time!r}: "
                          f"{short(text.iloc[row], 40)!r} is not a time ({hint})")
    return parsed.reset_index(drop=True)


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    """Naive local times -> aware; the repeated autumn hour is read as its first occurrence."""
    try:
        return naive.dt.tz_localize(tz, ambiguous="infer", nonexistent="shift_forward")
    except (ValueError, TypeError):  # unsorted rows or a lone repeated hour: no inference
        return naive.dt.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool),
                                    nonexistent="shift_forward")


def parse_values(
    column: pd.Series, spec: BusinessSeries, label: str, first_line: int
) -> np.ndarray:
    """The value column as floats ("£1,234.50" reads 1234.5); empty cells are missing."""
    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=float)
    text = column.astype(str).str.strip().str.replace(_NUMBER_JUNK, "", regex=True)
    if spec.decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    else:
        text = text.str.replace(",", "", regex=False)
    values = pd.to_numeric(text.replace("", np.nan), errors="coerce").to_numpy(dtype=float)
    given = column.astype(str).str.strip().ne("").to_numpy()
    bad = np.isnan(values) & given
    if bad.any():
        row = int(np.argmax(bad))
        raise SeriesError(f"{label}: row {first_line + row}, column {spec.value!r}: "
                          f"{short(str(column.iloc[row]), 40)!r} is not a number")
    if np.isinf(values).any():
        row = int(np.argmax(np.isinf(values)))
        raise SeriesError(f"{label}: row {first_line + row}, column {spec.value!r}: "
                          "not a finite number")
    return values


def _platforms(
    frame: pd.DataFrame, spec: BusinessSeries, known: dict[str, str]
) -> tuple[np.ndarray, list[str]]:
    """Each row's platform id (None when its channel is not mapped), and the unmapped names."""
    if spec.platform:
        return np.full(len(frame), spec.platform, dtype=object), []
    lookup = {k.strip().lower(): v for k, v in spec.channels.items()}
    for pid, name in known.items():
        lookup.setdefault(pid, pid)
        lookup.setdefault(name.strip().lower(), pid)
    channel = frame[spec.channel].astype(str).str.strip().str.lower()
    mapped = channel.map(lookup)
    unmapped = sorted(set(channel[mapped.isna()]) - {""})
    return mapped.to_numpy(dtype=object), unmapped


def _to_grid(ts: pd.Series, values: np.ndarray, tz: str) -> tuple[str, pd.Series]:
    """Rows -> a regular hourly (or daily, for one row per local day) UTC series."""
    ts = pd.DatetimeIndex(ts)
    local = ts.tz_convert(tz)
    daily = bool((local.hour == 0).all() and (local.minute == 0).all()
                 and local.normalize().is_unique and len(ts) > 1)
    aggregate = daily or bool((ts.minute == 0).all() and (ts.second == 0).all()
                              and ts.is_unique)
    series = pd.Series(values, index=ts)
    if daily:
        days = pd.Series(values, index=local.normalize().tz_localize(None))
        grid = pd.date_range(days.index.min(), days.index.max(), freq="D")
        out = days.groupby(level=0).sum(min_count=1).reindex(grid)
        out.index = out.index.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
        return "day", _utc(out)
    hours = series.groupby(ts.floor("h")).sum(min_count=1)
    grid = pd.date_range(hours.index.min(), hours.index.max(), freq="h", tz="UTC")
    out = hours.reindex(grid)
    if not aggregate:  # event rows: an hour without rows had none
        out = out.fillna(0.0)
    return "hour", out


def _utc(series: pd.Series) -> pd.Series:
    """A tz-aware series re-indexed in UTC."""
    series = series.copy()
    series.index = series.index.tz_convert("UTC")
    return series


def _merge(series: Sequence[LoadedSeries]) -> list[LoadedSeries]:
    """Series of the same platform and metric (two files, two shops) are added up."""
    merged: dict[tuple[str, str], LoadedSeries] = {}
    for item in series:
        key = (item.platform, item.metric)
        have = merged.get(key)
        if have is None or have.step != item.step:
            merged.setdefault(key, item)
            continue
        both = pd.concat([have.values, item.values], axis=1, sort=True).sum(axis=1, min_count=1)
        merged[key] = LoadedSeries(
            platform=item.platform, metric=item.metric, values=both, step=item.step,
            label=f"{have.label} + {item.label}", synthetic=have.synthetic or item.synthetic,
            timezone=have.timezone, rows=have.rows + item.rows,
            duplicates=have.duplicates + item.duplicates,
        )
    return list(merged.values())
