"""Regenerate docs/screenshots/*.png from a scripted history of 90 days, outages included.

    python scripts/screenshots.py            # headless Debian chromium, loopback only

Live and the presentation mode are taken during outages (Instagram's media failing, X
down); History shows the 90-day window; the printed report's first two pages come from
Chromium's A4 print of the meeting report (PDF to PNG with pdftoppm, from poppler-utils).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import support_browser as browser  # noqa: E402
import support_dashboard as story  # noqa: E402
import support_measured  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from monitors.output import report  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
DAYS = 90
PAGES = {"live": "/live", "history": "/history?window=90d", "impact": "/impact",
         "export": "/export", "presentation": "/?present=1"}
READY = {"live": ".pp-tile", "history": ".js-plotly-plot", "impact": ".js-plotly-plot",
         "export": "[data-testid='stDownloadButton']", "presentation": ".pp-tile"}
# On top of the story: X answering 503 for the last quarter of an hour, still going on,
# and what a quarter of history holds further back (so the 90-day views are not empty).
X_DOWN = story.Episode(("x",), timedelta(minutes=14), 15, error="http_status",
                       detail="HTTP 503", http_status=503)
EARLIER = [
    story.Episode(("youtube",), timedelta(days=24, hours=6), 55, error="timeout",
                  checks=("media",), detail="no answer in 10s"),
    story.Episode(("facebook", "instagram", "whatsapp"), timedelta(days=41, hours=3), 35,
                  error="connect", official="Some people are having trouble accessing our apps",
                  official_after=11),
    story.Episode(("linkedin",), timedelta(days=58, hours=2), 140, status="degraded",
                  error="slow", checks=("web",), detail="slower than the degraded threshold"),
    story.Episode(("tiktok",), timedelta(days=73, hours=9), 28, error="tls",
                  detail="certificate verify failed"),
]


def build(data: Path, now: datetime):
    """The story's history with X down right now, heartbeat and vendor status."""
    settings = story.load_settings(str(story.CONFIG), str(data))
    story.write_history(data, story.samples(settings, now, DAYS,
                                            episodes=[*EARLIER, *story.story(), X_DOWN]), now=now)
    story.write_heartbeat(data, now)
    story.write_official(data, now)
    return settings


def dashboard(url: str, chrome) -> None:
    """Every page of the dashboard, full length (presentation: one 1080p screen)."""
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


def printed_report(settings, now: datetime, chrome, folder: Path) -> None:
    """The 30-day meeting report printed to A4 by Chromium; its first two pages as PNG."""
    html = folder / "report.html"
    html.write_text(report.build_report(settings, "30d", now=now), encoding="utf-8")
    pdf = folder / "report.pdf"
    page = chrome.new_page()
    page.goto(html.as_uri())
    page.pdf(path=str(pdf), format="A4")
    page.close()
    if not shutil.which("pdftoppm"):
        print("pdftoppm not found (apt-get install poppler-utils): report pages skipped")
        return
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "2", str(pdf),
                    str(folder / "report")], check=True)
    for number in (1, 2):
        made = sorted(folder.glob(f"report-*{number}.png"))[0]
        target = OUT / f"report-page{number}.png"
        shutil.move(made, target)
        print(target.relative_to(ROOT))


def measured(chrome_factory, folder: Path) -> None:
    """The Impact page with measured figures and the report's measured section, on the
    demo's data (90 days and its DEMO sales series)."""
    data = folder / "demo"
    settings, _ = support_measured.build_demo(data)
    with browser.serve(data, support_measured.demo_config_path(data)) as url:
        chrome = chrome_factory()
        page = chrome.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(url + "/impact?window=90d")
        page.wait_for_selector(".js-plotly-plot", timeout=90_000)
        browser.wait_idle(page)
        page.get_by_text("Measured from your own numbers").scroll_into_view_if_needed()
        page.wait_for_selector("[data-testid='stCode']", timeout=90_000)
        page.wait_for_timeout(2000)
        height = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
        page.set_viewport_size({"width": 1600, "height": int(height) + 40})
        page.wait_for_timeout(1500)
        box = page.get_by_text("Measured from your own numbers").bounding_box()
        target = OUT / "impact-measured.png"
        page.screenshot(path=str(target), full_page=True,
                        clip={"x": 0, "y": max(0, box["y"] - 260), "width": 1600,
                              "height": min(1900, int(height) - max(0, box["y"] - 260))})
        print(target.relative_to(ROOT))
        page.close()
        html = folder / "report-measured.html"
        html.write_text(report.build_report(settings, "90d"), encoding="utf-8")
        page = chrome.new_page(viewport={"width": 1200, "height": 1000})
        page.goto(html.as_uri())
        section = page.locator("section.measured")
        target = OUT / "report-measured.png"
        section.screenshot(path=str(target))
        print(target.relative_to(ROOT))
        page.close()


def main() -> int:
    """Build the history, serve the dashboard, capture each page and the printed report
    (`screenshots.py measured`: only the measured-impact ones)."""
    OUT.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    if sys.argv[1:] == ["measured"]:
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
            chrome = browser.launch(pw)
            measured(lambda: chrome, Path(tmp))
            chrome.close()
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        settings = build(data, now)
        with browser.serve(data, story.CONFIG) as url, sync_playwright() as pw:
            chrome = browser.launch(pw)
            dashboard(url, chrome)
            printed_report(settings, now, chrome, Path(tmp))
            measured(lambda: chrome, Path(tmp))
            chrome.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
