"""Notes, "I'm on it" and the review in the real dashboard (streamlit on 127.0.0.1, Debian's
headless Chromium): hostile note text is shown as text and never runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import support_browser as browser
import support_dashboard as story

from monitors.analysis.windows import analyse_history
from monitors.history import notes, store_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(browser.chromium() is None, reason="needs Debian's chromium"),
]
sync_api = pytest.importorskip("playwright.sync_api")
SCRIPT = "<script>window.__pp_xss = 1</script>"
IMG = '<img src=x onerror="window.__pp_xss = 2">'
FORMULA = '=HYPERLINK("http://evil.example/?x=1","Click")'
LINK = "[click me](javascript:window.__pp_xss=3) **loud**\n\n# heading"
HOSTILE = f"{SCRIPT} {IMG} {FORMULA} {LINK} esc\x1b[31m nul\x00 lone \ud800 end " + "w" * 2500


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[str, dict]]:
    """The scripted story, hostile notes on the last closed Instagram outage, served."""
    data = tmp_path_factory.mktemp("notes-e2e") / "data"
    now = datetime.now(UTC)
    settings = story.build(data, days=4, now=now)
    outages = analyse_history(settings, "7d", now=now).outages
    closed = [o for o in outages if o.platform == "instagram" and o.end is not None][-1]
    store = store_for(settings)
    for by, kind, text in [("Ana", "did", "Paused the Instagram ads"),
                           (f"{IMG}Mallory", "learned", HOSTILE)]:
        notes.write(store, notes.make("note", incident=closed.id, platform="instagram",
                                      start=closed.start, end=closed.end, by=by, kind=kind,
                                      text=text))
    with browser.serve(data, story.CONFIG) as url:
        yield url, {"closed": closed, "settings": settings}


def _open(page, url: str, ready: str) -> None:
    page.goto(url)
    page.wait_for_selector(ready)
    browser.wait_idle(page)
    page.wait_for_timeout(500)


def _inert(page) -> None:
    assert page.evaluate("() => window.__pp_xss") is None
    assert page.locator(".pp-notes script, .pp-notes img, .pp-tile img").count() == 0


def test_hostile_notes_show_as_text_on_the_incident_and_never_run(page, served):
    url, _ = served
    _open(page, url + "/history", ".pp-notes .pp-n")
    block = page.locator(".pp-notes").first
    text = block.inner_text()
    assert "Paused the Instagram ads" in text
    assert SCRIPT in text and IMG in text and FORMULA in text  # shown literally
    assert f"{IMG}Mallory" in text
    assert "[click me](javascript:" in text and "**loud**" in text  # Markdown stays text
    assert block.locator("a, strong, h1").count() == 0
    assert "\x1b" not in text and "\ufffd" in text  # control removed, lone surrogate replaced
    note = block.locator(".pp-n-text").nth(1).inner_text()
    assert len(note) <= notes.TEXT_MAX
    _inert(page)


def test_a_note_typed_on_the_history_page_is_kept_and_shown(page, served):
    url, ctx = served
    _open(page, url + "/history", ".pp-notes .pp-n")
    form = page.locator("[data-testid='stForm']").first
    form.get_by_label("Your name").fill("Ben")
    form.locator("textarea").fill(f"Emailed the list {IMG}")
    form.get_by_role("button", name="Add note").click()
    page.wait_for_selector("text=Emailed the list")
    browser.wait_idle(page)
    _inert(page)
    stored = [r.text for r in notes.read(store_for(ctx["settings"]))]
    assert f"Emailed the list {IMG}" in stored


def test_i_am_on_it_shows_on_the_tile_and_the_review_form_saves(page, served):
    url, ctx = served
    _open(page, url + "/live", ".pp-tile")
    ack = page.locator("[data-testid='stForm']").filter(has_text="Someone on it?")
    ack.get_by_label("Your name").fill(f"Cy {IMG}")
    ack.get_by_role("button", name="I'm on it").click()
    tile = page.locator('.pp-tile[data-platform="instagram"] .pp-ack')
    tile.wait_for()
    assert f"Cy {IMG} is on it since" in tile.inner_text()
    _inert(page)
    review = page.locator("[data-testid='stForm']").filter(has_text="Lesson for the playbook")
    review.get_by_label("Lesson for the playbook").fill("Top up the SMS credits <b>now</b>")
    review.get_by_label("Your name").fill("Dee")
    review.get_by_role("button", name="Save the review").click()
    page.wait_for_selector("text=Review saved")
    records = notes.read(store_for(ctx["settings"]))
    assert any(r.type == "ack" and r.by == f"Cy {IMG}" for r in records)
    assert any(r.type == "review" and r.lesson == "Top up the SMS credits <b>now</b>"
               for r in records)
