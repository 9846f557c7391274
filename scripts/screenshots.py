"""Regenerate docs/screenshots/*.png: every dashboard page on a realistic two-week history.

    python scripts/screenshots.py            # headless Debian chromium, loopback only
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import support_browser as browser  # noqa: E402
import support_dashboard as story  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
PAGES = {"live": "/", "history": "/history", "impact": "/impact", "export": "/export",
         "presentation": "/?present=1"}
READY = {"live": ".pp-tile", "history": ".js-plotly-plot", "impact": ".js-plotly-plot",
         "export": "[data-testid='stDownloadButton']", "presentation": ".pp-tile"}


def main() -> int:
    """Build the history, serve the dashboard, capture each page."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        story.build(data, days=30, now=datetime.now(UTC))
        with browser.serve(data, story.CONFIG) as url, sync_playwright() as pw:
            chrome = browser.launch(pw)
            for name, path in PAGES.items():
                size = {"width": 1600, "height": 1000} if name != "presentation" else {
                    "width": 1920, "height": 1080}
                page = chrome.new_page(viewport=size)
                page.goto(url + path)
                page.wait_for_selector(READY[name], timeout=90_000)
                browser.wait_idle(page)
                page.wait_for_timeout(1500)  # plotly animations settle
                if name != "presentation":  # Streamlit scrolls inside its main section
                    height = page.evaluate(
                        "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                    page.set_viewport_size({"width": size["width"], "height": int(height) + 40})
                    page.wait_for_timeout(1500)
                target = OUT / f"{name}.png"
                page.screenshot(path=str(target))
                print(target.relative_to(ROOT))
                page.close()
            chrome.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
