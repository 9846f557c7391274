"""Dashboard benchmark: a year of history vs an empty one, in headless Debian Chromium.

Measures, for each data folder, with the dashboard served on 127.0.0.1:
- first meaningful paint: navigation until every platform tile is drawn (Live), and until the
  History page has drawn its figures and finished its run;
- window change: on History, clicking another window until the page shows it and is idle.
Prints each figure and the ratio year / empty (targets: first paint <= 3x, change <= 2x).

    python bench/history_bench.py            # once: the year into bench/out/year
    python bench/dashboard_bench.py          # then this
    python bench/dashboard_bench.py --data bench/out/small
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import support_browser as browser  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from bench.synth import CHECKS, PLATFORMS  # noqa: E402
from monitors.analysis.stored import materialise  # noqa: E402
from monitors.config import load_settings  # noqa: E402

WINDOWS = ["30d", "90d", "24h", "7d"]


def write_config(folder: Path, vantage: str) -> Path:
    """A loopback-only config naming the benchmark's platforms (never probed); the same
    analysis settings as bench/analysis_bench.py, so both use one stored analysis."""
    lines = ["[monitor]", 'interval = "60s"', f'vantage = "{vantage}"',
             "default_platforms = false", 'controls = ["tcp://127.0.0.1:9"]', "",
             "[business]", 'currency = "USD"', 'timezone = "Europe/London"', ""]
    for pid, provider in PLATFORMS:
        lines += ["[[platforms]]", f'id = "{pid}"', f'name = "{pid.title()}"',
                  f'provider = "{provider}"']
        for check, _ in CHECKS:
            lines += ["  [[platforms.checks]]", f'  id = "{check}"', '  kind = "tcp"',
                      '  host = "127.0.0.1"', "  port = 9"]
        lines += ["  [platforms.impact]", "  revenue_per_hour = 40", "  leads_per_hour = 1.5",
                  "  lead_value = 25", "  ad_spend_per_day = 60", "  recapture = 0.4", ""]
    path = folder / "bench.toml"
    path.write_text("\n".join(lines))
    return path


def first_paint(chrome, url: str) -> tuple[float, float]:
    """Seconds until the Live tiles, then the History figures, are drawn in a fresh session."""
    context = chrome.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(600_000)
    began = time.perf_counter()
    page.goto(url)
    page.wait_for_function(f"document.querySelectorAll('.pp-tile').length >= {len(PLATFORMS)}")
    live = time.perf_counter() - began
    began = time.perf_counter()
    page.goto(f"{url}/history")
    page.wait_for_selector("text=History · last 7 d")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3")
    browser.wait_idle(page, 600_000)
    history = time.perf_counter() - began
    context.close()
    return live, history


def window_changes(chrome, url: str) -> list[float]:
    """Seconds from clicking each window on History until the page shows it and is idle."""
    context = chrome.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(600_000)
    page.goto(f"{url}/history")
    page.wait_for_selector("text=History · last 7 d")
    browser.wait_idle(page, 600_000)
    times = []
    for window in WINDOWS:
        label = window.replace("h", " h").replace("d", " d")
        began = time.perf_counter()
        page.get_by_role("radio", name=window, exact=True).click()
        page.wait_for_selector(f"text=History · last {label}")
        browser.wait_idle(page, 600_000)
        times.append(time.perf_counter() - began)
    context.close()
    return times


def measure(chrome, data: Path, config: Path, repeat: int) -> dict:
    """First paint (cold, then warm median) and window changes (first pass, second pass)."""
    with browser.serve(data, config, timeout_s=180) as url:
        paints = [first_paint(chrome, url) for _ in range(repeat)]
        cold = window_changes(chrome, url)
        warm = window_changes(chrome, url)
    return {
        "live_cold_s": paints[0][0], "history_cold_s": paints[0][1],
        "live_warm_s": statistics.median(p[0] for p in paints[1:] or paints),
        "history_warm_s": statistics.median(p[1] for p in paints[1:] or paints),
        "change_cold_s": statistics.median(cold), "change_warm_s": statistics.median(warm),
        "change_cold_max_s": max(cold),
    }


def main(argv: list[str] | None = None) -> int:
    """Run both folders and print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(ROOT / "bench" / "out" / "year"))
    parser.add_argument("--repeat", type=int, default=3, help="fresh sessions per folder")
    args = parser.parse_args(argv)
    data = Path(args.data)
    manifest = data / "bench.json"
    if not manifest.exists():
        print(f"no benchmark history in {data}; run: python bench/history_bench.py",
              file=sys.stderr)
        return 2
    info = json.loads(manifest.read_text())
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        config = write_config(Path(tmp), info.get("vantage", "bench"))
        empty = Path(tmp) / "empty"
        empty.mkdir()
        began = time.perf_counter()  # what the sampler's compaction would have stored
        stored = materialise(load_settings(str(config), str(data)))
        print(f"analysis stored: {stored['months_written']} months written, "
              f"{stored['months_current']} current ({time.perf_counter() - began:.1f}s)")
        chrome = browser.launch(pw)
        results = {"empty": measure(chrome, empty, config, args.repeat),
                   "history": measure(chrome, data, config, args.repeat)}
        chrome.close()
    print(f"history: {data} ({info.get('days')} days, {info.get('rows', 0):,} samples)")
    print(f"{'measure':<22}{'empty s':>10}{'history s':>12}{'ratio':>8}  target")
    targets = {"live_cold_s": 3, "live_warm_s": 3, "history_cold_s": 3, "history_warm_s": 3,
               "change_cold_s": 2, "change_warm_s": 2, "change_cold_max_s": 2}
    for key, target in targets.items():
        a, b = results["empty"][key], results["history"][key]
        ratio = b / a if a else float("inf")
        print(f"{key:<22}{a:>10.2f}{b:>12.2f}{ratio:>8.2f}  <= {target}"
              f"{'' if ratio <= target else '  (over)'}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
