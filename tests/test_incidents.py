"""Outage detection on hand-built sample sequences: one test per rule of DESIGN.md."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from support_samples import (
    INCIDENT_TITLE,
    T0,
    at,
    combine,
    frame,
    monitor,
    platform,
    rounds,
)

from monitors.analysis.incidents import (
    Outage,
    confirmed_spans,
    detect,
    group_by_provider,
    outage_to_json,
    probable_cause,
)

INSTA = platform("insta", name="Instagram")
LATENCY = timedelta(milliseconds=100)


def outages_of(samples, *platforms, **settings) -> list[Outage]:
    return detect(samples, list(platforms) or [INSTA], monitor(**settings))


def test_a_lone_failure_never_opens_an_outage():
    assert outages_of(rounds("....X....D....T....")) == []


def test_two_failed_rounds_open_an_outage_back_dated_to_the_first():
    [outage] = outages_of(rounds("...XXXX....."))
    assert outage.start == at(3)
    assert outage.detected_at == at(4) + LATENCY  # the end of the confirming round
    assert outage.end == at(7)  # the first good sample
    assert outage.severity == "down"
    assert (outage.platform, outage.provider, outage.name) == ("insta", "Meta", "Instagram")


def test_confirm_and_recover_counts_come_from_the_monitor():
    samples = rounds("..XX..XXX.XX...")
    [outage] = outages_of(samples, confirm=3, recover=3)
    assert (outage.start, outage.end) == (at(6), at(12))


def test_a_short_recovery_inside_an_outage_does_not_close_it():
    [outage] = outages_of(rounds("..XXX.XX.XXX.."))
    assert (outage.start, outage.end) == (at(2), at(12))


def test_flapping_single_failures_open_no_outage():
    assert outages_of(rounds(".X.X.X.X.X.X.X.X.")) == []
    # the same sequence with confirm=1 does open outages: the rule is what keeps it quiet
    assert len(outages_of(rounds(".X.X.X.X.X.X.X.X."), confirm=1, recover=1)) == 8


def test_an_outage_that_has_not_recovered_is_ongoing():
    [outage] = outages_of(rounds("....XXXX."))
    assert outage.end is None
    assert outage.duration_s(now=at(10)) == 6 * 60


def test_a_timeout_round_is_detected_when_the_check_timeout_ran_out():
    [outage] = outages_of(rounds("..TTT..."), timeout=7)
    assert outage.detected_at == at(3) + timedelta(seconds=7)


def test_a_media_only_failure_gives_a_degraded_outage_naming_media():
    [outage] = outages_of(rounds("...MMMM..."))
    assert outage.severity == "degraded"
    assert outage.checks == ("media",)
    assert outage.ok_checks == ("web",)
    assert outage.cause == "overload or attack (timeouts)"
    assert outage.headline == "Instagram: media down, web up"
    assert outage.down_spans == ()


def test_when_every_surface_fails_the_outage_is_down_with_no_surface_up():
    [outage] = outages_of(rounds("...XXX..."))
    assert outage.checks == ("media", "web")
    assert outage.ok_checks == ()


def test_a_degraded_outage_that_escalates_stays_one_outage_with_its_worst_severity():
    [outage] = outages_of(rounds("..MMMXXMM.."))
    assert (outage.start, outage.end, outage.severity) == (at(2), at(9), "down")
    assert outage.down_spans == ((at(5), at(7)),)


def test_slow_responses_are_a_degraded_outage():
    [outage] = outages_of(rounds("..SSS.."))
    assert (outage.severity, outage.cause, outage.checks) == ("degraded", "slow responses",
                                                              ("web",))


def test_an_outage_spanning_vantage_offline_rounds_stays_one_outage():
    [outage] = outages_of(rounds("..XX????XX..."))
    assert (outage.start, outage.end) == (at(2), at(10))
    assert outage.extra["failed_rounds"] == 4


def test_vantage_offline_rounds_alone_open_nothing():
    assert outages_of(rounds("..??????????..")) == []


def test_offline_rounds_do_not_break_a_recovery():
    [outage] = outages_of(rounds("..XX.?.X."))
    assert outage.end == at(4)


@pytest.mark.parametrize(
    ("char", "cause", "error"),
    [
        ("D", "DNS / routing (network-level)", "dns"),
        ("X", "servers unreachable", "connect"),
        ("T", "overload or attack (timeouts)", "timeout"),
        ("5", "server errors", "http_status"),
    ],
)
def test_the_probable_cause_comes_from_the_dominant_error(char, cause, error):
    [outage] = outages_of(rounds(f"..{char * 3}.."))
    assert (outage.cause, outage.error) == (cause, error)


def test_the_dominant_error_wins_over_a_rarer_one():
    [outage] = outages_of(rounds("..DXDDD.."))
    assert outage.cause == "DNS / routing (network-level)"


@pytest.mark.parametrize(
    ("error", "status", "cause"),
    [
        ("http_status", 429, "rate limited (HTTP 429)"),
        ("http_status", 404, "unexpected HTTP status (404)"),
        ("tls", None, "TLS / certificate problem"),
        ("keyword", None, "wrong or broken responses"),
        ("official_maintenance", None, "scheduled maintenance"),
        ("weird", None, "weird errors"),
    ],
)
def test_probable_cause_reads_as_plain_words(error, status, cause):
    assert probable_cause(error, status) == cause


def test_a_vendor_acknowledging_after_us_gives_a_positive_official_lag():
    samples = rounds("..XXXXXX...", official="....OOOOO..")
    [outage] = outages_of(samples)
    assert outage.sources == ("probe", "official")
    assert outage.official_lag_s == pytest.approx((at(4) - at(3) - LATENCY).total_seconds())
    assert outage.official_lag_s == pytest.approx(59.9)
    assert outage.official_title == INCIDENT_TITLE
    assert outage.cause == "servers unreachable"  # what we measured, the title is kept aside


def test_a_vendor_acknowledging_first_gives_a_negative_official_lag():
    samples = rounds(".....XXXX....", official=".OOOOOOOO....", status_page=True)
    [outage] = outages_of(samples)
    # the vendor's incident alone already made the platform degraded from round 1
    assert outage.start == at(1)
    assert outage.official_lag_s == pytest.approx((at(1) - at(2) - LATENCY).total_seconds())
    assert outage.official_lag_s < 0
    assert outage.severity == "down"


def test_a_vendor_incident_that_began_before_the_probes_failed_opens_the_outage_itself():
    samples = rounds("..........XXX..", official="...OOOOOOOOOO..")
    [outage] = outages_of(samples)
    assert outage.start == at(3)
    assert outage.sources == ("probe", "official")
    assert outage.official_lag_s == pytest.approx((at(3) - at(4) - LATENCY).total_seconds())


def test_a_vendor_incident_seen_through_offline_rounds_is_still_one_acknowledgement():
    samples = rounds("......XXXXX..", official="..OO??OOOOO..")
    [outage] = outages_of(samples, confirm=3)
    assert outage.start == at(6)  # two official rounds (2-3) are below confirm=3: a blip
    # the status page was unreadable in rounds 4-5, so the vendor's stretch runs on through them
    assert outage.official_lag_s == pytest.approx((at(2) - at(8) - LATENCY).total_seconds())


def test_an_official_incident_alone_is_a_degraded_outage_with_the_vendor_title_as_cause():
    [outage] = outages_of(rounds("..OOOO.."))
    assert outage.severity == "degraded"
    assert outage.sources == ("official",)
    assert outage.cause == INCIDENT_TITLE
    assert outage.error == "official_incident"
    assert outage.checks == ()
    assert outage.ok_checks == ("media", "web")


def test_a_single_official_round_is_a_blip():
    assert outages_of(rounds("...O...")) == []


def test_an_unrelated_vendor_incident_is_not_attached():
    samples = rounds("XX..........XXX..", official="OO...............")
    outages = outages_of(samples)
    assert outages[-1].start == at(12)
    assert outages[-1].official_lag_s is None
    assert outages[-1].sources == ("probe",)


def test_scheduled_maintenance_labels_the_outage():
    [outage] = outages_of(rounds("..WWWW.."))
    assert outage.maintenance is True
    assert outage.cause == "scheduled maintenance"
    assert "official" in outage.sources


def test_an_expiring_certificate_is_a_warning_not_an_outage():
    rows = []
    for i in range(6):
        rows.append({"ts": at(i), "vantage": "hq", "platform": "insta", "check": "web",
                     "kind": "tcp", "status": "up", "latency_ms": 20.0})
        rows.append({"ts": at(i), "vantage": "hq", "platform": "insta", "check": "cert",
                     "kind": "tls", "status": "degraded", "error": "cert_expiring",
                     "detail": "expires in 5 days"})
    assert outages_of(frame(rows)) == []


def test_samples_of_platforms_not_asked_for_are_ignored():
    samples = combine(rounds("..XXX..", platform="other"), rounds(".......", platform="insta"))
    assert outages_of(samples) == []


def test_empty_samples_give_no_outages():
    assert outages_of(rounds("")) == []


def test_a_platform_with_its_own_interval_is_judged_in_its_own_rounds():
    slow = platform("slow", interval=300)
    [outage] = outages_of(rounds("..XX...", platform="slow", interval_s=300), slow)
    assert (outage.start, outage.end) == (at(2, interval_s=300), at(4, interval_s=300))


def _three_vantages(a: str, b: str, c: str):
    return combine(
        rounds(a, vantage="eu"),
        rounds(b, vantage="us", start=T0 + timedelta(seconds=20)),
        rounds(c, vantage="broken", start=T0 + timedelta(seconds=40)),
    )


def test_one_broken_vantage_out_of_three_opens_nothing():
    samples = _three_vantages("............", "............", "XXXXXXXXXXXX")
    assert outages_of(samples) == []


def test_a_quorum_of_three_vantages_opens_an_outage_back_dated_to_the_first_report():
    samples = _three_vantages("...XXXX.....", "...XXXX.....", "XXXXXXXXXXXX")
    [outage] = outages_of(samples)
    assert (outage.start, outage.end) == (at(3), at(7))
    assert outage.vantages == ("broken", "eu", "us")
    # confirmed in the second failed bucket, once its last failing round had ended
    assert outage.detected_at == at(4) + timedelta(seconds=40) + LATENCY


def test_an_offline_vantage_is_left_out_of_the_quorum():
    samples = _three_vantages("...XXXX.....", "...??????...", "............")
    # eu down, us offline, broken (here healthy) up: 1 of 2 online is not more than half
    assert outages_of(samples) == []
    samples = _three_vantages("...XXXX.....", "...??????...", "...XXXX.....")
    [outage] = outages_of(samples)
    assert outage.vantages == ("broken", "eu")


def test_the_quorum_share_comes_from_the_monitor():
    samples = _three_vantages("...XXXX.....", "............", "............")
    assert outages_of(samples) == []
    assert len(outages_of(samples, quorum=0.3)) == 1


def test_degraded_is_decided_by_quorum_with_down_counting_towards_it():
    samples = _three_vantages("...XXXX.....", "...MMMM.....", "............")
    [outage] = outages_of(samples)
    assert outage.severity == "degraded"


def test_overlapping_outages_of_one_provider_are_grouped():
    fb, wa = platform("facebook", name="Facebook"), platform("whatsapp", name="WhatsApp")
    x = platform("x", name="X", provider="X Corp")
    samples = combine(
        rounds("..XXXXX.......", platform="facebook"),
        rounds("....XXXXXX....", platform="insta"),
        rounds("........XXX...", platform="whatsapp"),
        rounds("...XXX........", platform="x"),
    )
    outages = outages_of(samples, fb, INSTA, wa, x)
    [group] = group_by_provider(outages)
    assert group.provider == "Meta"
    assert group.platforms == ("facebook", "insta", "whatsapp")
    assert (group.start, group.end, group.severity) == (at(2), at(11), "down")
    assert group.title == "Meta: Facebook, Instagram, WhatsApp down"
    assert len(outages) == 4  # each platform keeps its own record


def test_outages_of_one_provider_that_do_not_overlap_are_not_grouped():
    fb = platform("facebook", name="Facebook")
    samples = combine(rounds("..XXX.........", platform="facebook"),
                      rounds("........XXX...", platform="insta"))
    assert group_by_provider(outages_of(samples, fb, INSTA)) == []


def test_an_ongoing_outage_keeps_its_provider_group_open():
    fb = platform("facebook", name="Facebook")
    samples = combine(rounds("..XXXXXXX", platform="facebook"),
                      rounds("....XXX..", platform="insta"))
    [group] = group_by_provider(outages_of(samples, fb, INSTA))
    assert group.end is None


def test_the_incident_json_follows_the_design_contract():
    samples = rounds("..XXXX.....", official="...OOO.....")
    [outage] = detect(samples, [INSTA], monitor(), business=None)
    data = outage_to_json(outage, now=at(20))
    assert data["start"] == "2024-05-06T12:02:00Z"
    assert data["end"] == "2024-05-06T12:06:00Z"
    assert data["detected_at"] == "2024-05-06T12:03:00.100000Z"
    assert data["duration_s"] == 240
    assert data["severity"] == "down"
    assert data["sources"] == ["probe", "official"]
    assert data["vantages"] == ["hq"]
    assert data["checks"] == ["media", "web"]
    assert data["official_lag_s"] == pytest.approx(-0.1)
    assert data["impact"] is None
    assert set(data) >= {"platform", "provider", "start", "end", "detected_at", "duration_s",
                         "severity", "cause", "sources", "vantages", "checks",
                         "official_lag_s", "impact"}


@pytest.mark.parametrize(
    ("pattern", "confirm", "recover", "expected"),
    [
        ("", 2, 2, []),
        ("F.F.F", 2, 2, []),
        ("FF..", 2, 2, [(0, 1, 2)]),
        ("FF.F..", 2, 2, [(0, 1, 4)]),
        ("..FFF", 2, 2, [(2, 3, None)]),
        ("FF..FF", 2, 2, [(0, 1, 2), (4, 5, None)]),
        ("FFF.FFF...", 3, 3, [(0, 2, 7)]),
    ],
)
def test_confirmed_spans_follow_confirm_and_recover(pattern, confirm, recover, expected):
    failing = np.array([c == "F" for c in pattern], bool)
    assert confirmed_spans(failing, confirm, recover) == expected


def test_failed_rounds_either_side_of_an_offline_stretch_are_consecutive():
    [outage] = outages_of(rounds("..X" + "?" * 20 + "X...."))
    assert (outage.start, outage.end) == (at(2), at(24))


def test_failed_rounds_either_side_of_missing_data_are_not_consecutive():
    # the sampler was not running for 20 minutes: nothing says these blips were one outage
    assert outages_of(rounds("..X" + "-" * 20 + "X....")) == []
    # but an outage that was already open runs on through the silence
    [outage] = outages_of(rounds("..XX" + "-" * 20 + "X...."))
    assert (outage.start, outage.end) == (at(2), at(25))
