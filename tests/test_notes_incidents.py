"""Notes stay on their incident: through the CLI, a restart, a compaction, a recomputation of the
stored months and a re-detection that moves a start; bad ids exit 2 with one line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ROOT
from support_samples import CONFIG, combine, rounds, write_history

from monitors.__main__ import main
from monitors.analysis import stored
from monitors.analysis.incident_notes import find_incident, notes_for
from monitors.analysis.intervals import to_ns
from monitors.analysis.notes import attach, id_of
from monitors.analysis.windows import analyse_history
from monitors.config import load_settings
from monitors.history import compact, notes, store_for
from monitors.timeutil import Window, utcnow

INSTA = "." * 60 + "X" * 10 + "." * 80
FACEBOOK = "." * 62 + "XXXX" + "." * 84


@pytest.fixture
def live(data_dir, tmp_path):
    """History of the last 3 hours: Instagram and Facebook went down together, now over."""
    start = (utcnow() - timedelta(hours=3)).replace(second=0, microsecond=0)
    write_history(str(data_dir), combine(rounds(INSTA, start=start),
                                         rounds(FACEBOOK, start=start, platform="facebook")))
    config = tmp_path / "pulse.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return {"args": ["--config", str(config), "--data", str(data_dir)], "start": start,
            "settings": load_settings(str(config), str(data_dir))}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _ids(capsys, args) -> list[str]:
    code, out, _ = run(capsys, "incidents", "--json", *args)
    assert code == 0
    return [o["id"] for o in json.loads(out)]


def test_incidents_json_gives_each_incident_a_stable_id(live, capsys):
    first = _ids(capsys, live["args"])
    insta_start = live["start"] + timedelta(minutes=60)
    assert first[0] == f"insta-{insta_start:%Y%m%dt%H%M%S}z"
    assert _ids(capsys, live["args"]) == first  # detected again: the same ids
    assert _ids(capsys, [*live["args"], "--since", "24h"]) == first  # another window too


def test_a_note_is_kept_listed_and_survives_a_restart(live, capsys):
    ident = _ids(capsys, live["args"])[0]
    code, out, err = run(capsys, "note", ident, "Paused the Instagram ads", "--by", "Ana",
                         *live["args"])
    assert (code, err) == (0, "") and f"added to {ident}" in out
    # another process (a restart): the note comes from the data folder
    listed = subprocess.run([sys.executable, "-m", "monitors", "note", ident, "--list",
                             "--json", *live["args"]], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    doc = json.loads(listed.stdout)
    assert [(n["by"], n["kind"], n["text"]) for n in doc["notes"]] == [
        ("Ana", "did", "Paused the Instagram ads")]


def test_an_edit_keeps_the_history_and_shows_the_new_text(live, capsys):
    ident = _ids(capsys, live["args"])[0]
    run(capsys, "note", ident, "Paused ads", "--by", "Ana", *live["args"])
    note_id = notes.read(store_for(live["settings"]))[0].record
    code, out, _ = run(capsys, "note", ident, "Paused the ads at 13:05", "--edit", note_id,
                       "--by", "Ben", *live["args"])
    assert code == 0 and "revision 2" in out
    entry = notes_for(live["settings"], [find_incident(live["settings"], ident)])[ident]
    assert [n.text for n in entry.notes] == ["Paused the ads at 13:05"]
    assert [r.text for r in entry.revisions[note_id]] == ["Paused ads", "Paused the ads at 13:05"]


@pytest.mark.parametrize("argv, message", [
    (["note", "insta-20240101t000000z", "text"], "incident: no incident 'insta-20240101t000000z'"),
    (["note", "not-an-id", "text"], "ids look like instagram-"),
    (["note", "nope-20240101t000000z", "text"], "incident: no incident"),
    (["ack", "insta-29990101t000000z"], "incident: no incident"),
])
def test_a_wrong_id_exits_2_with_one_line(live, capsys, argv, message):
    code, out, err = run(capsys, *argv, *live["args"])
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_note_without_text_or_too_long_exits_2(live, capsys):
    ident = _ids(capsys, live["args"])[0]
    code, _, err = run(capsys, "note", ident, *live["args"])
    assert code == 2 and err.startswith("error: text:")
    code, _, err = run(capsys, "note", ident, "x" * 2001, *live["args"])
    assert code == 2 and "at most 2,000" in err
    code, _, err = run(capsys, "note", ident, "x", "--edit", "n0", *live["args"])
    assert code == 2 and err.startswith("error: --edit: no note")
    assert notes.read(store_for(live["settings"])) == []


def test_an_incident_that_is_over_cannot_be_acknowledged(live, capsys):
    ident = _ids(capsys, live["args"])[0]
    code, _, err = run(capsys, "ack", ident, "--by", "Ana", *live["args"])
    assert code == 2 and "is over" in err


def test_a_note_survives_a_compaction(live, capsys, data_dir):
    ident = _ids(capsys, live["args"])[0]
    run(capsys, "note", ident, "Emailed the list", *live["args"])
    before = sorted(p.relative_to(data_dir) for p in (data_dir / "notes").rglob("*.json"))
    late = live["start"] + timedelta(hours=2, minutes=40)
    write_history(str(data_dir), rounds("." * 5, start=late), compact=False)
    compact(str(data_dir))
    notes.clear_cache()
    after = sorted(p.relative_to(data_dir) for p in (data_dir / "notes").rglob("*.json"))
    assert after == before
    code, out, _ = run(capsys, "note", ident, "--list", *live["args"])
    assert code == 0 and "Emailed the list" in out


# ------------------------------------------------------------------ stored months
JAN = datetime(2024, 1, 28, tzinfo=UTC)
NOW = datetime(2024, 2, 10, tzinfo=UTC)


@pytest.fixture
def january(tmp_path):
    """Four days at the end of January 2024, two Instagram outages; January is complete."""
    data = tmp_path / "data"
    day = 1440
    pattern = ["."] * (4 * day)
    pattern[day + 600: day + 615] = "X" * 15
    pattern[2 * day + 900: 2 * day + 940] = "M" * 40
    write_history(str(data), rounds("".join(pattern), start=JAN))
    config = tmp_path / "pulse.toml"
    config.write_text(CONFIG, encoding="utf-8")
    return load_settings(str(config), str(data))


def _window() -> Window:
    return Window(JAN, JAN + timedelta(days=5))


def test_a_note_stays_on_its_incident_when_the_stored_months_are_recomputed(january):
    settings = january
    live = analyse_history(settings, _window(), now=NOW, materialised=False).outages
    assert len(live) == 2
    target = live[1]
    notes.write(store_for(settings), notes.make(
        "note", incident=target.id, platform=target.platform, start=target.start,
        end=target.end, by="Ana", text="Media CDN: posted on LinkedIn", kind="did"))
    assert stored.materialise(settings, now=NOW)["months_written"] >= 1
    analysis = settings.data + "/analysis"
    month = next(Path(analysis).rglob("month=2024-01.json"))
    used, _ = stored.middle(settings, settings.platforms, to_ns(JAN),
                            to_ns(JAN + timedelta(days=5)))
    assert "insta" in used  # the window's analysis does read the stored month
    from_store = analyse_history(settings, _window(), now=NOW).outages
    assert [o.id for o in from_store] == [o.id for o in live]
    shutil.rmtree(analysis)  # recomputed from scratch
    stored.clear_cache()
    assert stored.materialise(settings, now=NOW)["months_written"] >= 1
    assert month.exists()
    notes.clear_cache()
    again = analyse_history(settings, _window(), now=NOW).outages
    placed = notes_for(settings, again, now=NOW)
    assert list(placed) == [target.id]
    assert placed[target.id].notes[0].text == "Media CDN: posted on LinkedIn"


def test_a_note_follows_its_incident_when_a_re_detection_moves_the_start(january):
    settings = january
    outages = analyse_history(settings, _window(), now=NOW, materialised=False).outages
    first, second = outages
    moved = notes.make("note", incident=notes.incident_id("insta", first.start
                                                          - timedelta(minutes=2)),
                       platform="insta", start=first.start - timedelta(minutes=2),
                       end=first.end - timedelta(minutes=1), by="Ana", text="early view")
    ongoing = notes.make("ack", incident="insta-20240129t000000z", platform="insta",
                         start=second.start + timedelta(minutes=3), end=None,
                         at=second.start + timedelta(minutes=5), by="Ben")
    other = notes.make("note", incident="insta-20240101t000000z", platform="insta",
                       start=datetime(2024, 1, 1, tzinfo=UTC), end=datetime(2024, 1, 1, 1,
                                                                            tzinfo=UTC),
                       by="Cy", text="long ago")
    placed = attach(outages, [moved, ongoing, other], now=NOW)
    assert [n.text for n in placed[id_of(first)].notes] == ["early view"]
    assert placed[id_of(second)].ack.by == "Ben"
    assert all(n.text != "long ago" for e in placed.values() for n in e.notes)


def test_ack_on_a_live_outage_is_stored_and_listed(data_dir, tmp_path, capsys):
    start = (utcnow() - timedelta(minutes=30)).replace(second=0, microsecond=0)
    write_history(str(data_dir), rounds("." * 20 + "X" * 9, start=start))
    config = tmp_path / "pulse.toml"
    config.write_text(CONFIG, encoding="utf-8")
    args = ["--config", str(config), "--data", str(data_dir)]
    (ident,) = _ids(capsys, args)
    code, out, err = run(capsys, "ack", ident, "--by", "Ana", *args)
    assert (code, err) == (0, "") and "Ana is on it" in out and "reminders for it stop" in out
    code, out, _ = run(capsys, "note", ident, "--list", *args)
    assert code == 0 and "Ana is on it (since" in out and "No notes yet." in out
    (record,) = notes.read(store_for(load_settings(str(config), str(data_dir))))
    assert (record.type, record.incident, record.end) == ("ack", ident, None)
