"""End to end: the Impact page with measured figures, served on 127.0.0.1 on the demo's data,
driven by Debian's headless Chromium (an upload with a hostile name included)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import support_browser as browser
from support_measured import build_demo, demo_config_path

from monitors.history import uploads
from monitors.history.store import open_store

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(browser.chromium() is None, reason="needs Debian's chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api")
HOSTILE = '<img src=x onerror="window.pwned=1">.csv'
CSV = b"hour,sales\n2026-11-02T09:00:00Z,12.5\n2026-11-02T10:00:00Z,14\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The demo's data folder (90 days and its sales series), served by Streamlit."""
    data = tmp_path_factory.mktemp("measured-e2e") / "data"
    build_demo(data)
    with browser.serve(data, demo_config_path(data)) as url:
        yield url, data


@pytest.fixture
def page(served):
    with sync_api.sync_playwright() as pw:
        chrome = browser.launch(pw)
        context = chrome.new_context(viewport={"width": 1440, "height": 1000})
        tab = context.new_page()
        tab.set_default_timeout(120_000)
        yield tab
        context.close()
        chrome.close()


def _impact(page, url: str) -> None:
    page.goto(f"{url}/impact?window=90d")
    page.wait_for_selector("text=Measured from your own numbers")
    page.wait_for_selector("[data-testid='stCode']")
    browser.wait_idle(page)


def test_the_browser_shows_measured_beside_estimated_with_the_demo_label(served, page):
    url, _ = served
    _impact(page, url)
    assert page.get_by_text("DEMO data: the measured figures come from made-up series").count()
    plots = page.locator(".js-plotly-plot")
    assert plots.count() >= 2
    chart = page.locator(".js-plotly-plot", has_text="actual vs expected")
    assert chart.count() == 1 and "SYNTHETIC DATA" in chart.inner_text()
    code = page.locator("[data-testid='stCode']", has_text="[platforms.impact]").inner_text()
    assert "revenue_per_hour" in code


def test_an_upload_with_a_hostile_name_is_kept_sanitised_and_inert(served, page):
    url, data = served
    _impact(page, url)
    page.get_by_text("Upload a series (CSV or Parquet)").click()
    page.locator("input[type='file']").set_input_files(
        files=[{"name": HOSTILE, "mimeType": "text/csv", "buffer": CSV}])
    page.wait_for_selector("text=Kept as business/uploads/")
    browser.wait_idle(page)
    assert page.evaluate("() => window.pwned") is None
    assert page.locator("img[src='x']").count() == 0
    kept = uploads.list_uploads(open_store(str(data)))
    (only,) = kept  # the browser sends the quotes as %22: whatever arrives is made safe
    assert re.fullmatch(r"img_src_x_onerror_[A-Za-z0-9._]*pwned[A-Za-z0-9._]*", only.original)
