"""Regenerate the screenshots of the team's notes (issue #19): an incident with notes on the
History page, "I'm on it" on a live tile, and the review form after an outage.

    python scripts/screenshots_notes.py      # headless Debian chromium, loopback only

The history is tests/support_dashboard.py's scripted story (Instagram's media failing right
now); the notes are written through monitors/history/notes.py as the dashboard writes them.
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

from monitors.analysis.windows import analyse_history  # noqa: E402
from monitors.history import notes, store_for  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
NOTES = [  # (by, kind, text) on the last closed Instagram outage
    ("Ana", "happened", "Product photos stopped loading on our Instagram profile; DMs and the "
     "shop link kept working."),
    ("Ben", "did", "Paused the Instagram ads at 11:35 and posted today's specials on TikTok.\n"
     "Emailed the newsletter list with the shop link."),
    ("Ana", "handled", "Ana (shop) and Ben (marketing)."),
    ("Ben", "learned", "We saw it 9 minutes before Instagram's status page did: act on the "
     "monitor, don't wait for the vendor."),
]


def seed(data: Path, now: datetime) -> None:
    """The story's history and four notes on the last closed Instagram outage."""
    settings = story.build(data, days=4, now=now)
    outages = analyse_history(settings, "7d", now=now).outages
    closed = [o for o in outages if o.platform == "instagram" and o.end is not None][-1]
    store = store_for(settings)
    first = None
    for by, kind, text in NOTES:
        record = notes.write(store, notes.make(
            "note", incident=closed.id, platform="instagram", start=closed.start,
            end=closed.end, by=by, kind=kind, text=text))
        first = first or record
    notes.write(store, notes.make(  # an edit: the first note, more precise
        "note", incident=closed.id, platform="instagram", start=closed.start, end=closed.end,
        by="Ana", kind="happened", record=first.record, revision=2,
        text=NOTES[0][2] + " Reels did not play either."))


def _top(page, text: str) -> None:
    """Scroll so that the first element with this text is at the top of the page."""
    page.get_by_text(text).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.mouse.wheel(0, -60)  # keep a little of what is above it
    page.wait_for_timeout(1200)


def _shot(page, name: str) -> None:
    target = OUT / name
    page.screenshot(path=str(target))
    print(target.relative_to(ROOT))


def main() -> int:
    """Serve the seeded dashboard and capture the three views."""
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        seed(data, datetime.now(UTC))
        with browser.serve(data, story.CONFIG) as url, sync_playwright() as pw:
            chrome = browser.launch(pw)
            page = chrome.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(90_000)
            page.goto(url + "/history")
            page.wait_for_selector(".pp-notes .pp-n")
            browser.wait_idle(page)
            _top(page, "Incident notes")
            _shot(page, "incident-notes.png")
            page.goto(url + "/live")
            page.wait_for_selector(".pp-tile")
            browser.wait_idle(page)
            form = page.locator("[data-testid='stForm']").filter(has_text="Someone on it?")
            form.get_by_label("Your name").fill("Ana")
            form.get_by_role("button", name="I'm on it").click()
            page.locator('.pp-tile[data-platform="instagram"] .pp-ack').wait_for()
            browser.wait_idle(page)
            page.wait_for_timeout(1200)
            page.locator('.pp-tile[data-platform="instagram"]').scroll_into_view_if_needed()
            _shot(page, "ack-tile.png")
            page.get_by_text("Review after the outage").first.scroll_into_view_if_needed()
            review = page.locator("[data-testid='stForm']").filter(has_text="Lesson for")
            review.get_by_label("What worked from the playbook").fill(
                "Posting the specials on TikTok: 14 orders came in through it.")
            review.get_by_label("What didn't").fill("Nobody knew the newsletter password.")
            review.get_by_label("Lesson for the playbook").fill(
                "Keep the newsletter login in the shared vault.")
            review.get_by_label("Your name").fill("Ben")
            _top(page, "Review after the outage")
            _shot(page, "review-form.png")
            chrome.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
