"""Presentation mode (`?present=1`) on a projector, in Debian's headless Chromium: the whole
page fits the screen, the chart's title stays clear of its legend, and the figures follow
an outage that starts while the page is up. Plus the words the tiles use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import support_browser as browser
import support_dashboard as story

from monitors.output import present

sync_api = pytest.importorskip("playwright.sync_api")
SCREENS = [(1920, 1080), (1440, 900)]
TOLERANCE_PX = 4
NOW = datetime.now(UTC)


# ------------------------------------------------------------------ words on the tiles
@pytest.mark.parametrize("cause, words", [
    ("DNS / routing (network-level)", "can't be found on the internet"),
    ("overload or attack (timeouts)", "not answering in time"),
    ("TLS / certificate problem", "secure connection failing"),
    ("rate limited (HTTP 429)", "turning our checks away"),
    ("unexpected HTTP status (404)", "unexpected answer (error 404)"),
    ("server errors", "its servers are failing"),
])
def test_causes_are_told_in_a_marketing_managers_words(cause, words):
    text = present.cause_text(cause)
    assert words in text
    for jargon in ("DNS", "TLS", "HTTP", "network-level", "timeouts"):
        assert jargon not in text


def test_a_vendors_own_title_is_kept_as_it_is():
    assert present.cause_text("Photos and videos not loading") == "Photos and videos not loading"


def test_check_ids_become_surface_words():
    assert present.surface("dns-cdn") == "media address lookup"
    assert present.surface("dns") == "address lookup" and present.surface("tls") == (
        "secure connection")
    failing = [("web", "down"), ("media", "down"), ("dns", "down"), ("dns-cdn", "down")]
    assert present.surfaces_text(failing, ["api"]) == "web, media & address lookups down, API up"
    assert present.surfaces_text([("media", "down")], ["web"]) == "media down, web up"


# ------------------------------------------------------------------ in the browser
@pytest.fixture(scope="module")
def story_url(tmp_path_factory) -> Iterator[str]:
    """A week of the scripted story (Instagram's media outage ongoing), served."""
    data = tmp_path_factory.mktemp("present") / "data"
    story.build(data, days=8, now=NOW)
    with browser.serve(data, story.CONFIG) as url:
        yield url


def _present(chrome, url: str, size: tuple[int, int], ready: str = ".js-plotly-plot .legend"):
    page = chrome.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(90_000)
    page.goto(f"{url}/?present=1")
    page.wait_for_selector(".pp-tile")
    page.wait_for_selector(ready)
    browser.wait_idle(page)
    page.wait_for_timeout(800)  # plotly lays the chart out
    return page


SCROLL = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  return {doc: document.scrollingElement.scrollHeight, main: main ? main.scrollHeight : 0,
          width: document.scrollingElement.scrollWidth, inner: innerHeight,
          innerWidth: innerWidth};
}"""


@pytest.mark.parametrize("size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
@pytest.mark.e2e
@pytest.mark.skipif(browser.chromium() is None, reason="needs Debian's chromium")
def test_presentation_mode_fits_the_screen_without_scrolling(chrome, story_url, size):
    page = _present(chrome, story_url, size)
    try:
        seen = page.evaluate(SCROLL)
        assert seen["doc"] <= seen["inner"] + TOLERANCE_PX, seen
        assert seen["main"] <= seen["inner"] + TOLERANCE_PX, seen  # Streamlit scrolls here
        assert seen["width"] <= seen["innerWidth"] + TOLERANCE_PX, seen
        assert page.locator(".pp-tile").count() == 7
        for box in (page.locator(".pp-tile").last.bounding_box(),
                    page.locator(".js-plotly-plot").bounding_box()):
            assert box["y"] + box["height"] <= size[1] + TOLERANCE_PX  # all on screen
    finally:
        page.close()


@pytest.mark.parametrize("size", SCREENS, ids=[f"{w}x{h}" for w, h in SCREENS])
@pytest.mark.e2e
@pytest.mark.skipif(browser.chromium() is None, reason="needs Debian's chromium")
def test_the_timeline_title_does_not_run_into_its_legend(chrome, story_url, size):
    page = _present(chrome, story_url, size)
    try:
        chart = page.locator(".js-plotly-plot").first
        title = chart.locator(".gtitle").bounding_box()
        legend = chart.locator(".legend").bounding_box()
        assert title and legend
        apart = (title["y"] + title["height"] <= legend["y"]
                 or title["x"] + title["width"] <= legend["x"])
        assert apart, f"title {title} overlaps legend {legend}"
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.skipif(browser.chromium() is None, reason="needs Debian's chromium")
def test_an_outage_that_starts_while_presenting_enters_the_figures(chrome, tmp_path):
    """The tiles, the 7-day figures and the timeline refresh together: an ongoing outage is
    counted, with its time so far, without reloading the page."""
    data = tmp_path / "data"
    now = datetime.now(UTC)
    settings = story.load_settings(str(story.CONFIG), str(data))
    story.write_history(data, story.samples(settings, now - timedelta(minutes=6), 3,
                                            episodes=[]), now=now)
    story.write_heartbeat(data, now)
    with browser.serve(data, story.CONFIG) as url:
        page = _present(chrome, url, (1920, 1080), ready=".js-plotly-plot")
        try:
            outages = page.locator(".pp-kpi", has_text="Outages").locator(".value")
            assert outages.inner_text() == "0"
            later = datetime.now(UTC)
            down = [story.Episode(("tiktok",), timedelta(minutes=6), 7, error="connect")]
            story.write_history(data, story.samples(settings, later, 6 / 1440, episodes=down),
                                compact=False)
            story.write_heartbeat(data, later)
            page.wait_for_function(
                """() => [...document.querySelectorAll('.pp-kpi')].some(k =>
                     k.innerText.toUpperCase().includes('OUTAGES')
                     && k.querySelector('.value').innerText === '1')""",
                timeout=75_000)
            time_down = page.locator(".pp-kpi", has_text="Time down").locator(".value")
            assert time_down.inner_text() not in ("0s", "—")
            assert page.locator('.pp-tile.down[data-platform="tiktok"]').count() == 1
        finally:
            page.close()


def test_a_projector_board_of_many_platforms_packs_its_tiles_tighter():
    from monitors.output import tiles

    row = {"platform": "p", "name": "P", "provider": "Prov", "status": "down",
           "since": NOW - timedelta(minutes=5), "latency_ms": float("nan"), "age_s": 5.0,
           "surfaces": "web down", "cause": "servers unreachable", "note": "",
           "official_status": "down", "official_text": "Down for everyone",
           "official_url": "https://status.example/"}
    import pandas as pd

    many = pd.DataFrame([{**row, "platform": f"p{i}", "name": f"P{i}"} for i in range(9)])
    board = tiles.board(many, tz="UTC", now=NOW, large=True)
    assert 'class="pp-groups present dense"' in board
    assert "status page</a>" not in board  # nobody clicks a projector
    assert "Down for everyone" in board  # the vendor's word stays
    few = tiles.board(many.head(7), tz="UTC", now=NOW, large=True)
    assert "dense" not in few
    assert "status page</a>" in tiles.board(many, tz="UTC", now=NOW)  # the screen keeps it
