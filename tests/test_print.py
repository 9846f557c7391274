"""The meeting report on paper: Chromium prints it to an A4 PDF that keeps its severity
colours and breaks pages between sections, never inside a table's rows."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import support_browser as browser
import support_dashboard as story

from monitors.output import report, report_html

sync_api = pytest.importorskip("playwright.sync_api")
needs_chromium = pytest.mark.skipif(browser.chromium() is None, reason="needs Debian's chromium")
needs_poppler = pytest.mark.skipif(not (shutil.which("pdftotext") and shutil.which("pdftoppm")),
                                   reason="needs poppler-utils (pdftotext, pdftoppm)")
PLATFORMS = ["Facebook", "Instagram", "WhatsApp", "X", "LinkedIn", "YouTube", "TikTok"]
RED, AMBER = (0xdc, 0x26, 0x26), (0xf5, 0x9e, 0x0b)


def test_the_print_rules_keep_colours_and_break_between_sections():
    css = report_html.CSS
    assert "print-color-adjust: exact" in css and "-webkit-print-color-adjust: exact" in css
    printing = css[css.index("@media print"):]
    assert "break-inside: avoid" in printing and "break-before: page" in printing
    html = report_html.render(_empty_report())
    assert '<section class="page"><h2 id="incidents">Incident list</h2>' in html
    assert html.count('<section class="block') >= 5  # each heading with its table or chart


def _empty_report() -> report_html.ReportData:
    import pandas as pd

    from monitors.timeutil import parse_window

    now = datetime(2026, 5, 6, 12, tzinfo=UTC)
    return report_html.ReportData(
        business="", tz="UTC", currency="GBP", window=parse_window("7d", end=now),
        generated_at=now, window_label="7 d",
        summary=pd.DataFrame(columns=["platform", "name", "provider", "uptime_pct", "down_s",
                                      "degraded_s", "incidents", "impact", "currency"]),
        comparison=pd.DataFrame(columns=["Measure", "This window", "Previous window",
                                         "Change"]),
        incidents=pd.DataFrame(), providers=pd.DataFrame(), impact=pd.DataFrame(),
        assumptions=[], values=pd.DataFrame())


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> dict:
    """The story's 30-day report (charts included) printed by Chromium to an A4 PDF, with
    default print settings (background graphics off), and the text of each page."""
    folder = tmp_path_factory.mktemp("print")
    data = folder / "data"
    now = datetime.now(UTC)
    settings = story.build(data, days=12, now=now)
    html = folder / "report.html"
    html.write_text(report.build_report(settings, "30d", now=now), encoding="utf-8")
    pdf = folder / "report.pdf"
    with sync_api.sync_playwright() as pw:
        chrome = browser.launch(pw)
        page = chrome.new_page()
        page.goto(html.as_uri())
        page.pdf(path=str(pdf), format="A4")
        chrome.close()
    pages = _pdf_pages(pdf)
    return {"pdf": pdf, "pages": pages, "folder": folder}


def _pdf_pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    count = int(next(line.split()[-1] for line in info.stdout.splitlines()
                     if line.startswith("Pages:")))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           capture_output=True, text=True, check=True).stdout
            for n in range(1, count + 1)]


def _page_of(pages: list[str], text: str) -> int:
    (index,) = [i for i, page in enumerate(pages) if text in page]
    return index


@needs_chromium
@needs_poppler
def test_the_pdf_is_a4_and_starts_with_the_headline_and_the_timeline(printed):
    info = subprocess.run(["pdfinfo", str(printed["pdf"])], capture_output=True, text=True)
    assert "(A4)" in info.stdout
    first = printed["pages"][0]
    assert "outage report" in first and "AVERAGE UPTIME" in first and "Outage timeline" in first


@needs_chromium
@needs_poppler
def test_no_table_is_split_across_pages(printed):
    pages = printed["pages"]
    uptime = _page_of(pages, "Uptime per platform")
    body = pages[uptime][pages[uptime].index("Uptime per platform"):]
    assert all(name in body for name in PLATFORMS), "the uptime table ran onto the next page"
    comparison = _page_of(pages, "This window vs the previous one")
    assert all(m in pages[comparison] for m in ("Average uptime", "Time down", "Outages",
                                                "Estimated impact"))
    values = _page_of(pages, "Sales / hour".upper())
    assert "Assumptions" in pages[values]
    assert all(name in pages[values].split("SALES / HOUR")[1] for name in PLATFORMS)


@needs_chromium
@needs_poppler
def test_the_incident_list_starts_a_page_and_no_row_is_cut(printed):
    pages = printed["pages"]
    index = _page_of(pages, "Incident list")
    assert pages[index].strip().startswith("Incident list")
    rows = [line for page in pages[index:] for line in page.splitlines()
            if line.strip().startswith(tuple(PLATFORMS)) and ":" in line]
    assert len(rows) >= 6
    for page in pages[index:]:  # a row that goes on over a page would leave a stub line
        lines = [line for line in page.splitlines() if line.strip()]
        starts = ("Incident list", "PLATFORM", "INCIDENT", "Several platforms", "Assumptions")
        if lines and not lines[0].strip().startswith(starts):
            pytest.fail(f"a page starts in the middle of a row: {lines[0]!r}")


@needs_chromium
@needs_poppler
def test_the_severity_pills_keep_their_colours_on_paper(printed):
    index = _page_of(printed["pages"], "Incident list")
    png = printed["folder"] / "incidents"
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", str(index + 1), "-l", str(index + 1),
                    "-singlefile", str(printed["pdf"]), str(png)], check=True)
    from PIL import Image

    pixels = list(Image.open(f"{png}.png").convert("RGB").getdata())
    assert _near(pixels, RED) > 20, "the red 'Down' pills printed without their colour"
    assert _near(pixels, AMBER) > 20, "the amber 'Degraded' pills printed without their colour"


def _near(pixels: list[tuple[int, int, int]], colour: tuple[int, int, int]) -> int:
    return sum(1 for p in pixels if all(abs(a - b) <= 24 for a, b in zip(p, colour,
                                                                          strict=True)))
