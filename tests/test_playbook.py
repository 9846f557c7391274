"""The playbook view: configured or default plan, live fallbacks, review reminders."""

from __future__ import annotations

from datetime import date, timedelta

from support_alerts import T0, make_outage, make_settings

from monitors.analysis.playbook import (
    playbook_for,
    playbook_lines,
    playbooks_for_down,
    review_reminder,
    states_from_outages,
)

TODAY = date(2026, 6, 1)


def _view(platform_id, states=None, **playbook):
    settings = make_settings(playbooks={platform_id: playbook} if playbook else None)
    states = states or {p.id: "up" for p in settings.platforms}
    return playbook_for(settings.platform(platform_id), settings.platforms, states, today=TODAY)


def test_a_business_without_a_playbook_gets_sensible_defaults():
    view = _view("instagram")
    assert view.is_default
    assert [f.name for f in view.fallbacks] == [
        "Email list", "SMS", "Another platform that is up", "Website notice"
    ]
    text = "\n".join(view.steps)
    assert "Email your customer list" in text and "SMS" in text
    assert "Pin a notice on your website" in text
    assert "No playbook configured" in view.reminder


def test_another_platform_means_one_that_is_up_and_not_of_the_same_provider():
    settings = make_settings()
    states = {p.id: "up" for p in settings.platforms} | {"linkedin": "down", "instagram": "down"}
    view = playbook_for(settings.platform("instagram"), settings.platforms, states, today=TODAY)
    (another,) = [f for f in view.fallbacks if f.kind == "another"]
    assert "LinkedIn" not in another.alternatives  # down
    assert "Facebook" not in another.alternatives  # Meta fails together with Instagram
    assert "Slack" in another.alternatives and another.usable
    assert "Post the update on Slack, X, Reddit." in view.steps


def test_configured_fallbacks_say_which_are_up_right_now():
    states = {"linkedin": "up", "x": "down", "instagram": "down"}
    view = _view("instagram", states, fallbacks=["email", "linkedin", "X"], steps=["Pause ads"],
                 reviewed=str(TODAY - timedelta(days=10)))
    assert [f.describe() for f in view.fallbacks] == ["Email list", "LinkedIn (up)", "X (down)"]
    assert [f.name for f in view.usable_fallbacks] == ["Email list", "LinkedIn"]
    assert view.steps == ("Pause ads",) and not view.is_default
    assert view.reminder is None


def test_a_playbook_reviewed_more_than_90_days_ago_gets_a_reminder():
    old = TODAY - timedelta(days=91)
    view = _view("x", fallbacks=["email"], reviewed=str(old))
    assert view.reminder == f"Playbook last reviewed {old.isoformat()} (91 days ago): review it."
    assert review_reminder(TODAY - timedelta(days=90), TODAY) is None
    assert "no review date" in review_reminder(None, TODAY)


def test_the_dashboard_gets_one_playbook_per_platform_that_is_down_or_degraded():
    settings = make_settings()
    outages = [make_outage("x"), make_outage("reddit", severity="degraded"),
               make_outage("slack", end=T0)]
    states = states_from_outages(outages, settings.platforms)
    assert (states["x"], states["reddit"], states["slack"]) == ("down", "degraded", "up")
    views = playbooks_for_down(settings.platforms, states, today=TODAY)
    assert [v.platform for v in views] == ["x", "reddit"]


def test_playbook_lines_number_the_steps_and_flag_defaults():
    lines = playbook_lines(_view("x"))
    assert lines[0].startswith("Fallbacks: Email list; SMS; Another platform that is up: ")
    assert lines[1].startswith("1. Email your customer list")
    assert lines[-1] == "(default playbook: no plan configured for this platform)"


def test_ads_get_paused_first_when_the_platform_carries_ad_spend():
    settings = make_settings()
    platform = settings.platform("x").model_copy(
        update={"impact": settings.platform("x").impact.model_copy(
            update={"ad_spend_per_day": 50.0})}
    )
    view = playbook_for(platform, settings.platforms, {}, today=TODAY)
    assert view.steps[0] == "Pause X ads until it is back."
