"""Real-world traces replayed through the real catalog, runner and detection (issue #15).

A shortened run of bench/realworld_replay.py's harness (bench/replay_lib.py) on the
episodes in tests/fixtures/realworld/: 5 minutes either side of each episode, episodes
capped at 20 minutes. Refusals (429, 999, 403, 400, 404) must open no outage; the
documented Cloudflare outage of 2025-12-05 (LinkedIn answering 500) and a trace that got no
answer at all must be caught. Every target is on 127.0.0.1.
"""

from __future__ import annotations

import sys

import pytest
from conftest import FIXTURES, ROOT

sys.path.insert(0, str(ROOT / "bench"))
import replay_lib

from monitors.config import default_platforms

REALWORLD = FIXTURES / "realworld"
DOCUMENTED = "cloudflare-2025-12-05"


@pytest.fixture(scope="module")
def episodes() -> list[replay_lib.Episode]:
    world = replay_lib.load(REALWORLD)
    return replay_lib.episodes_of(world, before=5, after=5, cap=20)


@pytest.fixture(scope="module")
def replayed(episodes: list[replay_lib.Episode]) -> dict[str, replay_lib.Result]:
    return {r.key: r for r in replay_lib.replay(episodes, lanes=4)}


def test_the_fixture_traces_become_episodes_on_the_catalogs_web_surfaces(episodes) -> None:
    kinds = sorted((e.platform, e.kind, e.documented or "") for e in episodes)
    assert kinds == [
        ("instagram", "refusal", ""),
        ("linkedin", "failure", DOCUMENTED),
        ("linkedin", "refusal", ""),
        ("reddit", "refusal", ""),
        ("x", "refusal", ""),
        ("x", "refusal", ""),
        ("youtube", "failure", ""),
    ]
    assert {e.surface for e in episodes} == {"web"}
    lasting = next(e for e in episodes if e.key.startswith("Oktyz/upptime|X|"))
    assert lasting.capped and len(lasting.minutes) == 5 + 20 + 5 + 1
    played = {code for e in episodes for _, code in e.minutes if code is not None}
    assert played == {0, 400, 403, 404, 429, 500, 999}


def test_every_replayed_check_targets_loopback_only() -> None:
    ports = {"http": 1, "https": 2, "tls": 3, "dns": 4}
    for platform in default_platforms():
        local = replay_lib.LocalPlatform(platform, ports)
        for check in platform.checks:
            if check.kind in ("http", "statuspage"):
                replay_lib.assert_loopback(local.variant(check.id, 429))
        replay_lib.assert_loopback(local.healthy)
        with pytest.raises(RuntimeError, match=r"not 127\.0\.0\.1|system resolver"):
            replay_lib.assert_loopback(platform)  # the catalog itself targets the internet


def test_the_recorded_code_reaches_only_the_watched_surface(replayed) -> None:
    for result in replayed.values():
        assert result.rounds and result.vantage_offline_rounds == 0, result.key
        assert sum(result.surface_samples.values()) >= result.refusal_minutes, result.key
        # a loaded machine may make a loopback answer slow; anything else is the harness
        assert all(key.endswith("/slow") for key in result.noise), (result.key, result.noise)
    documented = next(r for r in replayed.values() if r.documented == DOCUMENTED)
    assert documented.codes_played == {"500": 13}
    assert documented.surface_samples == {"down/http_status": 13}


def test_refusal_minutes_open_no_outage(replayed) -> None:
    refusals = [r for r in replayed.values() if r.kind == "refusal"]
    assert len(refusals) == 5 and all(r.refusal_minutes for r in refusals)
    figures = replay_lib.totals(list(replayed.values()))
    assert figures["refusal_minutes_in_outages"] == 0, [
        (r.key, r.outages) for r in refusals if r.false_outages]
    assert figures["false_incidents"] == 0


def test_the_documented_5xx_outage_is_caught(replayed) -> None:
    figures = replay_lib.totals(list(replayed.values()))
    assert figures["documented_outages_expected"] == [DOCUMENTED]
    assert figures["documented_outages_caught"] == [DOCUMENTED]
    result = next(r for r in replayed.values() if r.documented == DOCUMENTED)
    assert result.failure_minutes_in_outages == result.failure_minutes == 13
    assert [o["checks"] for o in result.outages] == [["web"]]


def test_a_trace_that_got_no_answer_is_caught_as_an_outage(replayed) -> None:
    result = next(r for r in replayed.values() if r.platform == "youtube")
    assert result.codes_played == {"0": result.failure_minutes}
    assert result.caught and result.failure_minutes_in_outages == result.failure_minutes
    assert all(key.startswith("down/") for key in result.surface_samples)
