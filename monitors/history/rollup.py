"""Hourly roll-ups per (platform, check, vantage) and the monthly extract of eventful samples.

Stored per month and vantage under `DATA/rollups/month=YYYY-MM/vantage=NAME/`:
- `r-<rank>-<id>.parquet`: hourly counts per status and latency p50/p95/max; and, on the
  first row (in check order) of each (hour, platform), the hour's platform-rounds by verdict
  (ROUND_COLUMNS, null on the other rows), so round-based availability needs no raw samples;
- `e-<rank>-<id>.parquet` (same rank): the raw samples of the month's eventful hours (any
  sample not up) and the hour either side, so a year of incident analysis reads 12 small
  files instead of 365 day files.
The highest-ranked r- file is current; older files are removed once a new pair is written.
Its metadata (`covers`) names, per day, the samples file the pair was computed from and the
hours the extract holds: stored data is used only while that file is still the day's only
file, so late or duplicated samples can never make a roll-up stale. A day's cover also says
whether its round counts were computed (`"rounds": true`); files written before round counts
existed have neither the flag nor the columns, and those days count as not rolled up.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from monitors import verdict
from monitors.history.quarantine import quarantine
from monitors.history.store import Entry, Store, rank_of, unique_name

ROLLUP_FILE_SCHEMA = pa.schema([
    pa.field("hour", pa.timestamp("ms", tz="UTC"), nullable=False),
    pa.field("platform", pa.string(), nullable=False),
    pa.field("check", pa.string(), nullable=False),
    pa.field("kind", pa.string()),
    pa.field("n_up", pa.int32()),
    pa.field("n_degraded", pa.int32()),
    pa.field("n_down", pa.int32()),
    pa.field("n_unknown", pa.int32()),
    pa.field("n_offline", pa.int32()),
    pa.field("latency_p50", pa.float64()),
    pa.field("latency_p95", pa.float64()),
    pa.field("latency_max", pa.float64()),
    # platform-rounds of the hour; set on one row per (hour, platform), null on the others
    pa.field("r_rounds", pa.int32()),
    pa.field("r_unknown", pa.int32()),
    pa.field("r_down", pa.int32()),
    pa.field("r_degraded", pa.int32()),
])
ROUND_COLUMNS: tuple[str, ...] = ("r_rounds", "r_unknown", "r_down", "r_degraded")
ROLLUP_COLUMNS: tuple[str, ...] = ("hour", "vantage", *[
    n for n in ROLLUP_FILE_SCHEMA.names[1:] if n not in ROUND_COLUMNS])
ROUND_ROLLUP_COLUMNS: tuple[str, ...] = ("hour", "vantage", "platform", *ROUND_COLUMNS)
_STRINGS = ["platform", "check", "kind"]
_READ_SCHEMA = pa.schema([f.with_type(pa.large_string()) if f.name in _STRINGS else f
                          for f in ROLLUP_FILE_SCHEMA])
COVERS_KEY = b"pulse.covers"
EXTRACT_KEY = b"pulse.extract"

# Latency statistics cover the samples that answered (up or degraded): a timeout's or a
# refused connection's time says nothing about how fast the platform is.
_CHECKS = """
SELECT (epoch_ms(ts) // 3600000) * 3600000 AS hour_ms,
       platform, "check", arg_max(kind, ts) AS kind,
       count(*) FILTER (WHERE status = 'up')::INTEGER AS n_up,
       count(*) FILTER (WHERE status = 'degraded')::INTEGER AS n_degraded,
       count(*) FILTER (WHERE status = 'down')::INTEGER AS n_down,
       count(*) FILTER (WHERE status = 'unknown')::INTEGER AS n_unknown,
       count(*) FILTER (WHERE status = 'unknown' AND error = 'vantage_offline')::INTEGER
           AS n_offline,
       quantile_cont(latency_ms::DOUBLE, 0.5) FILTER (WHERE status IN ('up', 'degraded'))
           AS latency_p50,
       quantile_cont(latency_ms::DOUBLE, 0.95) FILTER (WHERE status IN ('up', 'degraded'))
           AS latency_p95,
       max(latency_ms::DOUBLE) FILTER (WHERE status IN ('up', 'degraded')) AS latency_max
FROM samples GROUP BY hour_ms, platform, "check"
"""
# Per hour and platform, its platform-rounds by verdict (`monitors.verdict`, the one rule):
# computed from the samples in numpy and put on the hour's first check row.
_ORDER = '\nORDER BY hour_ms, platform, "check"\n'
_local = threading.local()
CACHE_FILES = 96  # eight years of months for one vantage, a few MB
_cache: OrderedDict[tuple[str, str, tuple[str, ...] | None], tuple[pa.Table, dict[str, Any]]] = (
    OrderedDict())
_cache_lock = threading.Lock()


if TYPE_CHECKING:
    import duckdb


def _connection() -> duckdb.DuckDBPyConnection:
    con = getattr(_local, "con", None)
    if con is None:
        import duckdb  # lazy: a sampler that never compacts never loads DuckDB

        con = _local.con = duckdb.connect()
    return con


def arrow_result(relation: Any) -> pa.Table:
    """A DuckDB result as an Arrow table (the method name changed across DuckDB versions)."""
    for name in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        method = getattr(relation, name, None)
        if method is not None:
            result = method()
            return result.read_all() if isinstance(result, pa.RecordBatchReader) else result
    raise RuntimeError("this DuckDB cannot return Arrow tables")


def compute_rollups(samples: pa.Table, *, rounds: bool = True) -> pa.Table:
    """Hourly roll-ups (ROLLUP_FILE_SCHEMA) of one vantage's de-duplicated samples; with
    rounds=False the round columns are left null (callers that only want the check rows)."""
    if samples.num_rows == 0:
        return ROLLUP_FILE_SCHEMA.empty_table()
    con = _connection()
    con.register("samples", samples.select(["ts", "platform", "check", "kind", "status",
                                            "latency_ms", "error"]))
    try:
        result = arrow_result(con.sql(_CHECKS + _ORDER))
    finally:
        con.unregister("samples")
    counts = round_counts(samples) if rounds else {}
    firsts = _on_first_rows(result, counts) if rounds else [[None] * result.num_rows] * 4
    hour = result["hour_ms"].cast(pa.timestamp("ms", tz="UTC"))
    result = result.set_column(0, "hour", hour)
    for name, values in zip(ROUND_COLUMNS, firsts, strict=True):
        result = result.append_column(name, pa.array(values, pa.int32()))
    return result.cast(ROLLUP_FILE_SCHEMA)


def round_counts(samples: pa.Table) -> dict[tuple[int, str], tuple[int, int, int, int]]:
    """Per (hour ms, platform): platform-rounds with a probe sample, and those the one
    verdict rule calls unknown (refused included), down and degraded."""
    columns = {name: samples[name].to_numpy(zero_copy_only=False)
               for name in ("platform", "check", "kind", "status", "error")}
    ts_ms = samples["ts"].cast(pa.int64()).to_numpy()
    platforms, p_code = np.unique(columns["platform"].astype(str), return_inverse=True)
    keys, gid = np.unique(p_code.astype(np.int64) << 42 | ts_ms, return_inverse=True)
    flags = verdict.row_flags(lambda c, values: np.isin(columns[c], list(values)))
    codes = verdict.decide(gid, len(keys), flags)
    probed = np.bincount(gid, weights=flags.probe, minlength=len(keys)) > 0
    keys, codes = keys[probed], codes[probed]
    hour = ((keys & ((1 << 42) - 1)) // 3_600_000) * 3_600_000
    pairs, slot = np.unique(np.stack([hour, keys >> 42]), axis=1, return_inverse=True)
    slot = slot.ravel()

    def per_pair(mask: np.ndarray) -> list[int]:
        return np.bincount(slot, weights=mask, minlength=pairs.shape[1]).astype(int).tolist()

    counts = [per_pair(np.ones(len(codes), bool)), per_pair(codes < verdict.UP),
              per_pair(codes == verdict.DOWN), per_pair(codes == verdict.DEGRADED)]
    return {(int(h), str(platforms[int(q)])): tuple(c[i] for c in counts)
            for i, (h, q) in enumerate(pairs.T.tolist())}


def _on_first_rows(result: pa.Table, counts: dict) -> list[list[int | None]]:
    """Each round count of each (hour, platform) on its first check row, None on the others
    (the rows are sorted by hour, platform and check)."""
    out: list[list[int | None]] = [[], [], [], []]
    last = None
    for h, p in zip(result["hour_ms"].to_pylist(), result["platform"].to_pylist(),
                    strict=True):
        values = counts.get((h, p), (0, 0, 0, 0)) if (h, p) != last else (None,) * 4
        last = (h, p)
        for column, value in zip(out, values, strict=True):
            column.append(value)
    return out


@dataclass(slots=True)
class Month:
    """The current roll-up (and extract) file of one (month, vantage) and what it covers."""

    month: str  # YYYY-MM
    vantage: str
    file: str | None = None  # relative path of the current roll-up file
    extract: str | None = None  # relative path of its eventful-samples extract, if any
    stale: list[str] = field(default_factory=list)  # older files, to remove
    # day -> {"file", "eventful", "padded", "rounds"}
    covers: dict[str, dict[str, Any]] | None = None


def covered(cover: dict[str, Any], *wanted: dict[str, set[int]]) -> bool:
    """True when a day's extract (its cover) holds every wanted (platform -> hours)."""
    have = {p: set(h) for p, h in cover.get("eventful", {}).items()}
    for p, h in cover.get("padded", {}).items():
        have.setdefault(p, set()).update(h)
    return all(h <= have.get(p, set()) for hours in wanted for p, h in hours.items())


def rollup_dir(month: str, vantage: str) -> str:
    """The folder of one month's roll-ups for one vantage."""
    return f"rollups/month={month}/vantage={vantage}"


def index_months(entries: list[Entry], orphan_grace_s: float = 3600) -> dict[tuple[str, str],
                                                                            Month]:
    """Group listed roll-up files by (month, vantage); the highest-ranked r- file is current."""
    found: dict[tuple[str, str], list[str]] = defaultdict(list)
    for entry in entries:
        parts = entry.rel.split("/")
        if len(parts) != 4 or not parts[3].endswith(".parquet") or parts[3][:2] not in (
                "r-", "e-"):
            continue
        month, vantage = parts[1].removeprefix("month="), parts[2].removeprefix("vantage=")
        found[(month, vantage)].append(entry.rel)
    months = {}
    young = time.time_ns() - int(orphan_grace_s * 1e9)
    for key, files in sorted(found.items()):
        ranked = sorted(files, key=lambda rel: (rank_of(_name(rel)), rel))
        rollups = [rel for rel in ranked if _name(rel).startswith("r-")]
        current = rollups[-1] if rollups else None
        rank = rank_of(_name(current)) if current else 0
        extract = next((rel for rel in ranked if _name(rel).startswith("e-")
                        and rank_of(_name(rel)) == rank), None)
        # an e- file newer than the current r- file may belong to a compaction in progress
        stale = [rel for rel in ranked if rel not in (current, extract)
                 and (rank_of(_name(rel)) < rank or rank_of(_name(rel)) < young)]
        months[key] = Month(key[0], key[1], current, extract, stale)
    return months


def _name(rel: str) -> str:
    return rel.rsplit("/", 1)[-1]


def read_month(store: Store, month: Month, columns: Sequence[str] | None = None) -> pa.Table:
    """Load a month's roll-up rows (all columns, or only `columns`) and fill in
    `month.covers` from the file's metadata.

    Roll-up files are never changed once written (a new version gets a new name), so what
    was read is kept in a small in-process cache keyed by the file's name and columns.
    """
    wanted = tuple(columns) if columns is not None else None
    if month.file is None:
        month.covers = {}
        return _read_schema(wanted).empty_table()
    key, cached = (store.url, month.file, wanted), None
    with _cache_lock:
        for known in dict.fromkeys([key, (store.url, month.file, None)]):  # all columns do too
            cached = _cache.get(known)
            if cached is not None:
                _cache.move_to_end(known)
                break
    if cached is None:
        cached = _load(store, month.file, wanted)
        if cached is None:  # corrupt (now quarantined) or gone: days come from raw samples
            month.covers = {}
            return _read_schema(wanted).empty_table()
        with _cache_lock:
            _cache[key] = cached
            while len(_cache) > CACHE_FILES:
                _cache.popitem(last=False)
    month.covers = dict(cached[1])
    return cached[0] if wanted is None else cached[0].select(list(wanted))


def _read_schema(columns: Sequence[str] | None) -> pa.Schema:
    return _READ_SCHEMA if columns is None else pa.schema(
        [_READ_SCHEMA.field(name) for name in columns])


def _load(store: Store, rel: str, columns: Sequence[str] | None
          ) -> tuple[pa.Table, dict[str, Any]] | None:
    schema = _read_schema(columns)
    try:  # strings decoded once per distinct value, as large_string (what pandas keeps)
        parquet = pq.ParquetFile(store.open_input(rel), read_dictionary=_STRINGS)
        raw = (parquet.schema_arrow.metadata or {}).get(COVERS_KEY)
        present = [n for n in schema.names if n in parquet.schema_arrow.names]
        missing = [n for n in schema.names if n not in present]
        if set(missing) - set(ROUND_COLUMNS):
            raise pa.ArrowInvalid(f"roll-up columns missing: {', '.join(missing)}")
        table = parquet.read(columns=present).replace_schema_metadata(None)
        for name in missing:  # a file from before round counts: null (its covers say so)
            table = table.append_column(name, pa.nulls(table.num_rows, pa.int32()))
        return table.select(schema.names).cast(schema), json.loads(raw) if raw else {}
    except FileNotFoundError:
        return None
    except (pa.ArrowException, OSError, json.JSONDecodeError) as exc:  # damaged, not bugs
        if store.exists(rel):
            quarantine(store, rel, f"{type(exc).__name__}: {exc}")
        return None


def clear_cache() -> None:
    """Forget the roll-up files read so far (benchmarks measure cold reads)."""
    with _cache_lock:
        _cache.clear()


def write_month(store: Store, folder: str, rank: int, rollups: pa.Table,
                extract: tuple[pa.Table, pa.Table], covers: dict[str, Any],
                write_samples: Any) -> tuple[str, str]:
    """Write a month's extract (row group 0: eventful hours, 1: the hours next to them),
    then its roll-ups with the same rank; returns both relative paths."""
    extract_rel = f"{folder}/{unique_name('e', rank)}"
    write_samples(store, extract_rel, *extract, metadata={EXTRACT_KEY: b"eventful,padded"})
    schema = ROLLUP_FILE_SCHEMA.with_metadata(
        {COVERS_KEY: json.dumps(covers, separators=(",", ":")).encode()})
    rollup_rel = f"{folder}/{unique_name('r', rank)}"

    def fill(out: Any) -> None:
        pq.write_table(rollups.cast(ROLLUP_FILE_SCHEMA).replace_schema_metadata(schema.metadata),
                       out, compression="zstd")

    store.write(rollup_rel, fill)
    return rollup_rel, extract_rel
