"""events_from_state: one event per state change, provider merges, reminders, digest (pure)."""

from __future__ import annotations

from datetime import timedelta

from support_alerts import T0, impact, make_outage, make_settings

from monitors.alerts import DIGEST_AFTER, AlertEvent, events_from_state

MIN = timedelta(minutes=1)


def _run(state, outages, now, settings=None, *, offline=False, vantage=None):
    return events_from_state(state, outages, vantage_offline=offline, now=now,
                             settings=settings or make_settings(), vantage=vantage)


def test_it_opens_once_and_stays_quiet_while_nothing_changes():
    outage = make_outage("linkedin")
    events, state = _run({}, [outage], T0 + 2 * MIN)
    assert [(e.kind, e.platforms) for e in events] == [("opened", ("linkedin",))]
    again, state = _run(state, [outage], T0 + 3 * MIN)
    assert again == []
    assert state["platforms"]["linkedin"]["severity"] == "down"


def test_it_does_not_touch_the_previous_state_it_was_given():
    previous: dict = {}
    _run(previous, [make_outage("linkedin")], T0)
    assert previous == {}


def test_the_opened_message_says_what_since_when_why_what_it_costs_and_what_to_do():
    outage = make_outage(
        "linkedin", cause="TLS / certificate", checks=("web",), ok_checks=("api",),
        official_title="Degraded performance of the feed", sources=("probe", "official"),
        impact=impact(1234.4), vantages=("hq", "branch"),
    )
    (event,), _ = _run({}, [outage], T0 + 12 * MIN)
    assert event.title == "LinkedIn down"
    body = event.body
    assert "Since Mon 01 Jun 14:05 BST (12m so far)." in body  # business timezone
    assert "Probable cause: TLS / certificate." in body
    assert "Failing: web; still working: api." in body
    assert "Vendor status: Degraded performance of the feed" in body
    assert "Impact so far: about USD 1,234 (estimate)." in body
    assert "Seen from: hq, branch." in body
    assert "Pin a notice on your website" in body  # default playbook
    assert body.rstrip().endswith("Dashboard: http://127.0.0.1:8501/")


def test_it_shows_the_configured_playbook_with_which_fallbacks_are_up():
    settings = make_settings(playbooks={"instagram": {
        "fallbacks": ["email", "linkedin", "facebook"],
        "steps": ["Pause Instagram ads", "Post the offer on LinkedIn"],
    }})
    outages = [make_outage("instagram")]
    (event,), _ = _run({}, outages, T0, settings)
    assert "Fallbacks: Email list; LinkedIn (up); Facebook (up)" in event.body
    assert "1. Pause Instagram ads\n" in event.body
    assert "2. Post the offer on LinkedIn" in event.body


def test_it_resolves_with_duration_and_impact():
    _, state = _run({}, [make_outage("linkedin")], T0 + 2 * MIN)
    ended = make_outage("linkedin", end=T0 + 65 * MIN, impact=impact(300))
    (event,), state = _run(state, [ended], T0 + 66 * MIN)
    assert event.kind == "resolved"
    assert event.title == "LinkedIn back up after 1h 05m"
    assert "from Mon 01 Jun 14:05 BST to Mon 01 Jun 15:10 BST" in event.body
    assert "Estimated impact: about USD 300 (estimate)." in event.body
    assert state["platforms"] == {}


def test_an_outage_missing_from_detection_is_resolved_only_after_a_grace_period():
    _, state = _run({}, [make_outage("linkedin")], T0)
    early, state = _run(state, [], T0 + 2 * MIN)
    assert early == []
    (late,), state = _run(state, [], T0 + 6 * MIN)
    assert late.kind == "resolved" and "no longer detected" in late.body


def test_a_provider_wide_outage_is_one_message_naming_every_platform():
    outages = [make_outage(p) for p in ("facebook", "instagram", "whatsapp")]
    events, state = _run({}, outages, T0 + MIN)
    assert len(events) == 1
    assert events[0].kind == "provider"
    assert events[0].title == "Meta: Facebook, Instagram, WhatsApp down"
    assert set(state["platforms"]) == {"facebook", "instagram", "whatsapp"}
    assert events[0].body.count("What to do") == 1  # one plan, not the same steps three times
    assert "problems with Facebook, Instagram and WhatsApp" in events[0].body
    ended = [make_outage(p, end=T0 + 30 * MIN) for p in ("facebook", "instagram", "whatsapp")]
    (back,), _ = _run(state, ended, T0 + 31 * MIN)
    assert back.title == "Meta: Facebook, Instagram, WhatsApp back up"


def test_a_platform_joining_a_provider_outage_names_the_whole_provider():
    _, state = _run({}, [make_outage("facebook")], T0)
    outages = [make_outage("facebook"), make_outage("instagram", T0 + 2 * MIN)]
    (event,), _ = _run(state, outages, T0 + 3 * MIN)
    assert event.title == "Meta: Facebook, Instagram down"
    assert "Instagram (new):" in event.body


def test_many_changes_at_once_become_one_digest():
    ids = ["facebook", "slack", "linkedin", "x", "reddit", "discord"]
    outages = [make_outage(p, provider=f"own-{p}") for p in ids]
    events, _ = _run({}, outages, T0)
    assert len(ids) > DIGEST_AFTER
    (digest,) = events
    assert digest.kind == "digest" and len(digest.parts) == len(ids)
    assert digest.title == f"Platform Pulse: {len(ids)} changes"
    assert "- Slack down since" in digest.body


def test_it_reminds_after_the_renotify_interval_and_not_before():
    settings = make_settings(renotify_after="1h")
    _, state = _run({}, [make_outage("linkedin")], T0, settings)
    quiet, state = _run(state, [make_outage("linkedin")], T0 + 59 * MIN, settings)
    assert quiet == []
    (reminder,), state = _run(state, [make_outage("linkedin")], T0 + 61 * MIN, settings)
    assert reminder.reminder and reminder.title.startswith("Still: LinkedIn down (1h 01m)")
    quiet, _ = _run(state, [make_outage("linkedin")], T0 + 90 * MIN, settings)
    assert quiet == []


def test_a_degraded_outage_turning_down_is_a_new_message():
    degraded = make_outage("linkedin", severity="degraded", checks=("media",), ok_checks=("web",))
    (first,), state = _run({}, [degraded], T0)
    assert (first.kind, first.title) == ("degraded", "LinkedIn degraded: media down, web up")
    worse = make_outage("linkedin", down_spans=((T0 + 5 * MIN, None),))
    (second,), state = _run(state, [worse], T0 + 6 * MIN)
    assert second.kind == "opened" and second.key != first.key
    assert second.title == "LinkedIn down"


def test_an_outage_in_its_recovery_rounds_sends_nothing_until_it_closes():
    _, state = _run({}, [make_outage("linkedin")], T0)
    recovering = make_outage("linkedin", down_spans=((T0, T0 + 5 * MIN),))
    quiet, state = _run(state, [recovering], T0 + 6 * MIN)
    assert quiet == []
    (closed,), _ = _run(state, [make_outage("linkedin", end=T0 + 5 * MIN)], T0 + 7 * MIN)
    assert closed.kind == "resolved"


def test_own_network_loss_is_one_message_and_freezes_platform_state():
    _, state = _run({}, [make_outage("linkedin")], T0)
    (offline,), state = _run(state, [], T0 + 10 * MIN, offline=True)
    assert offline.kind == "vantage_offline" and "'hq' lost its own network" in offline.title
    again, state = _run(state, [], T0 + 20 * MIN, offline=True)
    assert again == []  # and LinkedIn was not declared resolved while we could not see
    events, state = _run(state, [make_outage("linkedin")], T0 + 25 * MIN)
    assert [e.kind for e in events] == ["vantage_online"]
    assert "back online after 15m" in events[0].title


def test_vantages_keep_their_own_network_state():
    (offline,), state = _run({}, [], T0, offline=True, vantage="branch")
    assert offline.key.startswith("vantage_offline:branch:")
    events, state = _run(state, [], T0 + MIN, vantage="hq")
    assert events == [] and "branch" in state["vantages"]


def test_events_survive_a_round_trip_through_json():
    outages = [make_outage(p, provider=f"own-{p}") for p in ("facebook", "slack", "linkedin",
                                                             "x", "reddit", "discord")]
    (digest,), _ = _run({}, outages, T0)
    assert AlertEvent.from_json(digest.to_json()) == digest
