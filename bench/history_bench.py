"""History benchmark: a year of synthetic samples through the writer, compacted, then read.

Prints bytes on disk per sample after compaction (target <= 2.0), append throughput in
samples/s (target >= 200,000), and the time to compute daily uptime per platform over the
whole history from the read API (hourly platform-round roll-ups, `read_round_rollups`)
divided by the time of one full DuckDB scan of the raw samples doing the same aggregation
(target <= 0.1).

    python bench/history_bench.py                 # 365 days into bench/out/year
    python bench/history_bench.py --small         # 7 days into bench/out/small
    python bench/history_bench.py --reuse         # keep an existing history, just measure

The history is reused by the analysis and dashboard benchmarks; `bench.json` in the folder
records its window (start, end), vantage, seed and row count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.synth import CHECKS, PLATFORMS, synth_year  # noqa: E402
from monitors import history  # noqa: E402

MANIFEST = "bench.json"
DAY_MS = 86_400_000

# Round-based daily uptime (DESIGN.md "Surfaces and partial outages"): a platform-round
# (vantage, platform, ts) is judged by the one verdict rule.
# The full-scan contender computes the same answer as the read API: the one verdict rule
# (monitors/verdict.py, docs/verdicts.md) restated in SQL over every raw sample.
ROUNDS_SQL = """
WITH rows AS (
  SELECT {day} AS day, vantage, platform, ts, status, error,
         kind <> 'statuspage' AS probe,
         kind <> 'statuspage' AND kind NOT IN ('dns', 'tls')
           AND "check" NOT IN ('dns', 'tls') AS facing,
         status = 'down' OR (status = 'degraded'
           AND coalesce(error, '') <> 'cert_expiring') AS failing
  FROM {source}),
r AS (
  SELECT day, vantage, platform, ts,
         bool_or(facing) AS has_facing,
         count(*) FILTER (WHERE probe) AS n_probe,
         count(*) FILTER (WHERE facing AND status <> 'unknown') AS fk,
         count(*) FILTER (WHERE facing AND status = 'down') AS fd,
         count(*) FILTER (WHERE facing AND failing) AS ff,
         count(*) FILTER (WHERE probe AND NOT facing AND status <> 'unknown') AS ik,
         count(*) FILTER (WHERE probe AND NOT facing AND status = 'down') AS idn,
         count(*) FILTER (WHERE probe AND NOT facing AND failing) AS inf,
         coalesce(bool_or(NOT probe AND status <> 'unknown' AND (status IN ('degraded', 'down')
           OR error IN ('official_incident', 'official_maintenance'))), false) AS official
  FROM rows GROUP BY ALL),
v AS (
  SELECT day, platform, n_probe, official, inf,
         CASE WHEN has_facing THEN fk ELSE ik END AS k,
         CASE WHEN has_facing THEN fd ELSE idn END AS d,
         CASE WHEN has_facing THEN ff ELSE inf END AS f
  FROM r)
SELECT day, platform,
       count(*) FILTER (WHERE n_probe > 0 AND (k > 0 OR official)) AS known,
       count(*) FILTER (WHERE n_probe > 0 AND k > 0 AND d = k) AS down,
       count(*) FILTER (WHERE n_probe > 0 AND ((k = 0 AND official)
         OR (k > 0 AND d < k AND (f > 0 OR inf > 0 OR official)))) AS degraded
FROM v GROUP BY ALL
"""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", help="history folder (default bench/out/year or /small)")
    parser.add_argument("--days", type=int, help="days of history (default 365, 7 with --small)")
    parser.add_argument("--small", action="store_true", help="7 days, for a quick run")
    parser.add_argument("--reuse", action="store_true", help="reuse an existing history")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vantage", default="bench")
    parser.add_argument("--repeat", type=int, default=5, help="timing runs (median)")
    args = parser.parse_args(argv)
    args.days = args.days or (7 if args.small else 365)
    args.out = Path(args.out or ROOT / "bench" / "out" / ("small" if args.small else "year"))
    return args


def generate(out: Path, days: int, seed: int, vantage: str) -> dict:
    """Write the synthetic history through HistoryWriter in big batches; time the writer."""
    if out.exists():
        if any(out.iterdir()) and not (out / MANIFEST).exists():
            raise SystemExit(f"{out} is not a benchmark folder; refusing to overwrite it")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    end = datetime.now(UTC).date()
    start = end - timedelta(days=days)
    writer = history.HistoryWriter(str(out), vantage, flush_rows=7 * 86_400 // 60 * 42,
                                   flush_every_s=1e9, max_buffer_rows=50_000_000)
    rows, writer_s, synth_s = 0, 0.0, 0.0
    tick = time.perf_counter()
    for table in synth_year(start, days, vantage=vantage, seed=seed):
        began = time.perf_counter()
        synth_s += began - tick
        writer.append(table)
        if writer.due():
            writer.flush()
        tick = time.perf_counter()
        writer_s += tick - began
        rows += table.num_rows
    began = time.perf_counter()
    writer.close()
    writer_s += time.perf_counter() - began
    manifest = {"start": start.isoformat(), "end": end.isoformat(), "days": days, "seed": seed,
                "vantage": vantage, "rows": rows, "platforms": len(PLATFORMS),
                "checks": len(CHECKS), "created": datetime.now(UTC).isoformat()}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return {**manifest, "append_s": writer_s, "synth_s": synth_s}


def disk_bytes(folder: Path) -> int:
    """Bytes of every file of the history (samples, roll-ups, state)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def uptime_via_api(data: str, start: datetime, end: datetime) -> pd.DataFrame:
    """Daily uptime per platform from read_round_rollups: platform-rounds per hour, already
    classified (stored at compaction, the raw tail computed on the fly), summed per day."""
    history.clear_cache()  # measure cold reads, as the first dashboard view would
    rounds = history.read_round_rollups(data, start, end)
    codes, names = pd.factorize(rounds["platform"], sort=True)
    day = _ms(rounds["hour"]) // DAY_MS
    first = int(day.min()) if len(day) else 0
    cell = (day - first) * max(len(names), 1) + codes
    size = (int(day.max()) - first + 1) * len(names) if len(day) else 0

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(cell, weights=values, minlength=size).astype(np.int64)

    column = {c: rounds[c].to_numpy(np.int64) for c in
              ("r_rounds", "r_unknown", "r_down", "r_degraded")}
    counted = total(column["r_rounds"])
    seen = np.flatnonzero(counted > 0)  # (day, platform) with a probe round, as in the scan
    result = pd.DataFrame({
        "day": pd.to_datetime((seen // len(names) + first) * DAY_MS, unit="ms"),
        "platform": np.asarray(names, dtype=object)[seen % len(names)],
        "known": counted[seen] - total(column["r_unknown"])[seen],
        "down": total(column["r_down"])[seen],
        "degraded": total(column["r_degraded"])[seen]})
    return _with_pct(result)


def _ms(column: pd.Series) -> np.ndarray:
    """Epoch milliseconds of a tz-aware datetime column."""
    return column.dt.as_unit("ms").astype("int64").to_numpy()


def uptime_via_duckdb(data: str) -> pd.DataFrame:
    """The same table from one full DuckDB scan of every raw sample."""
    source = f"read_parquet('{data}/samples/*/*/*.parquet', hive_partitioning = true)"
    con = duckdb.connect()
    result = con.sql(f"""SELECT day, platform, known::BIGINT AS known, down::BIGINT AS down,
                                degraded::BIGINT AS degraded
                         FROM ({ROUNDS_SQL.format(day='date', source=source)})
                         ORDER BY day, platform""").df()
    return _with_pct(result)


def _with_pct(frame: pd.DataFrame) -> pd.DataFrame:
    frame["day"] = pd.to_datetime(frame["day"]).dt.date.astype(object)
    frame["uptime_pct"] = 100.0 * (frame["known"] - frame["down"]) / frame["known"]
    return frame.reset_index(drop=True)


def timed_pair(first, second, repeat: int) -> tuple[list[float], list[float], object, object]:
    """Run two contenders alternately `repeat` times (so both see the same machine load);
    median wall and CPU seconds (all threads) of each, and their last results."""
    runs: list[list[tuple[float, float]]] = [[], []]
    results: list[object] = [None, None]
    for _ in range(repeat):
        for i, fn in enumerate((first, second)):
            began, cpu = time.perf_counter(), time.process_time()
            results[i] = fn()
            runs[i].append((time.perf_counter() - began, time.process_time() - cpu))
    medians = [[statistics.median(r[k] for r in runs[i]) for k in (0, 1)] for i in (0, 1)]
    return medians[0], medians[1], results[0], results[1]


def main(argv: list[str] | None = None) -> int:
    """Generate (or reuse), compact, measure, print."""
    args = parse_args(argv)
    data = str(args.out)
    if args.reuse and (args.out / MANIFEST).exists():
        made = json.loads((args.out / MANIFEST).read_text())
        print(f"reusing {data}: {made['rows']:,} samples, {made['start']} .. {made['end']}")
    else:
        made = generate(args.out, args.days, args.seed, args.vantage)
        print(f"generated {made['rows']:,} samples ({made['days']} days) into {data}; "
              f"synthesis {made['synth_s']:.1f}s (not counted)")
        print(f"append throughput: {made['rows'] / made['append_s']:,.0f} samples/s "
              f"({made['append_s']:.1f}s in append+flush; target >= 200,000)")
    began = time.perf_counter()
    stats = history.compact(data)
    print(f"compaction: {time.perf_counter() - began:.1f}s {stats}")
    rows = made["rows"]
    total, samples = disk_bytes(args.out), disk_bytes(args.out / "samples")
    print(f"bytes on disk per sample: {total / rows:.3f} (all files; samples only "
          f"{samples / rows:.3f}; {total / 1e6:.1f} MB; target <= 2.0)")
    start = datetime.combine(date.fromisoformat(made["start"]), datetime.min.time(), UTC)
    end = datetime.combine(date.fromisoformat(made["end"]), datetime.min.time(), UTC)
    (api_s, api_cpu), (scan_s, scan_cpu), via_api, via_scan = timed_pair(
        lambda: uptime_via_api(data, start, end), lambda: uptime_via_duckdb(data), args.repeat)
    same = via_api[["day", "platform", "known", "down", "degraded"]].equals(
        via_scan[["day", "platform", "known", "down", "degraded"]])
    eventful = history.read_eventful_samples(data, start, end, pad_s=0)
    padded = history.read_eventful_samples(data, start, end)
    print(f"eventful raw samples read: {len(eventful):,} with pad 0 "
          f"({100 * len(eventful) / rows:.2f} %), {len(padded):,} with the default 1 h pad")
    print(f"daily uptime per platform over {made['days']} days: read API {api_s * 1000:.0f} ms, "
          f"full DuckDB scan {scan_s * 1000:.0f} ms, ratio {api_s / scan_s:.3f} "
          f"(target <= 0.1); results identical: {same}")
    print(f"  CPU time (all threads): read API {api_cpu * 1000:.0f} ms, DuckDB scan "
          f"{scan_cpu * 1000:.0f} ms, ratio {api_cpu / scan_cpu:.3f}; medians of "
          f"{args.repeat} alternating runs, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
