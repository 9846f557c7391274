"""Analysis benchmark: `summary --since 365d` on the one-year history vs a full raw scan.

Times `monitors.analysis.windows.summarize()` over the whole benchmark history (outages with
confirmation, recovery and quorum, uptime per platform, impact) and divides it by one full
DuckDB scan of every raw sample doing the daily-uptime aggregation of bench/history_bench.py
(target <= 0.1). First it stores the month-by-month analysis as compaction does
(monitors/analysis_store.py; timed and printed), so `summarize` reads stored findings plus the
edges of the window; it also times the purely live analysis (roll-ups plus eventful raw
samples) and checks that both give the same summary and outages. Reads are cold: the
history's caches are cleared before every run, as for a first `summary` call.

    python bench/history_bench.py             # once: writes bench/out/year
    python bench/analysis_bench.py [--data bench/out/year] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.history_bench import uptime_via_duckdb  # noqa: E402
from bench.synth import CHECKS, PLATFORMS  # noqa: E402
from monitors import history  # noqa: E402
from monitors.analysis import stored as analysis_store  # noqa: E402
from monitors.analysis.incidents import detect  # noqa: E402
from monitors.analysis.summary import summary_json  # noqa: E402
from monitors.analysis.uptime import context_s  # noqa: E402
from monitors.analysis.windows import analyse_history, summarize  # noqa: E402
from monitors.config import Settings, parse_config  # noqa: E402
from monitors.timeutil import Window  # noqa: E402


def bench_settings(data: str, vantage: str) -> Settings:
    """The benchmark's platforms (bench/synth.py) as a config; never probed, only analysed."""
    checks = [{"id": c, "kind": "tcp", "host": "127.0.0.1", "port": 9} for c, _ in CHECKS]
    config = parse_config({
        "monitor": {"interval": 60, "vantage": vantage, "default_platforms": False,
                    "controls": ["tcp://127.0.0.1:9"]},
        "business": {"currency": "USD", "timezone": "Europe/London"},
        "platforms": [{"id": pid, "name": pid.title(), "provider": provider, "checks": checks,
                       "impact": {"revenue_per_hour": 40, "leads_per_hour": 1.5,
                                  "lead_value": 25, "ad_spend_per_day": 60,
                                  "recapture": 0.4}}
                      for pid, provider in PLATFORMS],
    }, "bench")
    return Settings(config=config, platforms=tuple(config.platforms), data=data, source="bench")


def timed(fn, repeat: int, cold: bool = True) -> tuple[float, float, object]:
    """Median wall and CPU time of `repeat` runs (caches cleared first when cold)."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        if cold:
            history.clear_cache()
            analysis_store.clear_cache()
        began, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def _key(outage) -> tuple:
    return (outage.platform, outage.start, outage.end, outage.severity, outage.checks)


def parts(settings: Settings, window: Window) -> None:
    """Where the time goes: the two reads and the analysis."""
    history.clear_cache()
    ids = [p.id for p in settings.platforms]
    began = time.perf_counter()
    samples = history.read_eventful_samples(
        settings.data, window.start, window.end, platforms=ids,
        pad_s=context_s(list(settings.platforms), settings.monitor))
    read_s = time.perf_counter() - began
    began = time.perf_counter()
    history.read_rollups(settings.data, window.start, window.end, platforms=ids)
    rollup_s = time.perf_counter() - began
    history.clear_cache()
    began = time.perf_counter()
    result = analyse_history(settings, window, now=window.end)
    total_s = time.perf_counter() - began
    lean = history.read_eventful_samples(
        settings.data, window.start, window.end, platforms=ids,
        pad_s=context_s(list(settings.platforms), settings.monitor),
        min_failures=settings.monitor.confirm,
        span_s=settings.monitor.confirm * settings.monitor.interval)
    same = [_key(o) for o in detect(samples, settings.platforms, settings.monitor,
                                    now=window.end)] == [
        _key(o) for o in detect(lean, settings.platforms, settings.monitor, now=window.end)]
    print(f"  eventful raw samples: every non-up hour {len(samples):,} rows; hours that can "
          f"hold an outage {len(lean):,} rows; identical outages from both: {same}")
    print(f"  eventful raw samples read: {len(samples):,} in {read_s * 1000:.0f} ms; roll-ups "
          f"{rollup_s * 1000:.0f} ms; whole analysis {total_s * 1000:.0f} ms "
          f"({len(result.outages)} outages)")


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT / "bench" / "out" / "year"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    manifest = Path(args.data) / "bench.json"
    if not manifest.exists():
        print(f"no benchmark history in {args.data}: run bench/history_bench.py first")
        return 2
    made = json.loads(manifest.read_text())
    start = datetime.combine(date.fromisoformat(made["start"]), datetime.min.time(), UTC)
    end = datetime.combine(date.fromisoformat(made["end"]), datetime.min.time(), UTC)
    window = Window(start, end)
    settings = bench_settings(args.data, made["vantage"])
    print(f"history {args.data}: {made['rows']:,} samples, {made['start']} .. {made['end']}")

    began = time.perf_counter()
    stored = analysis_store.materialise(settings, now=end)
    print(f"analysis stored after compaction: {stored['months_written']} months written, "
          f"{stored['months_current']} current, {time.perf_counter() - began:.2f}s")
    again = analysis_store.materialise(settings, now=end)
    print(f"  again (nothing changed): {again['months_written']} written, "
          f"{again['seconds']:.2f}s")

    api_s, api_cpu, summary = timed(lambda: summarize(settings, window, now=end), args.repeat)
    warm_s, _, _ = timed(lambda: summarize(settings, window, now=end), args.repeat, cold=False)
    live_s, live_cpu, _ = timed(lambda: summary_json(analyse_history(
        settings, window, now=end, materialised=False)), args.repeat)
    scan_s, scan_cpu, scan = timed(lambda: uptime_via_duckdb(args.data), args.repeat)
    with_store = analyse_history(settings, window, now=end)
    live = analyse_history(settings, window, now=end, materialised=False)
    same = (with_store.outages == live.outages and summary_json(with_store) == summary_json(live)
            and with_store.daily.equals(live.daily))
    parts(settings, window)
    incidents = sum(p["incidents"] for p in summary["platforms"])
    mean_uptime = statistics.mean(p["uptime_pct"] for p in summary["platforms"])
    raw_uptime = 100.0 * (1 - scan["down"].sum() / scan["known"].sum())
    print(f"summary over {made['days']} days: {incidents} incidents, mean uptime "
          f"{mean_uptime:.3f} % (confirmed outages; raw down rounds incl. blips: "
          f"{raw_uptime:.3f} %), own network offline {summary['vantage_offline_s'] / 60:.0f} min")
    print(f"stored analysis and live analysis identical (outages, summary, daily): {same}")
    print(f"summarize() cold {api_s * 1000:.0f} ms (warm {warm_s * 1000:.0f} ms), full DuckDB "
          f"scan {scan_s * 1000:.0f} ms: ratio {api_s / scan_s:.3f} (target <= 0.1)")
    print(f"  CPU time (all threads): summarize {api_cpu * 1000:.0f} ms, DuckDB scan "
          f"{scan_cpu * 1000:.0f} ms, ratio {api_cpu / scan_cpu:.3f}")
    print(f"  without stored analysis (everything from samples): {live_s * 1000:.0f} ms, ratio "
          f"{live_s / scan_s:.3f}; CPU {live_cpu * 1000:.0f} ms, ratio {live_cpu / scan_cpu:.3f}")
    if not same:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
