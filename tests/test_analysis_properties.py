"""Properties of detection, uptime and impact over generated sample sequences (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support_samples import T0, business, combine, monitor, platform, rounds

from monitors.analysis.coverage import unknown_spans
from monitors.analysis.impact import estimate
from monitors.analysis.incidents import Outage, detect, detect_timeline
from monitors.analysis.uptime import analyse
from monitors.config import Impact
from monitors.timeutil import Window

PATTERN = st.text(alphabet=".XDTM5SO?PW-", max_size=60)
# mostly up with a few failures: hours that hold only blips exist and get skipped
SPARSE = st.text(alphabet=st.sampled_from("." * 30 + "XDTM5SO?PW-"), max_size=120)
VANTAGES = ("eu", "us", "ap")
PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
VALUE = Impact(revenue_per_hour=120, leads_per_hour=3, lead_value=15, ad_spend_per_day=96,
               recapture=0.4)


@st.composite
def scenarios(draw, intervals=(60,), patterns=PATTERN):
    """Samples of one or two platforms seen from one to three vantages, and a monitor."""
    interval = draw(st.sampled_from(intervals))
    n_vantages = draw(st.integers(1, 3))
    frames = []
    for pid in draw(st.lists(st.sampled_from(["insta", "fb"]), min_size=1, max_size=2,
                             unique=True)):
        for vantage in VANTAGES[:n_vantages]:
            offset = timedelta(seconds=draw(st.integers(0, 59)))
            frames.append(rounds(draw(patterns), platform=pid, vantage=vantage,
                                 start=T0 + offset, interval_s=interval))
    watched = monitor(confirm=draw(st.integers(1, 4)), recover=draw(st.integers(1, 4)),
                      quorum=draw(st.sampled_from([0.0, 0.34, 0.5, 0.67])), interval=interval)
    return combine(*frames), watched


PLATFORMS = [platform("insta", impact=VALUE), platform("fb", impact=VALUE)]
WINDOW = Window(T0 - timedelta(minutes=5), T0 + timedelta(minutes=70))


@PROPERTY
@given(scenarios())
def test_uptime_is_always_between_0_and_100(scenario):
    samples, watched = scenario
    result = analyse(samples, PLATFORMS, watched, business(), WINDOW, now=WINDOW.end)
    for frame in (result.uptime, result.daily):
        known = frame["uptime_pct"].dropna().to_numpy()
        assert ((known >= 0) & (known <= 100)).all()
        assert (frame["down_s"] <= frame["known_s"] + 1e-6).all()
        assert (frame[["down_s", "degraded_s", "unknown_s", "known_s"]] >= -1e-6).all().all()


@PROPERTY
@given(scenarios())
def test_outages_of_one_platform_never_overlap(scenario):
    samples, watched = scenario
    outages = detect(samples, PLATFORMS, watched)
    for pid in ("insta", "fb"):
        mine = sorted((o for o in outages if o.platform == pid), key=lambda o: o.start)
        for outage in mine:
            assert outage.end is None or outage.start < outage.end
            assert outage.detected_at >= outage.start
        for earlier, later in pairwise(mine):
            assert earlier.end is not None and earlier.end <= later.start


@PROPERTY
@given(scenarios(), st.randoms(use_true_random=False))
def test_merging_the_same_samples_twice_changes_nothing(scenario, rnd):
    samples, watched = scenario
    once = detect(samples, PLATFORMS, watched, now=WINDOW.end, business=business())
    twice = combine(samples, samples)
    shuffled = twice.iloc[rnd.sample(range(len(twice)), len(twice))]
    assert detect(shuffled, PLATFORMS, watched, now=WINDOW.end, business=business()) == once


@PROPERTY
@given(scenarios(intervals=(60, 600, 1800), patterns=SPARSE | PATTERN))
def test_skipping_hours_that_can_only_hold_blips_changes_nothing(scenario):
    samples, watched = scenario
    fast = detect_timeline(samples, PLATFORMS, watched, prefilter=True)
    full = detect_timeline(samples, PLATFORMS, watched, prefilter=False)
    assert fast.outages == full.outages
    for pid, spans in unknown_spans(full).items():
        assert unknown_spans(fast)[pid].total_s == spans.total_s


ZONES = st.sampled_from(["Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC",
                         "Asia/Kolkata"])
HOURS = st.sampled_from(["Mon-Fri 09:00-18:00", "always", "never", "Sun 01:00-02:30",
                         "Mon-Sun 00:00-12:00; Sat 13:00-14:00"])


@PROPERTY
@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                       timezones=st.just(UTC)),
    shorter=st.integers(0, 4 * 24 * 3600),
    extra=st.integers(0, 4 * 24 * 3600),
    severity=st.sampled_from(["down", "degraded"]),
    zone=ZONES, hours=HOURS,
    off=st.floats(0, 1), factor=st.floats(0, 1),
)
def test_impact_is_never_negative_and_grows_with_the_outage(
    start, shorter, extra, severity, zone, hours, off, factor
):
    shop = business(timezone=zone, hours=hours, off_hours_weight=off, degraded_factor=factor)

    def cost(seconds: int) -> float:
        outage = Outage(platform="insta", provider="Meta", start=start,
                        end=start + timedelta(seconds=seconds), detected_at=start,
                        severity=severity, cause="x")
        result = estimate(outage, VALUE, shop)
        assert min(result.amount, result.revenue, result.leads, result.ad_spend) >= 0
        return result.amount

    assert cost(shorter) <= cost(shorter + extra) + 1e-9
    assert np.isfinite(cost(shorter + extra))
