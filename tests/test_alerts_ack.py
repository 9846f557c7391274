""""I'm on it": an acknowledged outage gets no reminders, and its next alert says who is on it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import timedelta

from conftest import ROOT
from support_alerts import T0, make_outage, make_settings

from monitors.alerts import events_from_state
from monitors.alerts.events import read_acks
from monitors.history import notes
from monitors.history.store import open_store

MIN = timedelta(minutes=1)


def _ack(outage, by: str = "Ana", at=None) -> notes.Record:
    return notes.make("ack", incident=outage.id, platform=outage.platform, start=outage.start,
                      end=None, by=by, at=at or outage.start + 3 * MIN)


def _run(state, outages, now, settings, acks=None):
    return events_from_state(state, outages, vantage_offline=False, now=now, settings=settings,
                             acks=acks)


def test_reminders_stop_once_someone_is_on_it():
    settings = make_settings(renotify_after="1h")
    outage = make_outage("linkedin")
    _, state = _run({}, [outage], T0 + 2 * MIN, settings, acks={})
    ack = {"linkedin": _ack(outage)}
    quiet, state = _run(state, [outage], T0 + 61 * MIN, settings, acks=ack)
    assert quiet == []
    quiet, state = _run(state, [outage], T0 + 125 * MIN, settings, acks=ack)
    assert quiet == [] and state["platforms"]["linkedin"]["ack"]["by"] == "Ana"
    (reminder,), _ = _run(state, [outage], T0 + 125 * MIN, settings, acks={})
    assert reminder.reminder  # without the acknowledgement the reminder is due


def test_the_next_alert_says_who_is_on_it(tmp_path):
    settings = make_settings(data=str(tmp_path / "data"))
    degraded = make_outage("linkedin", severity="degraded")
    _, state = _run({}, [degraded], T0 + 2 * MIN, settings)
    notes.write(open_store(settings.data), _ack(degraded, by="Ben"))
    down = make_outage("linkedin")  # the same outage, worse now
    (event,), state = _run(state, [down], T0 + 10 * MIN, settings)  # acks read from the folder
    assert event.kind == "opened"
    assert "Ben is on it (acknowledged Mon 01 Jun 14:08 BST)." in event.body
    ended = make_outage("linkedin", end=T0 + 30 * MIN)
    (resolved,), _ = _run(state, [ended], T0 + 31 * MIN, settings)
    assert resolved.kind == "resolved" and "Handled by Ben" in resolved.body


def test_an_ack_of_an_earlier_outage_does_not_silence_a_new_one(tmp_path):
    settings = make_settings(data=str(tmp_path / "data"))
    earlier = make_outage("linkedin", end=T0 + 20 * MIN)
    notes.write(open_store(settings.data), _ack(earlier))
    later = make_outage("linkedin", start=T0 + 90 * MIN)
    assert read_acks(settings, {"linkedin": later}, T0 + 95 * MIN) == {}
    assert read_acks(settings, {"linkedin": make_outage("linkedin")}, T0 + 5 * MIN)[
        "linkedin"].by == "Ana"


def test_a_provider_message_names_who_is_on_each_platform():
    settings = make_settings()
    outages = [make_outage("facebook"), make_outage("instagram")]
    (event,), _ = _run({}, outages, T0 + 5 * MIN, settings,
                       acks={"instagram": _ack(outages[1], by="Cy")})
    assert event.kind == "provider" and "Cy is on it" in event.body


_CHILD = textwrap.dedent("""
    import json, sys
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace
    from monitors.config import load_settings
    from monitors.alerts.events import read_acks
    from monitors.history import notes
    from monitors.history.store import open_store
    settings = load_settings(None, sys.argv[1])
    start = datetime(2026, 6, 1, 13, 5, tzinfo=UTC)
    outage = SimpleNamespace(platform="linkedin", start=start, end=None)
    notes.write(open_store(sys.argv[1]), notes.make(
        "ack", incident=notes.incident_id("linkedin", start), platform="linkedin",
        start=start, end=None, by="Dee", at=start + timedelta(minutes=2)))
    found = read_acks(settings, {"linkedin": outage}, start + timedelta(minutes=5))
    print(json.dumps({"by": found["linkedin"].by,
                      "loaded": [m for m in ("pandas", "duckdb", "plotly") if m in sys.modules]}))
""")


def test_the_sampler_reads_acknowledgements_without_loading_pandas(tmp_path):
    done = subprocess.run([sys.executable, "-c", _CHILD, str(tmp_path / "data")], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == {"by": "Dee", "loaded": []}


def test_the_alert_playbook_carries_the_lessons_of_past_reviews(tmp_path):
    settings = make_settings(data=str(tmp_path / "data"), playbooks={"instagram": {
        "fallbacks": ["email"], "steps": ["Pause Instagram ads"]}})
    earlier = make_outage("instagram", start=T0 - timedelta(days=20),
                          end=T0 - timedelta(days=20) + 30 * MIN)
    notes.write(open_store(settings.data), notes.make(
        "review", incident=earlier.id, platform="instagram", start=earlier.start,
        end=earlier.end, by="Ana", at=earlier.end + 60 * MIN, worked="email",
        didnt="nobody had the ads login", lesson="Keep the ads login in the shared vault"))
    (event,), _ = _run({}, [make_outage("instagram")], T0 + 5 * MIN, settings)
    day = (earlier.end + 60 * MIN).date().isoformat()
    assert f"Lesson from {day}: Keep the ads login in the shared vault" in event.body
