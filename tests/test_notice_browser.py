"""The customer notice in a real browser (headless Debian Chromium): embedded the three ways
the README shows (iframe, fetch of the JSON, <img> of the badge), hostile text inert.

`PULSE_NOTICE_SCREENSHOT=docs/screenshots/notice.png` also saves the embedding page.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support_browser import chromium, launch
from support_notice import OUTAGE_CONFIG, settings_of
from test_notice import HOSTILE, _hostile_settings

from monitors.alerts.notice import publish
from monitors.history.store import open_store
from monitors.output.notice import build_notice

pytestmark = pytest.mark.skipif(chromium() is None, reason="needs the system chromium")

# What a business's own page would hold (the README's three snippets, as written there).
EMBED_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Northwind Bakery — contact</title>
<style>body{font:15px system-ui,sans-serif;margin:24px;width:640px;color:#1f2328}
h3{margin:18px 0 6px;font-size:13px;color:#57606a;font-weight:600}</style></head>
<body>
<h3>1. iframe of notice.html</h3>
<iframe id="frame-down" src="down/notice.html" title="Service status"
        style="border:0;width:100%;height:150px"></iframe>
<iframe id="frame-clear" src="clear/notice.html" title="Service status"
        style="border:0;width:100%;height:80px"></iframe>
<h3>2. &lt;img&gt; of notice.svg</h3>
<p><img id="badge-down" src="down/notice.svg" alt="Service status"></p>
<p><img id="badge-clear" src="clear/notice.svg" alt="Service status"></p>
<h3>3. fetch notice.json (textContent, never innerHTML)</h3>
<p id="fetched">…</p>
<script>
fetch("down/notice.json", {cache: "no-store"}).then(r => r.json()).then(n => {
  document.getElementById("fetched").textContent = n.message;
});
</script>
</body></html>
"""


@contextlib.contextmanager
def _serve(folder: Path):
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _site(root: Path, notices: dict) -> Path:
    for name, notice in notices.items():
        publish(open_store(str(root / name)), notice)
    (root / "index.html").write_text(EMBED_PAGE, encoding="utf-8")
    return root


def test_the_notice_embeds_three_ways_and_is_screenshotted(tmp_path):
    from playwright.sync_api import sync_playwright

    settings = settings_of(OUTAGE_CONFIG)
    site = _site(tmp_path / "site", {
        "down": build_notice({"insta": "affected", "wa": "slow"}, settings.platforms,
                             settings.config.notice, business_name="Northwind Bakery"),
        "clear": build_notice({}, settings.platforms, settings.config.notice,
                              business_name="Northwind Bakery")})
    with _serve(site) as url, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 700, "height": 560})
        page.goto(f"{url}/index.html")
        page.wait_for_function("document.getElementById('fetched').textContent.length > 5")
        down = page.frame_locator("#frame-down")
        assert "Our Instagram messages are affected right now." in down.locator(
            ".pp-notice").inner_text()
        assert down.locator("a[href='tel:+442079460000']").count() == 1
        clear = page.frame_locator("#frame-clear").locator(".pp-notice").inner_text()
        assert "All our channels are working normally." in clear
        widths = page.evaluate("[...document.images].map(i => i.complete && i.naturalWidth)")
        assert all(w and w > 100 for w in widths), widths  # both SVG badges decoded
        fetched = page.locator("#fetched").inner_text()
        assert fetched.startswith("Our Instagram messages are affected right now.")
        shot = os.environ.get("PULSE_NOTICE_SCREENSHOT")
        page.screenshot(path=shot or str(tmp_path / "notice.png"), full_page=True)
        browser.close()


def test_hostile_text_is_inert_in_the_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    settings = _hostile_settings()
    notice = build_notice({"insta": "affected"}, settings.platforms, settings.config.notice,
                          business_name=settings.business.name)
    site = _site(tmp_path / "site", {"down": notice})
    with _serve(site) as url, sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{url}/down/notice.html")
        page.goto(f"{url}/down/notice.svg")
        page.goto(f"{url}/index.html")
        page.wait_for_function("document.getElementById('fetched').textContent.length > 5")
        frame = page.frame_locator("#frame-down")
        assert frame.locator("script, img, iframe").count() == 0
        shown = frame.locator(".pp-notice").inner_text()
        assert "<script>alert(1)</script>" in shown  # shown as text, literally
        assert page.locator("#fetched").inner_text().startswith(HOSTILE)
        page.wait_for_timeout(300)
        assert dialogs == []
        assert json.loads((site / "down" / "notice.json").read_text())["state"] == "affected"
        browser.close()
