"""Static chart images with kaleido on the system Chromium (never a downloaded browser)."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

log = logging.getLogger("monitors.images")

BROWSER_ENV = "BROWSER_PATH"  # the variable choreographer (kaleido's browser driver) honours
_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Every page kaleido loads is a local file; pointing the browser's proxy at a closed loopback
# port makes sure nothing it might fetch (MathJax, fonts, updates) ever leaves the machine.
_NO_NETWORK_PROXY = "http://127.0.0.1:9"


def _quiet() -> None:
    """kaleido and choreographer log every tab at INFO; keep the CLI output readable."""
    for name in ("kaleido", "choreographer", "logistro"):
        logging.getLogger(name).setLevel(logging.WARNING)


def find_browser() -> str | None:
    """The system Chromium: $BROWSER_PATH if it exists, else chromium on PATH (Debian)."""
    configured = os.environ.get(BROWSER_ENV)
    if configured and Path(configured).is_file():
        return configured
    for name in _CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


async def _render(figures: Sequence[go.Figure], sizes: Sequence[tuple[int, int]],
                  browser: str, fmt: str, scale: float) -> list[bytes]:
    import kaleido  # lazy: optional, heavy; only report images need it

    out = []
    async with kaleido.Kaleido(n=1, path=browser, mathjax=False, timeout=60,
                               proxy_server=_NO_NETWORK_PROXY) as renderer:
        for figure, (width, height) in zip(figures, sizes, strict=True):
            opts = {"format": fmt, "width": width, "height": height, "scale": scale}
            out.append(await renderer.calc_fig(figure, opts=opts))
    return out


def render(figures: Sequence[go.Figure], sizes: Sequence[tuple[int, int]], *,
           fmt: str = "png", scale: float = 2.0) -> list[bytes] | None:
    """Render figures to PNG/SVG bytes with one browser; None when no Chromium or it fails."""
    _quiet()
    browser = find_browser()
    if browser is None:
        log.warning("no Chromium found (set %s); charts are left out", BROWSER_ENV)
        return None
    result: dict[str, object] = {}

    def work() -> None:  # own thread: the caller (Streamlit, tests) may run an event loop
        try:
            result["images"] = asyncio.run(_render(figures, sizes, browser, fmt, scale))
        except Exception as exc:  # a broken browser must not break the report
            result["error"] = exc

    thread = threading.Thread(target=work, name="kaleido", daemon=True)
    thread.start()
    thread.join(timeout=180)
    if "images" not in result:
        log.warning("chart rendering failed: %s", result.get("error", "timed out"))
        return None
    return result["images"]  # type: ignore[return-value]
