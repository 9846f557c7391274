"""End to end: the dashboard served on 127.0.0.1, driven by Debian's headless Chromium."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import support_browser as browser
import support_dashboard as story

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(browser.chromium() is None, reason="needs Debian's chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api")
PLATFORMS = {"Facebook", "Instagram", "WhatsApp", "X", "LinkedIn", "YouTube", "TikTok"}


@pytest.fixture(scope="module")
def app_url(tmp_path_factory) -> Iterator[str]:
    """Four days of the scripted story, served by `streamlit run dashboard.py`."""
    data = tmp_path_factory.mktemp("e2e") / "data"
    story.build(data, days=4, now=datetime.now(UTC))
    with browser.serve(data, story.CONFIG) as url:
        yield url


def _open(page, url: str, ready: str) -> None:
    page.goto(url)
    page.wait_for_selector(ready)
    browser.wait_idle(page)


def _download(page, label: str) -> tuple[str, str]:
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name=label).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_text(encoding="utf-8")


def test_it_shows_a_tile_per_platform_with_the_partial_outage(page, app_url):
    _open(page, app_url, ".pp-tile")
    tiles = page.locator(".pp-tile")
    assert tiles.count() == 7
    names = set(page.locator(".pp-tile .pp-name").all_inner_texts())
    assert names == PLATFORMS
    instagram = page.locator('.pp-tile[data-platform="instagram"]')
    assert "media down, web up" in instagram.inner_text()
    assert "DEGRADED" in instagram.locator(".pp-pill").inner_text().upper()


@pytest.mark.parametrize("path, ready", [("/live", ".pp-tile"), ("/history", "text=History"),
                                         ("/impact", "text=Estimated impact"),
                                         ("/export", "[data-testid='stDownloadButton']")])
def test_every_page_opens_from_its_address(page, app_url, path, ready):
    _open(page, app_url + path, ready)
    page.wait_for_timeout(500)
    assert "Page not found" not in page.content()
    assert page.url.endswith(path)


def test_changing_the_window_updates_the_history(page, app_url):
    _open(page, f"{app_url}/history", "text=History · last 7 d")
    page.get_by_role("radio", name="24h", exact=True).click()
    page.wait_for_selector("text=History · last 24 h")
    browser.wait_idle(page)
    assert "window=24h" in page.url  # the window is in the URL, so a reload keeps it
    page.reload()
    page.wait_for_selector("text=History · last 24 h")


def test_each_csv_downloads_with_its_content(page, app_url):
    _open(page, f"{app_url}/export", "[data-testid='stDownloadButton']")
    name, text = _download(page, "Download incidents.csv")
    assert name.startswith("pulse-incidents-") and name.endswith(".csv")
    incidents = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {"Instagram", "Facebook", "WhatsApp", "LinkedIn"} <= {r["name"] for r in incidents}
    assert all(r["start_utc"].endswith("Z") for r in incidents)

    _, text = _download(page, "Download uptime.csv")
    uptime = list(csv.DictReader(io.StringIO(text, newline="")))
    assert {r["name"] for r in uptime} == PLATFORMS
    assert all(0 <= float(r["uptime_pct"]) <= 100 for r in uptime)

    _, text = _download(page, "Download samples.csv")
    lines = text.splitlines()
    assert lines[0].startswith("ts_utc,ts_local,vantage,platform,check")
    assert len(lines) > 7 * 2 * 60 * 24 * 3  # days of rounds, a row per check
    assert ",instagram,media," in text


def test_the_report_downloads_opens_offline_and_lists_the_incidents(page, app_url, tmp_path):
    _open(page, f"{app_url}/export", "[data-testid='stDownloadButton']")
    name, html = _download(page, "Download report.html")
    assert name.endswith(".html")
    report = tmp_path / "report.html"
    report.write_text(html, encoding="utf-8")
    page.goto(report.as_uri())
    assert page.locator("h1").inner_text().startswith("Platform Pulse")
    rows = page.locator("section.page table tbody tr")
    assert rows.count() >= 6
    listed = page.locator("section.page").inner_text()
    assert "Instagram" in listed and "can't be found on the internet" in listed
    assert "DNS / routing" not in listed  # causes in plain words
    images = page.locator("figure img")
    assert images.count() == 2
    assert all(page.evaluate("(img) => img.naturalWidth > 0", img.element_handle())
               for img in images.all())
