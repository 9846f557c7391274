"""Impact page benchmark with measured figures, in headless Debian Chromium.

On the demo's data (90 days of backfilled history and its DEMO sales series: 3 platforms x
3 metrics), the Impact page for the 90-day window is opened in fresh sessions with the
series configured and with the same config without them. Prints the seconds until the page
has drawn its figures and is idle (cold: first session; warm: median of the rest) and the
ratio with / without (target, as the dashboard bench's first paint: <= 3).

    python bench/measured_page_bench.py [--repeat 4]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tomllib
from pathlib import Path

import tomli_w

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import support_browser as browser  # noqa: E402
import support_measured  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

TARGET = 3.0


def without_series(config: Path, folder: Path) -> Path:
    """The same config with no [[business.series]] (estimates only)."""
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    raw["business"].pop("series", None)
    path = folder / "estimates-only.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return path


def impact_paint(chrome, url: str, *, measured: bool) -> float:
    """Seconds from navigation until the Impact page shows its figures and is idle."""
    context = chrome.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(180_000)
    began = time.perf_counter()
    page.goto(f"{url}/impact?window=90d")
    page.wait_for_selector("text=Estimated impact · 90 d")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= "
                           f"{2 if measured else 1}")
    if measured:
        page.wait_for_selector("[data-testid='stCode']")
    browser.wait_idle(page, 600_000)
    took = time.perf_counter() - began
    context.close()
    return took


def run(chrome, data: Path, config: Path, repeat: int, *, measured: bool) -> dict:
    """Cold (first session after start) and warm (median of the others) seconds."""
    with browser.serve(data, config, timeout_s=180) as url:
        times = [impact_paint(chrome, url, measured=measured) for _ in range(repeat)]
    return {"cold_s": times[0], "warm_s": statistics.median(times[1:] or times),
            "all_s": [round(t, 3) for t in times]}


def main(argv: list[str] | None = None) -> int:
    """Build the demo data, serve it with and without series, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=4, help="fresh sessions per config")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        data = Path(tmp) / "demo"
        support_measured.build_demo(data)
        config = support_measured.demo_config_path(data)
        plain = without_series(config, Path(tmp))
        chrome = browser.launch(pw)
        results = {"estimates": run(chrome, data, plain, args.repeat, measured=False),
                   "measured": run(chrome, data, config, args.repeat, measured=True)}
        chrome.close()
    print(f"{'measure':<10}{'estimates s':>13}{'measured s':>12}{'ratio':>8}  target")
    for key in ("cold_s", "warm_s"):
        a, b = results["estimates"][key], results["measured"][key]
        ratio = b / a if a else float("inf")
        print(f"{key:<10}{a:>13.2f}{b:>12.2f}{ratio:>8.2f}  <= {TARGET:g}"
              f"{'' if ratio <= TARGET else '  (over)'}")
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
