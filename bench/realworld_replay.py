"""Replay the real-world traces through the real catalog, runner and detection (issue #15).

Every refusal episode of the traces (HTTP 429, 999, 4xx), and every episode of a documented
outage that failed with a 5xx or no answer, is played minute by minute against local
servers on 127.0.0.1 (bench/replay_lib.py says how), then judged: did a detected outage
(down or degraded) cover refusal minutes (a false outage), and was the documented outage
caught?

    python bench/realworld_replay.py [--failures] [--lanes 8] [--no-polite] [--limit N]

The traces are read from bench/data/realworld/ (a copy of shared/realworld/), else from
../shared/realworld/. Totals are printed; everything goes to bench/out/realworld_replay.json.
Loopback only: every check of the catalog is rewritten to a local target before anything
runs, and the in-process network guard of the tests refuses anything else.
"""

from __future__ import annotations

import argparse
import json
import platform as host
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))

import replay_lib as lib  # noqa: E402

DATA = BENCH / "data" / "realworld"
SHARED = ROOT.parent / "shared" / "realworld"
OUT = BENCH / "out" / "realworld_replay.json"


def _guard() -> bool:
    """The tests' loopback-only guard in this process, when the checkout has it."""
    folder = ROOT / "tests" / "netguard"
    if not (folder / "netguard.py").exists():
        return False
    sys.path.insert(0, str(folder))
    import netguard

    netguard.install()
    return True


def _commit() -> dict[str, object]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        return done.stdout.strip()

    return {"commit": git("rev-parse", "HEAD") or None,
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "monitors"))}


def _data_folder(given: str | None) -> Path:
    if given:
        return Path(given)
    if (DATA / "episodes.csv").exists():
        return DATA
    if (SHARED / "episodes.csv").exists():
        print(f"note: {DATA} is missing; reading the traces from {SHARED}", file=sys.stderr)
        return SHARED
    sys.exit(f"no traces: neither {DATA} nor {SHARED} has episodes.csv")


def _line(result: lib.Result) -> str:
    if result.kind == "refusal":
        verdict = "FALSE OUTAGE" if result.false_outages else "ok"
        minutes = (f"{result.refusal_minutes_in_outages}/{result.refusal_minutes} refusal "
                   "min in outages")
    else:
        verdict = "caught" if result.caught else "MISSED"
        minutes = (f"{result.failure_minutes_in_outages}/{result.failure_minutes} failure "
                   "min in outages")
    codes = ",".join(sorted(result.codes_played)) or "-"
    found = "; ".join(f"{o['severity']} {o['start'][11:16]}-{(o['end'] or 'open')[11:16]} "
                      f"{'+'.join(o['checks'])}" for o in result.outages) or "no outage"
    label = f" [{result.documented}]" if result.documented else ""
    return (f"{verdict:12} {result.platform:9} {result.surface:5} {codes:7} {result.start} "
            f"{result.site}{label}: {minutes}; {found}")


def main() -> int:
    """Parse arguments, replay, print the totals, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder of the traces (default: bench/data/realworld)")
    parser.add_argument("--failures", action="store_true",
                        help="also replay the undocumented 5xx / no-answer episodes")
    parser.add_argument("--lanes", type=int, default=8, help="episodes played at once")
    parser.add_argument("--no-polite", action="store_true",
                        help="run rounds without the sampler's polite client (back-off)")
    parser.add_argument("--https", action="store_true",
                        help="HTTP checks over TLS too (slower; default plain HTTP)")
    parser.add_argument("--limit", type=int, help="only the first N selected episodes")
    parser.add_argument("--before", type=int, default=lib.BEFORE_MIN)
    parser.add_argument("--after", type=int, default=lib.AFTER_MIN)
    parser.add_argument("--cap", type=int, default=lib.CAP_MIN)
    parser.add_argument("--quiet", action="store_true", help="totals only")
    parser.add_argument("-o", "--out", default=str(OUT))
    args = parser.parse_args()

    guarded = _guard()
    folder = _data_folder(args.data)
    world = lib.load(folder)
    episodes = lib.select(lib.episodes_of(world, before=args.before, after=args.after,
                                          cap=args.cap), failures=args.failures)
    if args.limit:
        episodes = episodes[: args.limit]
    rounds = sum(len(e.minutes) for e in episodes)
    print(f"replaying {len(episodes)} episodes ({rounds} rounds) from {folder}, "
          f"{args.lanes} at once", file=sys.stderr)

    def progress(result: lib.Result, done: int, total: int) -> None:
        if not args.quiet:
            print(f"[{done:3}/{total}] {_line(result)}", flush=True)

    cpu0 = time.process_time()
    results, wall = lib.timed(lib.replay, episodes, lanes=args.lanes, https=args.https,
                              polite=not args.no_polite, progress=progress)
    cpu = time.process_time() - cpu0
    figures = lib.totals(results)
    print()
    for line in lib.summary_lines(figures):
        print(line)
    print(f"harness: {figures['rounds']} rounds in {wall:.1f} s wall, {cpu:.1f} s CPU in this "
          f"process; noise samples {figures['noise_samples']}, vantage-offline rounds "
          f"{figures['vantage_offline_rounds']}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        **_commit(), "data": str(folder), "python": host.python_version(),
        "lanes": args.lanes, "polite": not args.no_polite and lib.Politeness is not None,
        "https": args.https, "window": {"before_min": args.before, "after_min": args.after,
                                        "cap_min": args.cap},
        "netguard": guarded, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    out.write_text(json.dumps(lib.as_json(results, **meta), indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
